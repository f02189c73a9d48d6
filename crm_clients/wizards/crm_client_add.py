from odoo import fields, models


class CrmClientAdd(models.TransientModel):
    """The "+ Add" menu of a client: each entry opens a new record already linked to the
    client. Bridges add entries (buttons) for their modules' records."""

    _name = "crm.client.add"
    _description = "Add to a Client"

    partner_id = fields.Many2one("res.partner", required=True, ondelete="cascade")
    # Entries for modules without a bridge: shown only when the module is installed and the
    # user may create its records.
    can_add_opportunity = fields.Boolean(compute="_compute_can_add")
    can_add_project = fields.Boolean(compute="_compute_can_add")
    can_add_task = fields.Boolean(compute="_compute_can_add")
    can_add_timesheet = fields.Boolean(compute="_compute_can_add")
    can_add_event = fields.Boolean(compute="_compute_can_add")

    def _can_create(self, model, *needed_fields):
        return (
            model in self.env
            and all(name in self.env[model]._fields for name in needed_fields)
            and self.env[model].has_access("create")
        )

    def _compute_can_add(self):
        for wizard in self:
            wizard.can_add_opportunity = self._can_create("crm.lead", "type")
            wizard.can_add_project = self._can_create("project.project", "partner_id")
            wizard.can_add_task = self._can_create("project.task", "partner_id")
            wizard.can_add_timesheet = self._can_create("account.analytic.line", "project_id", "partner_id")
            wizard.can_add_event = self._can_create("calendar.event", "partner_ids")

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

    def action_add_relation(self):
        return self._new_form(
            "crm.client.relation.side",
            self.env._("New Relation"),
            {"default_this_partner_id": self.partner_id.commercial_partner_id.id},
        )

    def action_add_document(self):
        return self._new_form(
            "ir.attachment",
            self.env._("New Document"),
            {"default_res_model": "res.partner", "default_res_id": self.partner_id.id},
        )

    def _contact_person(self):
        """The partner a record is for: the contact the + Add was opened on, else the
        client's primary contact, else the client."""
        partner = self.partner_id
        if partner.is_company and partner.primary_contact_id:
            return partner.primary_contact_id
        return partner

    def _full_form(self, model, name, context):
        action = self._new_form(model, name, context)
        action["target"] = "current"
        return action

    def action_add_opportunity(self):
        partner = self._contact_person()
        return self._full_form(
            "crm.lead",
            self.env._("New Opportunity"),
            {
                "default_type": "opportunity",
                "default_partner_id": partner.id,
                "default_email_from": partner.email,
                "default_phone": partner.phone,
            },
        )

    def action_add_project(self):
        return self._full_form("project.project", self.env._("New Project"), {"default_partner_id": self.partner_id.id})

    def action_add_task(self):
        return self._full_form("project.task", self.env._("New Task"), {"default_partner_id": self.partner_id.id})

    def action_add_timesheet(self):
        return self._new_form(
            "account.analytic.line", self.env._("New Work Time"), {"default_partner_id": self.partner_id.id}
        )

    def action_add_event(self):
        attendees = self.env.user.partner_id | self._contact_person()
        return self._full_form(
            "calendar.event",
            self.env._("New Event"),
            {
                "default_partner_ids": attendees.ids,
                "default_name": self.partner_id.commercial_partner_id.name,
                # the event belongs to the client: its timeline shows it
                "default_res_model": "res.partner",
                "default_res_id": self.partner_id.commercial_partner_id.id,
            },
        )
