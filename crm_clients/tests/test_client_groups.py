from odoo.exceptions import ValidationError
from odoo.tests import Form, TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestClientGroups(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.client_default_discount = 2.0
        cls.env["res.lang"]._activate_lang("pl_PL")
        cls.wholesale = cls.env["crm.client.group"].create({"name": "Wholesale", "discount": 10.0, "lang": "pl_PL"})
        cls.Partner = cls.env["res.partner"]

    def test_own_value_else_group_else_company(self):
        plain = self.Partner.create({"name": "Plain", "is_company": True})
        grouped = self.Partner.create({"name": "Grouped", "is_company": True, "client_group_id": self.wholesale.id})
        own = self.Partner.create(
            {"name": "Own", "is_company": True, "client_group_id": self.wholesale.id, "client_discount": 15.0}
        )
        self.assertEqual((plain.client_discount, grouped.client_discount, own.client_discount), (2.0, 10.0, 15.0))
        self.assertTrue(own.client_discount_own)
        self.wholesale.discount = 12.0
        self.assertEqual(
            (grouped.client_discount, own.client_discount), (12.0, 15.0), "the group's change reaches followers only"
        )
        own.client_discount_own = False
        self.assertEqual(own.client_discount, 12.0, "back to the group's value")
        contact = self.Partner.create({"name": "Buyer", "parent_id": grouped.id})
        self.assertEqual((contact.client_group_id, contact.client_discount), (self.wholesale, 12.0))

    def test_search_and_bad_values(self):
        grouped = self.Partner.create({"name": "Grouped", "is_company": True, "client_group_id": self.wholesale.id})
        own = self.Partner.create({"name": "Own", "is_company": True, "client_discount": 30.0})
        plain = self.Partner.create({"name": "Plain", "is_company": True})
        ids = (grouped | own | plain).ids
        self.assertEqual(self.Partner.search([("id", "in", ids), ("client_discount", ">=", 10)]), grouped | own)
        self.assertEqual(self.Partner.search([("id", "in", ids), ("client_discount", "=", 2.0)]), plain)
        with self.env.cr.savepoint(), self.assertRaises(ValidationError):
            own.client_discount = 120
        self.assertEqual(own.client_discount, 30.0)
        with self.env.cr.savepoint(), self.assertRaises(Exception):  # noqa: B017 - the CHECK constraint
            self.wholesale.discount = -5
            self.env.flush_all()

    def test_email_language_follows_the_group(self):
        client = self.Partner.create({"name": "Klient", "is_company": True, "client_group_id": self.wholesale.id})
        self.assertEqual(client.lang, "pl_PL")
        chosen = self.Partner.create(
            {"name": "Client", "is_company": True, "client_group_id": self.wholesale.id, "lang": "en_US"}
        )
        self.wholesale.lang = "en_US"
        self.assertEqual(client.lang, "en_US", "it followed the group")
        self.env["res.lang"]._activate_lang("es_ES")
        self.wholesale.lang = "es_ES"
        self.assertEqual(client.lang, "es_ES")
        self.assertEqual(chosen.lang, "es_ES", "chosen equal to the group's, it is a follower too")
        form = Form(self.Partner)
        form.name = "New"
        form.client_group_id = self.wholesale
        self.assertEqual(form.lang, "es_ES")

    def test_billing_amount(self):
        client = self.Partner.create({"name": "Subscriber", "is_company": True, "billing_amount": 499.0})
        self.assertEqual(client.billing_amount, 499.0)
        self.assertEqual(client.billing_currency_id, self.env.company.currency_id)
