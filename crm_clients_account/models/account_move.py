from odoo import api, models


class AccountMove(models.Model):
    _inherit = "account.move"

    def _compute_invoice_payment_term_id(self):
        result = super()._compute_invoice_payment_term_id()
        for move in self.filtered(lambda m: m.partner_id and m.is_sale_document(include_receipts=True)):
            term = move.partner_id._client_group_payment_term(move.company_id)
            if term:
                move.invoice_payment_term_id = term
        return result

    @api.onchange("partner_id")
    def _onchange_partner_id_crm_clients_billing_entity(self):
        """A new customer invoice for a client proposes its default billing entity."""
        partner = self.partner_id
        if not partner or not self.is_sale_document(include_receipts=True) or partner.is_billing_entity:
            return
        invoice_address = self.env["res.partner"].browse(partner.address_get(["invoice"])["invoice"])
        if invoice_address.is_billing_entity and invoice_address != partner:
            self.partner_id = invoice_address
