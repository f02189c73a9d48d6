from odoo import models
from odoo.tools import email_normalize

# Odoo's own ranks drive the client type: the first customer invoice (customer_rank)
# makes a buyer, the first vendor bill (supplier_rank) a supplier.
_RANK_TO_TYPE = {"customer_rank": "is_buyer", "supplier_rank": "is_supplier"}


class ResPartner(models.Model):
    _inherit = "res.partner"

    def _increase_rank(self, field, n=1):
        type_field = _RANK_TO_TYPE.get(field)
        first_time = self.filtered(lambda p: not p[field]) if type_field and self.ids else self.browse()
        super()._increase_rank(field, n)
        if not first_time:
            return
        # Only the first document sets the type: a user who unticks it later is not overruled.
        commercial = first_time.filtered(lambda p: p[field]).commercial_partner_id.filtered(lambda p: not p[type_field])
        if commercial:
            commercial.sudo().write({type_field: True})

    def _client_invoicing_emails(self):
        """Normalized invoicing addresses of this invoice partner, own lines first."""
        self.ensure_one()
        lines = self.email_ids.filtered(lambda line: line.is_invoicing and line.is_valid)
        if not lines and self.parent_id:
            client = self.parent_id if self.is_billing_entity else self.commercial_partner_id
            lines = client.email_ids.filtered(lambda line: line.is_invoicing and line.is_valid)
        return lines.mapped("email")

    def _client_partners_for_emails(self, emails):
        """A partner per address: the invoice partner, its client or one of their contacts
        when they have it, else a new invoice contact under the invoice partner."""
        self.ensure_one()
        family = (self | self.commercial_partner_id | self.parent_id).with_context(active_test=False)
        family |= family.child_ids
        by_email = {}
        for partner in family:
            normalized = email_normalize(partner.email or "")
            if normalized and normalized not in by_email:
                by_email[normalized] = partner
        lines = {line.email: line for line in (self | self.parent_id).email_ids}
        result = self.browse()
        for email in emails:
            partner = by_email.get(email)
            if not partner:
                line = lines.get(email)
                partner = (
                    self.sudo()
                    .create(
                        {
                            "name": (line and line.contact_name) or email,
                            "email": email,
                            "parent_id": self.id,
                            "type": "invoice",
                        }
                    )
                    .sudo(False)
                )
                by_email[email] = partner
            result |= partner
        return result
