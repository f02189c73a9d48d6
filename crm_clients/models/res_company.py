from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..tools.internal import SKIP_CLIENT_DEFAULTS
from ..tools.internal import switch_on


class ResCompany(models.Model):
    _inherit = "res.company"

    crm_client_require_channel = fields.Boolean(
        string="Clients Need an Email or Phone",
        help="Every client of this company must have at least one email address or phone number.",
    )
    # The discount of clients without their own or their group's (crm.client.group).
    client_default_discount = fields.Float(string="Default Client Discount (%)", digits="Discount")

    @api.constrains("client_default_discount")
    def _check_client_default_discount(self):
        for company in self:
            if not 0 <= company.client_default_discount <= 100:
                raise ValidationError(self.env._("A discount is between 0 and 100 %."))

    @api.model_create_multi
    def create(self, vals_list):
        # A company's own partner is not a client: no number, no status.
        companies = super(ResCompany, self.with_context(**switch_on(SKIP_CLIENT_DEFAULTS))).create(vals_list)
        self._client_recompute_partners(companies.partner_id)
        # Where the company's client attributes are defined (crm.client.attribute.set).
        self.env["crm.client.attribute.set"]._for_companies(companies)
        return companies.with_env(self.env)

    def write(self, vals):
        old_partners = self.partner_id if "partner_id" in vals else self.env["res.partner"]
        res = super().write(vals)
        if "partner_id" in vals:
            self._client_recompute_partners(old_partners | self.partner_id)
        return res

    def _client_recompute_partners(self, partners):
        self.env.add_to_compute(self.env["res.partner"]._fields["is_client"], partners)
