from odoo import Command
from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.exceptions import UserError
from odoo.tests import Form, tagged


class InvoiceCase(AccountTestInvoicingCommon):
    def _post(self, move_type, partner, post=True):
        move = self.env["account.move"].create(
            {
                "move_type": move_type,
                "partner_id": partner.id,
                "invoice_date": "2026-01-15",
                "invoice_line_ids": [Command.create({"name": "Service", "quantity": 1, "price_unit": 100})],
            }
        )
        if post:
            move.action_post()
        return move


@tagged("post_install", "-at_install")
class TestClientTypeFromInvoices(InvoiceCase):
    def test_first_invoice_makes_a_buyer_first_bill_a_supplier(self):
        client = self.env["res.partner"].create({"name": "Fresh Client", "is_company": True})
        contact = self.env["res.partner"].create({"name": "Buyer Person", "parent_id": client.id})
        self.assertFalse(client.is_buyer or client.is_supplier)
        self._post("out_invoice", contact)
        self.assertTrue(client.is_buyer, "the invoice of a contact makes its client a buyer")
        self.assertFalse(client.is_supplier)
        self._post("in_invoice", client)
        self.assertTrue(client.is_supplier)
        self.assertGreater(client.customer_rank, 0)
        self.assertTrue(contact.is_buyer, "contacts show their client's type")

    def test_later_invoices_do_not_overrule_the_user(self):
        client = self.env["res.partner"].create({"name": "Second invoice", "is_company": True})
        self._post("out_invoice", client)
        client.is_buyer = False
        self._post("out_invoice", client)
        self.assertFalse(client.is_buyer)


@tagged("post_install", "-at_install")
class TestDocumentsProtectPartners(InvoiceCase):
    def test_a_person_with_invoices_is_archived_not_deleted(self):
        client = self.env["res.partner"].create({"name": "Client With Docs", "is_company": True})
        person = self.env["res.partner"].create({"name": "Invoiced Person", "parent_id": client.id})
        move = self._post("out_invoice", person, post=False)
        with self.assertRaisesRegex(UserError, "Archive it instead"):
            person.unlink()
        with self.assertRaisesRegex(UserError, "Journal Entry"):
            client.unlink()
        self.assertTrue(person.exists() and client.exists())
        person.action_archive()
        self.assertEqual(move.partner_id, person)
        self.assertEqual(move.partner_id.display_name, "Client With Docs, Invoiced Person")


@tagged("post_install", "-at_install")
class TestInvoiceBillingEntity(InvoiceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        poland = cls.env.ref("base.pl")
        cls.client = Partner.create({"name": "Grupa Wiśniewski", "is_company": True, "country_id": poland.id})
        cls.entity = Partner.create(
            {
                "name": "Wiśniewski Usługi Sp. z o.o.",
                "parent_id": cls.client.id,
                "is_billing_entity": True,
                "legal_name": "Wiśniewski Usługi spółka z ograniczoną odpowiedzialnością",
                "vat": "5261040828",
                "country_id": poland.id,
                "street": "ul. Fiskalna 7",
                "city": "Kraków",
            }
        )

    def test_new_invoice_proposes_the_default_entity(self):
        with Form(self.env["account.move"].with_context(default_move_type="out_invoice")) as form:
            form.partner_id = self.client
            self.assertEqual(form.partner_id, self.entity)
        with Form(self.env["account.move"].with_context(default_move_type="in_invoice")) as form:
            form.partner_id = self.client
            self.assertEqual(form.partner_id, self.client, "vendor bills are not concerned")

    def test_printed_invoice_shows_the_entity_legal_name_and_tax_id(self):
        move = self._post("out_invoice", self.entity)
        html = self.env["ir.actions.report"]._render_qweb_html("account.report_invoice", move.ids)[0].decode()
        self.assertIn("Wiśniewski Usługi spółka z ograniczoną odpowiedzialnością", html)
        self.assertIn("5261040828", html)

    def test_financial_figures_include_the_entities(self):
        move = self._post("out_invoice", self.entity)
        self.assertIn(move, self.env["account.move"].search([("partner_id", "child_of", self.client.id)]))
        self.client.invalidate_recordset()
        self.assertGreater(self.client.total_invoiced, 0)


@tagged("post_install", "-at_install")
class TestInvoicingEmails(InvoiceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.client = Partner.create({"name": "Mailer Client", "is_company": True, "email": "biuro@mailer.pl"})
        cls.env["crm.client.email"].create(
            [
                {
                    "partner_id": cls.client.id,
                    "email": "faktury@mailer.pl",
                    "is_invoicing": True,
                    "contact_name": "Księgowość",
                },
                {"partner_id": cls.client.id, "email": "ksiegowa@mailer.pl", "is_invoicing": True},
                {"partner_id": cls.client.id, "email": "handel@mailer.pl"},
            ]
        )

    def _wizard(self, move):
        return (
            self.env["account.move.send.wizard"]
            .with_context(active_model="account.move", active_ids=move.ids)
            .create({})
        )

    def test_invoices_go_to_the_invoicing_emails(self):
        wizard = self._wizard(self._post("out_invoice", self.client))
        self.assertEqual(sorted(wizard.mail_partner_ids.mapped("email")), ["faktury@mailer.pl", "ksiegowa@mailer.pl"])
        contact = wizard.mail_partner_ids.filtered(lambda p: p.email == "faktury@mailer.pl")
        self.assertEqual((contact.parent_id, contact.type, contact.name), (self.client, "invoice", "Księgowość"))
        self.assertFalse(contact.is_client)
        # Sending again reuses the same contacts.
        again = self._wizard(self._post("out_invoice", self.client))
        self.assertEqual(again.mail_partner_ids, wizard.mail_partner_ids)
        again.action_send_and_print()
        message = again.move_id.message_ids.filtered(lambda m: m.message_type == "comment")[:1]
        self.assertEqual(message.partner_ids, wizard.mail_partner_ids)

    def test_a_billing_entity_uses_its_own_lines_first(self):
        entity = self.env["res.partner"].create(
            {"name": "Entity", "parent_id": self.client.id, "is_billing_entity": True, "email": "entity@mailer.pl"}
        )
        wizard = self._wizard(self._post("out_invoice", entity))
        self.assertEqual(
            sorted(wizard.mail_partner_ids.mapped("email")),
            ["faktury@mailer.pl", "ksiegowa@mailer.pl"],
            "without lines of its own, the client's invoicing emails",
        )
        entity.email_ids.is_invoicing = True
        wizard = self._wizard(self._post("out_invoice", entity))
        self.assertEqual(wizard.mail_partner_ids, entity)

    def test_without_invoicing_lines_odoo_default(self):
        plain = self.env["res.partner"].create({"name": "Plain", "is_company": True, "email": "plain@example.com"})
        wizard = self._wizard(self._post("out_invoice", plain))
        self.assertEqual(wizard.mail_partner_ids, plain)


@tagged("post_install", "-at_install")
class TestGroupPaymentTerm(InvoiceCase):
    def test_group_term_between_own_and_company_default(self):
        term_30 = self.env.ref("account.account_payment_term_30days")
        term_immediate = self.env.ref("account.account_payment_term_immediate")
        group = self.env["crm.client.group"].sudo().create({"name": "Wholesale", "payment_term_id": term_30.id})
        grouped = self.env["res.partner"].create({"name": "Grouped", "is_company": True, "client_group_id": group.id})
        own = self.env["res.partner"].create({"name": "Own", "is_company": True, "client_group_id": group.id})
        own.property_payment_term_id = term_immediate
        plain = self.env["res.partner"].create({"name": "Plain", "is_company": True})
        self.assertEqual(self._post("out_invoice", grouped, post=False).invoice_payment_term_id, term_30)
        self.assertEqual(self._post("out_invoice", own, post=False).invoice_payment_term_id, term_immediate)
        self.assertEqual(
            self._post("out_invoice", plain, post=False).invoice_payment_term_id, plain.property_payment_term_id
        )
        self.assertFalse(
            self._post("in_invoice", grouped, post=False).invoice_payment_term_id, "vendor bills use supplier terms"
        )
