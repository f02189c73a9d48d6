import io

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools.pdf import PdfFileReader

from .common import NIP
from .common import CrmClientsCase


def pdf_text(raw):
    reader = PdfFileReader(io.BytesIO(raw))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


@tagged("post_install", "-at_install")
class TestClientDocuments(CrmClientsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.client = cls.create_client(name="Dokumenty Sp. z o.o.", vat=NIP, country_id=cls.poland.id)
        cls.reader = new_test_user(
            cls.env, login="crm_doc_reader", groups="base.group_user,crm_clients.group_client_user"
        )
        cls.template = cls.env["crm.client.document.template"].create(
            {
                "name": "Cooperation Agreement",
                "body_html": '<h2>Agreement</h2><p>Between us and <t t-out="object.name"/>, '
                'tax ID <t t-out="object.vat"/>.</p>',
                "file_name": "{{ object.name }} agreement",
            }
        )

    def test_files_and_links_with_a_shared_flag(self):
        self.client.write(
            {
                "client_document_ids": [
                    (0, 0, {"name": "offer.pdf", "raw": b"%PDF-1.4 offer", "client_shared": True}),
                    (0, 0, {"name": "Drive folder", "type": "url", "url": "https://example.com/folder"}),
                ]
            }
        )
        documents = self.client.client_document_ids
        self.assertEqual(sorted(documents.mapped("name")), ["Drive folder", "offer.pdf"])
        self.assertEqual(documents.filtered("client_shared").mapped("name"), ["offer.pdf"])
        self.assertEqual(set(documents.mapped("res_model")), {"res.partner"})
        self.assertEqual(self.client.client_document_count, 2)

    def test_upload_and_delete_need_write_access_viewing_needs_read(self):
        document = self.env["ir.attachment"].create(
            {"name": "contract.pdf", "raw": b"%PDF", "res_model": "res.partner", "res_id": self.client.id}
        )
        # an employee who may read contacts but not edit them (no Contact Creation right)
        rule_user = self.employee
        self.assertEqual(self.client.with_user(rule_user).client_document_ids, document)
        self.env.ref("base.group_partner_manager").users -= rule_user
        with self.assertRaises(AccessError):
            self.env["ir.attachment"].with_user(rule_user).create(
                {"name": "x.txt", "raw": b"x", "res_model": "res.partner", "res_id": self.client.id}
            )
        with self.assertRaises(AccessError):
            document.with_user(rule_user).unlink()
        self.assertTrue(document.exists())

    def test_generate_a_real_pdf_from_a_template(self):
        wizard = (
            self.env["crm.client.document.generate"]
            .with_context(force_report_rendering=True)
            .create({"partner_id": self.client.id, "template_id": self.template.id})
        )
        wizard.action_generate()
        document = self.client.client_document_ids
        self.assertEqual(document.name, "Dokumenty Sp. z o.o. agreement.pdf")
        self.assertEqual(document.mimetype, "application/pdf")
        self.assertTrue(document.raw.startswith(b"%PDF"))
        text = pdf_text(document.raw)
        self.assertIn("Dokumenty Sp. z o.o.", text)
        self.assertIn(NIP, text)
        self.assertIn("Cooperation Agreement", self.client.message_ids[0].body)
        self.assertEqual(self.client.message_ids[0].attachment_ids, document)

    def test_generating_needs_a_template_and_write_access(self):
        wizard = self.env["crm.client.document.generate"].create({"partner_id": self.client.id, "template_id": False})
        with self.assertRaises(UserError), self.env.cr.savepoint():
            wizard.action_generate()
        # a client user who may read but not edit this client (no Contact Creation right)
        self.env.ref("base.group_partner_manager").users -= self.reader
        reader_wizard = (
            self.env["crm.client.document.generate"]
            .with_user(self.reader)
            .create({"partner_id": self.client.id, "template_id": self.template.id})
        )
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            reader_wizard.with_context(force_report_rendering=True).action_generate()
        self.assertFalse(self.client.client_document_ids, "nothing was attached")

    def test_no_template_offers_to_create_one(self):
        self.env["crm.client.document.template"].search([]).action_archive()
        wizard = self.env["crm.client.document.generate"].create({"partner_id": self.client.id})
        self.assertEqual(wizard.template_count, 0)
        self.assertEqual(wizard.action_new_template()["res_model"], "crm.client.document.template")

    def test_a_restricted_editor_cannot_write_code(self):
        editor = self.client_manager
        self.env.ref("mail.group_mail_template_editor").users -= editor
        editor.groups_id -= self.env.ref("mail.group_mail_template_editor")
        Template = self.env["crm.client.document.template"].with_user(editor)
        simple = Template.create({"name": "Letter", "body_html": '<p>Dear <t t-out="object.name"/></p>'})
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            Template.create(
                {
                    "name": "Evil",
                    "body_html": "<p><t t-out=\"object.env['res.users'].search([]).mapped('login')\"/></p>",
                }
            )
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            simple.body_html = "<p><t t-out=\"object.sudo().write({'name': 'x'})\"/></p>"
        self.assertEqual(
            simple._render_field("body_html", self.client.ids)[self.client.id], "<p>Dear Dokumenty Sp. z o.o.</p>"
        )
        self.assertEqual(self.client.name, "Dokumenty Sp. z o.o.")
