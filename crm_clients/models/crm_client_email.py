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
    def _channel_message(self, message, **params):
        _ = self.env._
        if message == "several_contacts":
            return _("Email addresses of several contacts cannot get the same value at once.")
        if message == "several_primary":
            return _("Only one email address per contact can be the primary one.")
        if message == "duplicate":
            return _("%(value)s is already one of the emails of %(partner)s.", **params)
        if message == "duplicate_here":
            return _("%(value)s is already one of the emails of this contact.", **params)
        if message == "locked":
            return _(
                "The email %(value)s of %(partner)s is locked: it cannot be changed or deleted. "
                "Ask a lock manager to unlock it first.",
                **params,
            )
        if message == "logged_lock":
            return _("Email %(value)s locked.", **params)
        if message == "logged_unlock":
            return _("Email %(value)s unlocked.", **params)
        raise KeyError(message)

    @api.model
    def _channel_normalize(self, value, partner):
        typed = (value or "").strip()
        normalized = email_normalize(typed, strict=True)
        if normalized:
            return normalized, True
        if is_on(self.env, SYNC_FROM_PARTNER) and typed:
            return typed, False
        raise ValidationError(self.env._("%(value)s is not a valid email address.", value=typed or "''"))
