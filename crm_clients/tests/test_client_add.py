from odoo.tests import Form, TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestClientAdd(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.client = cls.env["res.partner"].create({"name": "Acme", "is_company": True, "email": "biuro@acme.pl"})

    def entries(self):
        action = self.client.action_client_add()
        return self.env["crm.client.add"].browse(action["res_id"])

    def create_from(self, action, model, **values):
        form = Form(self.env[model].with_context(**action["context"]))
        for name, value in values.items():
            setattr(form, name, value)
        return form.save()

    def test_contact_is_created_under_the_client(self):
        action = self.entries().action_add_contact()
        person = self.create_from(action, "res.partner", name="Jan Kowalski")
        self.assertEqual(person.parent_id, self.client)
        self.assertEqual(person.type, "contact")

    def test_activity_and_call_are_scheduled_on_the_client(self):
        wizard = self.entries()
        self.create_from(
            wizard.action_add_activity(), "mail.activity.schedule", summary="Send the offer"
        ).action_schedule_activities()
        call = self.create_from(wizard.action_add_call(), "mail.activity.schedule", summary="Call back")
        call.action_schedule_activities()
        activities = self.client.activity_ids
        self.assertEqual(len(activities), 2)
        self.assertIn(self.env.ref("mail.mail_activity_data_call"), activities.activity_type_id)

    def test_note_email_and_document_are_linked(self):
        wizard = self.entries()
        note = wizard.action_add_note()
        self.assertEqual(
            (note["res_model"], note["context"]["default_res_ids"]), ("mail.compose.message", self.client.ids)
        )
        self.assertEqual(note["context"]["default_subtype_xmlid"], "mail.mt_note")
        email = wizard.action_add_email()
        self.assertEqual(email["context"]["default_partner_ids"], self.client.ids)
        document = self.create_from(wizard.action_add_document(), "ir.attachment", name="contract.pdf")
        self.assertEqual((document.res_model, document.res_id), ("res.partner", self.client.id))
        self.assertEqual(self.client.client_document_count, 1, "and the box counts it")

    def test_entries_of_modules_not_installed_never_appear(self):
        arch = self.env["crm.client.add"].get_views([(False, "form")])["views"]["form"]["arch"]
        installed = self.env["ir.module.module"].search(
            [("name", "in", ("crm_clients_sale", "crm_clients_account")), ("state", "=", "installed")]
        )
        self.assertEqual("action_add_quotation" in arch, "crm_clients_sale" in installed.mapped("name"))
        self.assertEqual("action_add_invoice" in arch, "crm_clients_account" in installed.mapped("name"))

    def test_relation_is_added_from_the_client(self):
        other = self.env["res.partner"].create({"name": "Beta", "is_company": True})
        referred = self.env.ref("crm_clients.relation_type_referral")
        selection = self.env["crm.client.relation.type.selection"].search(
            [("type_id", "=", referred.id), ("is_inverse", "=", False)], limit=1
        )
        self.assertEqual(self.client.client_relation_count, 0, "no relation: the box is hidden")
        side = self.create_from(
            self.entries().action_add_relation(),
            "crm.client.relation.side",
            type_selection_id=selection,
            other_partner_id=other,
        )
        self.assertEqual(side.this_partner_id, self.client)
        self.client.invalidate_recordset(["client_relation_count"])
        self.assertEqual(self.client.client_relation_count, 1)
        self.assertEqual(other.client_relation_count, 1)
