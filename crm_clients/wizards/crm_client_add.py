from odoo import fields, models


class CrmClientAdd(models.TransientModel):
    """The "+ Add" menu of a client: each entry opens a new record already linked to the
    client. Bridges add entries (buttons) for their modules' records."""

    _name = "crm.client.add"
    _description = "Add to a Client"

    partner_id = fields.Many2one("res.partner", required=True, ondelete="cascade")

    def _new_form(self, model, name, context):
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": model,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": context,
        }

    def _composer(self, note):
        partner = self.partner_id
        context = {
            "default_model": "res.partner",
            "default_res_ids": partner.ids,
            "default_composition_mode": "comment",
            "default_subtype_xmlid": "mail.mt_note" if note else "mail.mt_comment",
        }
        if not note:
            context["default_partner_ids"] = partner.ids
        return self._new_form(
            "mail.compose.message", self.env._("Log a Note") if note else self.env._("Email"), context
        )

    def action_add_contact(self):
        client = self.partner_id.commercial_partner_id
        return self._new_form(
            "res.partner",
            self.env._("New Contact"),
            {"default_parent_id": client.id, "default_type": "contact", "default_is_company": False},
        )

    def action_add_note(self):
        return self._composer(note=True)

    def action_add_email(self):
        return self._composer(note=False)

    def _activity(self, activity_type=None):
        # Odoo's scheduling wizard reads its record from the active model and ids.
        context = {"active_model": "res.partner", "active_ids": self.partner_id.ids, "active_id": self.partner_id.id}
        if activity_type:
            context["default_activity_type_id"] = activity_type.id
        return self._new_form("mail.activity.schedule", self.env._("Schedule an Activity"), context)

    def action_add_activity(self):
        return self._activity()

    def action_add_call(self):
        return self._activity(self.env.ref("mail.mail_activity_data_call"))

    def action_add_document(self):
        return self._new_form(
            "ir.attachment",
            self.env._("New Document"),
            {"default_res_model": "res.partner", "default_res_id": self.partner_id.id},
        )
