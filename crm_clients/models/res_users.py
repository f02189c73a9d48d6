from odoo import api, models

from ..tools.internal import SKIP_CLIENT_DEFAULTS
from ..tools.internal import switch_on


class ResUsers(models.Model):
    _inherit = "res.users"

    @api.model_create_multi
    def create(self, vals_list):
        # A user's own partner is not a client: no number, no status.
        users = super(ResUsers, self.with_context(**switch_on(SKIP_CLIENT_DEFAULTS))).create(vals_list)
        return users.with_env(self.env)
