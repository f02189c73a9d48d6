from odoo import api, models

from .res_partner import SKIP_CLIENT_DEFAULTS


class ResUsers(models.Model):
    _inherit = "res.users"

    @api.model_create_multi
    def create(self, vals_list):
        # A user's own partner is not a client: no number, no status.
        users = super(ResUsers, self.with_context(**{SKIP_CLIENT_DEFAULTS: True})).create(vals_list)
        return users.with_env(self.env)
