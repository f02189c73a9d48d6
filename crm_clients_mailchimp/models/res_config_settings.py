import json

from odoo import api, fields, models
from odoo.exceptions import UserError

from .crm_client_mailchimp_sync import DEFAULT_DOMAIN


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    crm_clients_mailchimp_api_key = fields.Char(
        string="Mailchimp API Key", config_parameter="crm_clients_mailchimp.api_key"
    )
    crm_clients_mailchimp_audience_id = fields.Many2one(
        "crm.client.mailchimp.audience",
        string="Mailchimp Audience",
    )
    crm_clients_mailchimp_double_optin = fields.Boolean(
        string="Double Opt-in", config_parameter="crm_clients_mailchimp.double_optin"
    )
    crm_clients_mailchimp_sync_domain = fields.Char(
        string="Partners to Sync", config_parameter="crm_clients_mailchimp.sync_domain", default=DEFAULT_DOMAIN
    )
    crm_clients_mailchimp_tag_ids = fields.Many2many(
        "res.partner.category",
        string="Tags Sent to Mailchimp",
        help="Empty: every tag.",
    )
    crm_clients_mailchimp_status_ids = fields.Many2many(
        "crm.client.status",
        string="Statuses Sent as Tags",
        help="Empty: every status.",
    )
    crm_clients_mailchimp_webhook_url = fields.Char(
        string="Webhook URL", compute="_compute_crm_clients_mailchimp_webhook_url"
    )

    def _get_param(self, key):
        return self.env["ir.config_parameter"].sudo().get_param(f"crm_clients_mailchimp.{key}")

    # Record-valued settings, kept in system parameters as ids (Odoo's get/set_values way).
    @api.model
    def get_values(self):
        values = super().get_values()
        list_id = self._get_param("list_id")
        audience = self.env["crm.client.mailchimp.audience"].search([("list_id", "=", list_id)], limit=1)
        tags = self.env["res.partner.category"].browse(json.loads(self._get_param("tag_ids") or "[]")).exists()
        statuses = self.env["crm.client.status"].browse(json.loads(self._get_param("status_ids") or "[]")).exists()
        values.update(
            crm_clients_mailchimp_audience_id=audience.id if list_id else False,
            crm_clients_mailchimp_tag_ids=[fields.Command.set(tags.ids)],
            crm_clients_mailchimp_status_ids=[fields.Command.set(statuses.ids)],
        )
        return values

    def set_values(self):
        result = super().set_values()
        params = self.env["ir.config_parameter"].sudo()
        new_list = self.crm_clients_mailchimp_audience_id.list_id or ""
        if new_list != (self._get_param("list_id") or ""):
            params.set_param("crm_clients_mailchimp.list_id", new_list)
            params.set_param("crm_clients_mailchimp.merge_fields_list", "")
        params.set_param("crm_clients_mailchimp.tag_ids", json.dumps(self.crm_clients_mailchimp_tag_ids.ids))
        params.set_param("crm_clients_mailchimp.status_ids", json.dumps(self.crm_clients_mailchimp_status_ids.ids))
        return result

    @api.depends("company_id")
    def _compute_crm_clients_mailchimp_webhook_url(self):
        url = self.env["crm.client.mailchimp.sync"]._webhook_url()
        for settings in self:
            settings.crm_clients_mailchimp_webhook_url = url

    def action_crm_clients_mailchimp_test(self):
        """Save, then GET /ping and load the account's audiences."""
        self.execute()
        sync = self.env["crm.client.mailchimp.sync"]
        client = sync._client()
        sync._call(client.ping)
        lists = sync._call(client.lists)
        audiences = self.env["crm.client.mailchimp.audience"].sudo()
        for data in lists:
            existing = audiences.search([("list_id", "=", data["id"])])
            if existing:
                existing.name = data["name"]
            else:
                audiences.create({"list_id": data["id"], "name": data["name"]})
        audiences.search([("list_id", "not in", [data["id"] for data in lists])]).unlink()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "message": self.env._("Connected to Mailchimp: %(count)s audiences.", count=len(lists)),
                "type": "success",
                "next": {"type": "ir.actions.client", "tag": "reload"},
            },
        }

    def action_crm_clients_mailchimp_register_webhook(self):
        self.execute()
        if not self._get_param("list_id"):
            raise UserError(self.env._("Choose the Mailchimp audience first."))
        url = self.env["crm.client.mailchimp.sync"]._register_webhook()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"message": self.env._("Webhook registered: %(url)s", url=url), "type": "success"},
        }
