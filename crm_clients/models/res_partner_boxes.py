from odoo import api, fields, models
from odoo.exceptions import UserError

# Boxes for other modules' records: (model, partner field, domain); their titles are the
# count fields' labels. A box whose
# model is not installed counts 0 and stays hidden, so no bridge module is needed for them.
MODULE_BOXES = {
    "opportunity": ("crm.lead", "partner_id", [("type", "=", "opportunity")]),
    "sale_order": ("sale.order", "partner_id", []),
    "invoice": ("account.move", "partner_id", [("move_type", "in", ("out_invoice", "out_refund"))]),
    "bill": ("account.move", "partner_id", [("move_type", "in", ("in_invoice", "in_refund"))]),
    "payment": ("account.payment", "partner_id", []),
    "purchase": ("purchase.order", "partner_id", []),
    "repair": ("repair.order", "partner_id", []),
    "supplier_product": ("product.supplierinfo", "partner_id", []),
    "project": ("project.project", "partner_id", []),
    "task": ("project.task", "partner_id", [("project_id", "!=", False)]),
    "timesheet": ("account.analytic.line", "partner_id", [("project_id", "!=", False)]),
    "event": ("calendar.event", "partner_ids", []),
}
# Core's own buttons that the boxes above replace on the client form (they show at zero).
REPLACED_BUTTONS = (
    "action_view_sale_order",
    "action_view_opportunity",
    "action_view_partner_invoices",
    "schedule_meeting",
    "action_view_tasks",
)


class ResPartner(models.Model):
    _inherit = "res.partner"

    client_box_opportunity_count = fields.Integer(compute="_compute_client_module_boxes", string="Client Opportunities")
    client_box_sale_order_count = fields.Integer(
        compute="_compute_client_module_boxes", string="Client Quotations & Orders"
    )
    client_box_invoice_count = fields.Integer(compute="_compute_client_module_boxes", string="Client Invoices")
    client_box_bill_count = fields.Integer(compute="_compute_client_module_boxes", string="Client Vendor Bills")
    client_box_payment_count = fields.Integer(compute="_compute_client_module_boxes", string="Client Payments")
    client_box_purchase_count = fields.Integer(compute="_compute_client_module_boxes", string="Client Purchase Orders")
    client_box_repair_count = fields.Integer(compute="_compute_client_module_boxes", string="Client Repairs")
    client_box_supplier_product_count = fields.Integer(
        compute="_compute_client_module_boxes", string="Client Supplier Products"
    )
    client_box_project_count = fields.Integer(compute="_compute_client_module_boxes", string="Client Projects")
    client_box_task_count = fields.Integer(compute="_compute_client_module_boxes", string="Client Tasks")
    client_box_timesheet_count = fields.Integer(compute="_compute_client_module_boxes", string="Client Timesheets")
    client_box_event_count = fields.Integer(compute="_compute_client_module_boxes", string="Client Events")

    def _client_box_titles(self):
        return {
            "opportunity": self.env._("Opportunities"),
            "sale_order": self.env._("Quotations & Orders"),
            "invoice": self.env._("Invoices"),
            "bill": self.env._("Vendor Bills"),
            "payment": self.env._("Payments"),
            "purchase": self.env._("Purchase Orders"),
            "repair": self.env._("Repairs"),
            "supplier_product": self.env._("Supplier Products"),
            "project": self.env._("Projects"),
            "task": self.env._("Tasks"),
            "timesheet": self.env._("Timesheets"),
            "event": self.env._("Events"),
        }

    def _client_box_available(self, key):
        model, field, domain = MODULE_BOXES[key]
        if model not in self.env:
            return False
        fields_ = self.env[model]._fields
        needed = [field, *(leaf[0] for leaf in domain)]
        return all(name in fields_ for name in needed) and self.env[model].has_access("read")

    @api.depends_context("uid")
    def _compute_client_module_boxes(self):
        """One grouped query per installed module box for all these partners; what the
        user may not read is not counted (access rights and record rules apply)."""
        clients = self.filtered("id").commercial_partner_id
        family = self.with_context(active_test=False).search_fetch(
            [("commercial_partner_id", "in", clients.ids)], ["commercial_partner_id"]
        )
        owner = {member.id: member.commercial_partner_id.id for member in family}
        counts = {}
        for key, (model, field, domain) in MODULE_BOXES.items():
            per_client = counts[key] = {}
            if not owner or not self._client_box_available(key):
                continue
            records = self.env[model].with_context(active_test=False)
            if records._fields[field].type == "many2many":
                for record in records.search_fetch([*domain, (field, "in", list(owner))], [field]):
                    for client in {owner[p.id] for p in record[field] if p.id in owner}:
                        per_client[client] = per_client.get(client, 0) + 1
                continue
            for partner, count in records._read_group([*domain, (field, "in", list(owner))], [field], ["__count"]):
                per_client[owner[partner.id]] = per_client.get(owner[partner.id], 0) + count
        for partner in self:
            client = partner.commercial_partner_id.id if partner.id else False
            own = partner.id == client
            for key in MODULE_BOXES:
                partner[f"client_box_{key}_count"] = counts[key].get(client, 0) if own else 0

    @api.readonly
    def action_client_box(self):
        """Open the records of a module box (the key comes in the button's context)."""
        self.ensure_one()
        key = self.env.context.get("client_box")
        if not isinstance(key, str) or key not in MODULE_BOXES or not self._client_box_available(key):
            raise UserError(self.env._("There is no client box %(box)s.", box=key))
        model, field, domain = MODULE_BOXES[key]
        action = self._client_family_action(model, self._client_box_titles()[key], domain, res_field=field)
        if field == "partner_id":
            action["context"] = {"default_partner_id": self.id}
        return action

    @api.model
    def _get_view(self, view_id=None, view_type="form", **options):
        arch, view = super()._get_view(view_id, view_type, **options)
        if view_type == "form" and view.xml_id == "crm_clients.view_partner_form_crm_client":
            for button in arch.xpath("//div[@name='button_box']/button[@name]"):
                if button.get("name") in REPLACED_BUTTONS:
                    button.getparent().remove(button)
        return arch, view

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

    @api.readonly
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

    @api.readonly
    def action_view_client_activities(self):
        return self._client_family_action(
            "mail.activity", self.env._("Activities"), [("res_model", "=", "res.partner")]
        )

    @api.readonly
    def action_view_client_documents(self):
        action = self._client_family_action(
            "ir.attachment", self.env._("Documents"), [("res_model", "=", "res.partner"), ("res_field", "=", False)]
        )
        action["view_mode"] = "kanban,list,form"
        return action

    @api.readonly
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
