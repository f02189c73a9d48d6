from odoo import fields, models
from odoo.exceptions import UserError

# Labels of their own (not core's "Pending" / "Archived", which are about Odoo's records):
# each one says what the contact is in the Mailchimp audience.
STATUSES = [
    ("not_synced", "Not Synced"),
    ("subscribed", "Subscribed"),
    ("unsubscribed", "Unsubscribed"),
    ("cleaned", "Cleaned"),
    ("pending", "Awaiting Confirmation"),
    ("archived", "Archived in Mailchimp"),
]


class ResPartner(models.Model):
    _inherit = "res.partner"

    mailchimp_status = fields.Selection(
        STATUSES, string="Mailchimp Status", default="not_synced", readonly=True, copy=False, index="btree_not_null"
    )
    mailchimp_synced_at = fields.Datetime(string="Mailchimp Synced On", readonly=True, copy=False)
    mailchimp_error = fields.Char(string="Mailchimp Error", readonly=True, copy=False)
    # What was last sent: a partner is pushed again only when its member or tags differ.
    mailchimp_fingerprint = fields.Char(readonly=True, copy=False)
    mailchimp_tags = fields.Json(string="Mailchimp Tags Sent", readonly=True, copy=False)

    def action_mailchimp_sync(self):
        """Push these partners to the audience now (whether they changed or not)."""
        self.check_access("write")
        sync = self.env["crm.client.mailchimp.sync"]
        partners = self.filtered_domain(sync._sync_domain())
        if not partners:
            raise UserError(self.env._("None of these partners is to be synced with Mailchimp (see Settings)."))
        result = sync._push(partners, force=True)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "message": self.env._(
                    "%(sent)s sent to Mailchimp, %(errors)s with an error.",
                    sent=result["sent"],
                    errors=result["errors"],
                ),
                "type": "warning" if result["errors"] else "success",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }
