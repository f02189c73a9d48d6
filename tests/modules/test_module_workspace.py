"""The client workspace with other modules installed (CRM, Project, Timesheets, Calendar,
Purchase, Repair): their boxes, their "+ Add" entries, their documents in the timeline.
Runs on its own database (see tools/test.sh), without any bridge addon of ours."""

from lxml import etree

from odoo.tests import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestModuleWorkspace(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.client = Partner.create({"name": "Workspace Modules Client", "is_company": True})
        cls.person = Partner.create(
            {"name": "Mona Modules", "parent_id": cls.client.id, "email": "mona@modules.example"}
        )
        cls.client.primary_contact_id = cls.person
        cls.other = Partner.create({"name": "Empty Client", "is_company": True})
        cls.product = cls.env["product.product"].create({"name": "Repaired Chair", "type": "consu"})

    def make_records(self):
        env = self.env
        records = {
            "opportunity": env["crm.lead"].create(
                {"name": "40 chairs", "type": "opportunity", "partner_id": self.person.id}
            ),
            "project": env["project.project"].create({"name": "Showroom", "partner_id": self.client.id}),
        }
        records["task"] = env["project.task"].create(
            {"name": "Measure the room", "project_id": records["project"].id, "partner_id": self.person.id}
        )
        employee = env["hr.employee"].create({"name": "Timesheet Employee"})
        records["timesheet"] = env["account.analytic.line"].create(
            {
                "name": "Measuring",
                "project_id": records["project"].id,
                "task_id": records["task"].id,
                "employee_id": employee.id,
                "unit_amount": 2,
                "partner_id": self.client.id,
            }
        )
        records["event"] = env["calendar.event"].create(
            {
                "name": "Showroom visit",
                "start": "2026-12-01 10:00:00",
                "stop": "2026-12-01 11:00:00",
                "partner_ids": [(6, 0, (self.person | self.client).ids)],
                "res_model_id": env["ir.model"]._get_id("res.partner"),
                "res_id": self.client.id,
            }
        )
        records["purchase"] = env["purchase.order"].create({"partner_id": self.client.id})
        records["supplier_product"] = env["product.supplierinfo"].create(
            {"partner_id": self.client.id, "product_tmpl_id": self.product.product_tmpl_id.id, "price": 12}
        )
        records["repair"] = env["repair.order"].create({"partner_id": self.person.id, "product_id": self.product.id})
        return records

    def test_boxes_count_each_module_and_hide_at_zero(self):
        records = self.make_records()
        for key, record in records.items():
            self.assertEqual(self.client[f"client_box_{key}_count"], 1, key)
            self.assertEqual(self.other[f"client_box_{key}_count"], 0, key)
            action = self.client.with_context(client_box=key).action_client_box()
            self.assertEqual(self.env[action["res_model"]].search(action["domain"]), record, key)
        self.assertEqual(self.client.client_box_event_count, 1, "an event with two attendees of the client counts once")

    def test_boxes_respect_access_rights(self):
        self.make_records()
        user = new_test_user(self.env, login="ws_modules_user", groups="base.group_user,crm_clients.group_client_user")
        client = self.client.with_user(user)
        self.assertEqual(client.client_box_repair_count, 0, "no repair rights: no repairs box")
        self.assertEqual(client.client_box_purchase_count, 0, "no purchase rights: no purchases box")

    def test_core_buttons_replaced_on_the_client_form(self):
        Partner = self.env["res.partner"]
        view = self.env.ref("crm_clients.view_partner_form_crm_client")
        ours = etree.fromstring(Partner.get_views([(view.id, "form")])["views"]["form"]["arch"])
        core = etree.fromstring(Partner.get_views([(False, "form")])["views"]["form"]["arch"])
        for name in ("action_view_opportunity", "schedule_meeting", "action_view_tasks"):
            self.assertIn(name, core.xpath("//div[@name='button_box']/button/@name"), name)
            self.assertNotIn(name, ours.xpath("//div[@name='button_box']/button/@name"), name)

    def test_add_entries_open_linked_records(self):
        wizard = self.env["crm.client.add"].create({"partner_id": self.client.id})
        self.assertTrue(
            wizard.can_add_opportunity
            and wizard.can_add_project
            and wizard.can_add_task
            and wizard.can_add_timesheet
            and wizard.can_add_event
        )

        def new(method, **vals):
            action = getattr(wizard, method)()
            return self.env[action["res_model"]].with_context(**action["context"]).create(vals)

        lead = new("action_add_opportunity", name="New chairs")
        self.assertEqual((lead.type, lead.partner_id, lead.email_from), ("opportunity", self.person, self.person.email))
        self.assertEqual(new("action_add_project", name="P").partner_id, self.client)
        self.assertEqual(new("action_add_task", name="T").partner_id, self.client)
        event = new("action_add_event", start="2026-12-02 10:00:00", stop="2026-12-02 11:00:00")
        self.assertIn(self.person, event.partner_ids)
        self.assertEqual((event.res_model, event.res_id), ("res.partner", self.client.id))
        action = wizard.action_add_timesheet()
        self.assertEqual(
            (action["res_model"], action["context"]["default_partner_id"]), ("account.analytic.line", self.client.id)
        )

    def test_timeline_has_the_documents_of_the_modules(self):
        records = self.make_records()
        for key in ("opportunity", "task", "event", "repair", "purchase"):
            records[key].message_post(body=f"About the {key}", message_type="comment", subtype_xmlid="mail.mt_note")
        self.env.flush_all()
        entries = self.env["crm.client.timeline"].search([("client_id", "=", self.client.id)])
        for key in ("opportunity", "task", "event", "repair", "purchase"):
            record = records[key]
            mine = entries.filtered(
                lambda entry, record=record: (entry.res_model, entry.res_id) == (record._name, record.id)
            )
            self.assertIn(f"About the {key}", mine.mapped("summary"), key)
        self.assertFalse(
            self.env["crm.client.timeline"].search(
                [("client_id", "=", self.other.id), ("res_model", "!=", "res.partner")]
            )
        )
