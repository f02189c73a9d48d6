from odoo.tests import tagged

from .common import NIP
from .common import CrmClientsCase


@tagged("post_install", "-at_install")
class TestFindDuplicates(CrmClientsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.a = cls.create_client(
            name="Kowalski Sp. z o.o.", vat=NIP, country_id=cls.poland.id, email="biuro@kowalski.pl"
        )
        cls.env.cr.execute("UPDATE res_partner SET vat = 'PL 526-104-08-28' WHERE id = %s", [cls.a.id])
        cls.a.invalidate_recordset(["vat"])
        cls.b = cls.create_client(
            name="KOWALSKI spółka z o.o.", vat=NIP, country_id=cls.poland.id, phone="+48 22 123 45 67"
        )
        cls.c = cls.create_client(
            name="Nowak", email="BIURO@kowalski.pl", phone="22 123 45 67", country_id=cls.poland.id
        )
        cls.d = cls.create_client(name="Unrelated Ltd")
        cls.env["crm.client.email"].create({"partner_id": cls.d.id, "email": "shared@line.pl"})
        cls.e = cls.create_client(name="Completely Different", email="shared@line.pl")

    def groups(self, domain=None):
        ours = self.a | self.b | self.c | self.d | self.e
        return [
            (g["reason"], g["key"], sorted(g["partner_ids"]))
            for g in self.Partner.client_find_duplicates(domain or [("id", "in", ours.ids)])
        ]

    def test_groups_by_tax_id_email_phone_and_name(self):
        groups = self.groups()
        self.assertIn(("vat", NIP, sorted((self.a | self.b).ids)), groups)
        self.assertIn(("email", "biuro@kowalski.pl", sorted((self.a | self.c).ids)), groups)
        self.assertIn(("email", "shared@line.pl", sorted((self.d | self.e).ids)), groups)
        self.assertIn(("phone", "+48221234567", sorted((self.b | self.c).ids)), groups)
        self.assertIn(("name", "kowalski", sorted((self.a | self.b).ids)), groups)
        self.assertFalse([g for g in groups if self.d.id in g[2] and g[0] != "email"])

    def test_domain_narrows_and_contacts_are_not_clients(self):
        self.Partner.create({"name": "Kowalski Sp. z o.o.", "parent_id": self.d.id})
        groups = self.groups([("id", "in", (self.a | self.c).ids)])
        self.assertEqual(groups, [("email", "biuro@kowalski.pl", sorted((self.a | self.c).ids))])

    def test_similar_names_with_a_typo_in_their_first_letters_are_grouped(self):
        x = self.create_client(name="Hurtownia Elektryczna Nowak")
        y = self.create_client(name="Hurtowmia Elektryczna Nowak")  # the 7th letter
        z = self.create_client(name="Gurtownia Elektryczna Nowak")  # the 1st letter
        w = self.create_client(name="Piekarnia Kowalczyk")
        groups = self.Partner.client_find_duplicates([("id", "in", (x | y | z | w).ids)])
        similar = [g for g in groups if g["reason"] == "name" and g["key"].startswith("~")]
        self.assertEqual([sorted(g["partner_ids"]) for g in similar], [sorted((x | y | z).ids)])

    def test_answer_is_xmlrpc_safe(self):
        for group in self.Partner.client_find_duplicates([("id", "in", (self.a | self.b).ids)]):
            self.assertEqual(set(group), {"reason", "key", "partner_ids"})
            self.assertIsInstance(group["key"], str)
            self.assertTrue(all(isinstance(i, int) for i in group["partner_ids"]))

    def test_similar_names_are_grouped(self):
        x = self.create_client(name="Przedsiębiorstwo Handlowe Wiśniewski")
        y = self.create_client(name="Przedsiebiorstwo Handlowe Wisniewsky")
        z = self.create_client(name="Przedsiębiorstwo Transportowe Zając")
        groups = self.Partner.client_find_duplicates([("id", "in", (x | y | z).ids)])
        similar = [g for g in groups if g["reason"] == "name" and g["key"].startswith("~")]
        self.assertEqual([sorted(g["partner_ids"]) for g in similar], [sorted((x | y).ids)])
