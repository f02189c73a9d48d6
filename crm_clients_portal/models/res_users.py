from odoo import api, models
from odoo.exceptions import UserError
from odoo.tools import email_normalize


class ResUsers(models.Model):
    _inherit = "res.users"

    @api.model
    def _signup_create_user(self, values):
        """A visitor who signs up without an invitation becomes the contact person of a new
        client (status New). An email that already belongs to a client's contact is refused:
        that person must be invited by the client's staff instead."""
        if values.get("partner_id"):
            return super()._signup_create_user(values)
        email = email_normalize(values.get("email") or values.get("login") or "")
        if email and self._crm_client_email_taken(email):
            raise UserError(
                self.env._(
                    "This email address already belongs to a contact of one of our clients. "
                    "Ask us for an invitation instead of signing up."
                )
            )
        user = super()._signup_create_user(values)
        partner = user.partner_id.sudo()
        client = (
            self.env["res.partner"]
            .sudo()
            .create(
                {
                    "name": partner.name,
                    "is_company": True,
                    "email": partner.email,
                    "lang": partner.lang,
                    "country_id": partner.country_id.id,
                    "client_status_id": self.env.ref("crm_clients.client_status_new").id,
                    "client_origin_id": self.env.ref("crm_clients_portal.utm_source_portal_signup").id,
                }
            )
        )
        partner.write({"parent_id": client.id, "type": "contact"})
        return user

    @api.model
    def _crm_client_email_taken(self, email):
        partners = self.env["res.partner"].sudo().with_context(active_test=False)
        owners = partners.search([("email_normalized", "=", email)])
        owners |= self.env["crm.client.email"].sudo().search([("email", "=", email)]).partner_id
        return any(owner.commercial_partner_id.is_client for owner in owners)
