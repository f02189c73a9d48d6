from odoo import api, models


class AccountMoveSend(models.AbstractModel):
    _inherit = "account.move.send"

    @api.model
    def _get_default_mail_partner_ids(self, move, mail_template, mail_lang):
        """Invoices go to the invoicing emails of their partner: a billing entity's (or a
        contact's) own lines first, else its client's; without any, Odoo's default (the
        partner's email). Addresses without a partner record become invoice contacts of
        the invoice's partner, the way Odoo itself turns a template's email_to into
        partners (find_or_create), but inside the client instead of as new clients."""
        partners = super()._get_default_mail_partner_ids(move, mail_template, mail_lang)
        invoice_partner = move.partner_id
        emails = move.partner_id._client_invoicing_emails()
        if not emails:
            return partners
        recipients = invoice_partner._client_partners_for_emails(emails)
        # The invoice partner itself only stays when one of its addresses is an invoicing one.
        others = partners - invoice_partner - invoice_partner.commercial_partner_id
        return (recipients | others).filtered("email")
