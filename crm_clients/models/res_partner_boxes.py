from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    client_contact_count = fields.Integer(compute="_compute_client_box_counts", string="Contact Count")
    client_activity_count = fields.Integer(compute="_compute_client_box_counts", string="Planned Activities")
    client_document_count = fields.Integer(compute="_compute_client_box_counts", string="Document Count")
    client_email_count = fields.Integer(compute="_compute_client_box_counts", string="Emails Sent")

    def _compute_client_box_counts(self):
        """Every box of these partners in four grouped queries (no query per partner);
        a client's boxes count what belongs to it and to its contact persons."""
        partners = self.filtered("id")
        family = (
            self.env["res.partner"]
            .with_context(active_test=False)
            .search([("commercial_partner_id", "in", partners.commercial_partner_id.ids)])
        )
        owner = {member.id: member.commercial_partner_id.id for member in family}
        contacts = dict(
            self.env["res.partner"]._read_group(
                [("parent_id", "in", partners.ids), ("type", "=", "contact")], ["parent_id"], ["__count"]
            )
        )

        def per_client(model, domain, field):
            counts = {}
            for res_id, count in (
                self.env[model].sudo()._read_group([*domain, (field, "in", list(owner))], [field], ["__count"])
            ):
                key = owner.get(res_id if isinstance(res_id, int) else res_id.id)
                counts[key] = counts.get(key, 0) + count
            return counts

        activities = per_client("mail.activity", [("res_model", "=", "res.partner")], "res_id")
        documents = per_client(
            "ir.attachment", [("res_model", "=", "res.partner"), ("res_field", "=", False)], "res_id"
        )
        emails = per_client("mail.message", [("model", "=", "res.partner"), ("message_type", "=", "email")], "res_id")
        for partner in self:
            client = partner.commercial_partner_id.id if partner.id else False
            own = partner.id == client
            partner.client_contact_count = contacts.get(partner, 0) if partner.id else 0
            partner.client_activity_count = activities.get(client, 0) if own else 0
            partner.client_document_count = documents.get(client, 0) if own else 0
            partner.client_email_count = emails.get(client, 0) if own else 0

    def _client_family_action(self, model, name, extra_domain, res_field="res_id"):
        self.ensure_one()
        family = (
            self.env["res.partner"]
            .with_context(active_test=False)
            .search([("commercial_partner_id", "=", self.commercial_partner_id.id)])
        )
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": model,
            "view_mode": "list,form",
            "domain": [*extra_domain, (res_field, "in", family.ids)],
            "context": {"create": False},
        }

    def action_view_client_contacts(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Contacts"),
            "res_model": "res.partner",
            "view_mode": "list,form",
            "domain": [("parent_id", "=", self.id), ("type", "=", "contact")],
            "context": {"default_parent_id": self.id, "default_type": "contact"},
        }

    def action_view_client_activities(self):
        return self._client_family_action(
            "mail.activity", self.env._("Activities"), [("res_model", "=", "res.partner")]
        )

    def action_view_client_documents(self):
        action = self._client_family_action(
            "ir.attachment", self.env._("Documents"), [("res_model", "=", "res.partner"), ("res_field", "=", False)]
        )
        action["view_mode"] = "kanban,list,form"
        return action

    def action_view_client_emails(self):
        return self._client_family_action(
            "mail.message", self.env._("Emails"), [("model", "=", "res.partner"), ("message_type", "=", "email")]
        )

    def action_client_add(self):
        """The "+ Add" menu: one click on an entry opens a new record linked to the client."""
        self.ensure_one()
        wizard = self.env["crm.client.add"].create({"partner_id": self.id})
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Add to %(client)s", client=self.display_name),
            "res_model": "crm.client.add",
            "res_id": wizard.id,
            "view_mode": "form",
            "target": "new",
        }
