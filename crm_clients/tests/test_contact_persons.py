from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged

from .common import CrmClientsCase


@tagged("post_install", "-at_install")
class TestContactPersons(CrmClientsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.client = cls.create_client(
            name="Persons Inc", street="ul. Prosta 1", city="Warszawa", zip="00-001", country_id=cls.poland.id
        )
        cls.anna = cls.Partner.create({"name": "Anna", "parent_id": cls.client.id, "email": "anna@persons.pl"})
        cls.piotr = cls.Partner.create({"name": "Piotr", "parent_id": cls.client.id, "email": "piotr@persons.pl"})
        cls.billing = cls.env.ref("crm_clients.contact_role_billing")
        cls.decision = cls.env.ref("crm_clients.contact_role_decision_maker")

    def test_primary_contact_must_be_one_of_the_clients_persons(self):
        self.client.primary_contact_id = self.piotr
        other = self.create_client(name="Other")
        stranger = self.Partner.create({"name": "Stranger", "parent_id": other.id})
        with self.assertRaisesRegex(ValidationError, "pick one of its contact persons"):
            self.client.primary_contact_id = stranger
        with self.assertRaisesRegex(ValidationError, "pick one of its contact persons"):
            self.client.primary_contact_id = other

    def test_primary_contact_is_suggested_first(self):
        self.client.primary_contact_id = self.piotr
        recipients = self.client._message_get_suggested_recipients()
        self.assertEqual(recipients[0]["partner_id"], self.piotr.id)

    def test_roles_filter_across_clients(self):
        vip = self.create_client(name="VIP Client", client_status_id=self.status_vip.id)
        vip_billing = self.Partner.create(
            {"name": "Vip Billing", "parent_id": vip.id, "client_role_ids": [(4, self.billing.id)]}
        )
        self.anna.client_role_ids = self.billing | self.decision
        found = self.Partner.search(
            [("client_role_ids", "=", self.billing.id), ("client_status_id", "=", self.status_vip.id)]
        )
        self.assertEqual(found, vip_billing, "billing contacts of VIP clients")
        self.assertIn(self.anna, self.Partner.search([("client_role_ids", "=", self.billing.id)]))

    def test_make_headquarters_swaps_addresses(self):
        warehouse = self.Partner.create(
            {
                "name": "Warehouse",
                "parent_id": self.client.id,
                "type": "delivery",
                "street": "ul. Magazynowa 5",
                "city": "Łódź",
                "zip": "90-001",
                "country_id": self.poland.id,
            }
        )
        warehouse.action_client_make_headquarters()
        self.assertEqual((self.client.street, self.client.city), ("ul. Magazynowa 5", "Łódź"))
        self.assertEqual((warehouse.street, warehouse.city), ("ul. Prosta 1", "Warszawa"))
        self.assertEqual(self.anna.street, "ul. Magazynowa 5", "contacts follow their client's address")
        self.assertTrue(any("Headquarters moved" in (m.body or "") for m in self.client.message_ids))
        with self.assertRaisesRegex(UserError, "Only another address"):
            self.anna.action_client_make_headquarters()

    def test_archived_contacts_are_hidden_with_a_switch(self):
        self.piotr.action_archive()
        self.assertEqual(self.client.child_ids, self.anna)
        self.assertEqual(self.client.client_archived_child_ids, self.piotr)
        form = Form(self.client)
        form.client_show_archived_contacts = True
        self.assertEqual(len(form.client_archived_child_ids), 1)

    def test_an_unreferenced_person_can_be_deleted(self):
        # Documents referring to a person block its deletion (see crm_clients_account's
        # tests, with invoices); a plain contact person without documents goes.
        self.piotr.unlink()
        self.assertFalse(self.piotr.exists())

    def test_archiving_cascades_and_restoring_brings_back_exactly_that(self):
        entity = self.Partner.create({"name": "Entity", "parent_id": self.client.id, "is_billing_entity": True})
        self.piotr.action_archive()  # archived on its own, before
        user = self.env["res.users"].create({"name": "Anna", "login": "anna_user", "partner_id": self.anna.id})
        self.client.action_archive()
        self.assertFalse(entity.active)
        self.assertTrue(self.anna.active, "an active user's partner stays active")
        self.client.action_unarchive()
        self.assertTrue(entity.active)
        self.assertFalse(self.piotr.active, "archived before the client: stays archived")
        self.assertTrue(user.active)
