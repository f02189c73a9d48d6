from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import email_normalize

from ..tools.internal import SYNC_FROM_PARTNER
from ..tools.internal import is_on


class CrmClientEmail(models.Model):
    _name = "crm.client.email"
    _inherit = ["crm.client.channel.mixin"]
    _description = "Client Email"
    _order = "is_primary desc, sequence, id"
    _rec_name = "email"

    _channel_value_field = "email"
    _channel_partner_field = "email"

    email = fields.Char(required=True, index="btree")
    is_invoicing = fields.Boolean(string="Invoicing", help="Invoices are sent to this address.")

    _sql_constraints = [
        ("partner_email_uniq", "unique(partner_id, email)", "A contact cannot have the same email twice."),
    ]

    @api.model
    def _channel_kind_plural(self):
        return self.env._("Emails")

    @api.model
    def _channel_kind_label(self):
        return self.env._("Email")

    @api.model
    def _channel_normalize(self, value, partner):
        typed = (value or "").strip()
        normalized = email_normalize(typed, strict=True)
        if normalized:
            return normalized, True
        if is_on(self.env, SYNC_FROM_PARTNER) and typed:
            return typed, False
        raise ValidationError(self.env._("%(value)s is not a valid email address.", value=typed or "''"))
