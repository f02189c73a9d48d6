from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged

from .common import NIP
from .common import NIP_2
from .common import CrmClientsCase


@tagged("post_install", "-at_install")
class TestBillingEntities(CrmClientsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.client = cls.create_client(name="Grupa Kowalski", country_id=cls.poland.id)

    def _entity(self, name, vat, **vals):
        return self.Partner.create(
            {
                "name": name,
                "vat": vat,
                "country_id": self.poland.id,
                "parent_id": self.client.id,
                "is_billing_entity": True,
                **vals,
            }
        )

    def test_first_entity_is_the_default_and_a_company_invoice_address(self):
        first = self._entity("Kowalski Handel Sp. z o.o.", NIP, email="faktury@handel.pl", street="ul. Fiskalna 1")
        second = self._entity("Kowalski Serwis Sp. z o.o.", NIP_2)
        self.assertTrue(first.is_default_billing)
        self.assertFalse(second.is_default_billing)
        self.assertTrue(first.is_company and first.type == "invoice")
        self.assertEqual(self.client.billing_entity_ids, first | second)
        self.assertEqual(first.vat, NIP, "its own tax ID, not the client's")
        self.assertEqual(first.commercial_partner_id, first)
        self.assertFalse(first.is_client or first.client_number)

    def test_one_default_per_client(self):
        first = self._entity("A", NIP)
        second = self._entity("B", NIP_2)
        second.is_default_billing = True
        self.assertFalse(first.is_default_billing)
        third = self._entity("C", False, is_default_billing=True)
        self.assertEqual(self.client.billing_entity_ids.filtered("is_default_billing"), third)
        with self.assertRaisesRegex(ValidationError, "one default billing entity"):
            self.Partner.create(
                [
                    {"name": "D", "parent_id": self.client.id, "is_billing_entity": True, "is_default_billing": True},
                    {"name": "E", "parent_id": self.client.id, "is_billing_entity": True, "is_default_billing": True},
                ]
            )
        with self.assertRaisesRegex(ValidationError, "one default billing entity"):
            (first | second).write({"is_default_billing": True})

    def test_an_entity_belongs_to_a_client(self):
        with self.assertRaisesRegex(ValidationError, "must belong to a client"), self.env.cr.savepoint():
            self.Partner.create({"name": "Orphan Entity", "is_billing_entity": True})

    def test_invalid_tax_id_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "NIP 5261040827"):
            self._entity("Bad", "5261040827")

    def test_invoice_address_is_the_default_entity(self):
        person = self.Partner.create({"name": "Person", "parent_id": self.client.id})
        self.assertEqual(self.client.address_get(["invoice"])["invoice"], self.client.id)
        entity = self._entity("Kowalski Handel", NIP)
        self.assertEqual(self.client.address_get(["invoice"])["invoice"], entity.id)
        self.assertEqual(person.address_get(["invoice"])["invoice"], entity.id)
        self.assertEqual(entity.address_get(["invoice"])["invoice"], entity.id)

    def test_archived_entity_is_not_proposed(self):
        entity = self._entity("Old", NIP)
        other = self._entity("New", NIP_2)
        entity.action_archive()
        self.assertTrue(other.is_default_billing)
        self.assertEqual(self.client.address_get(["invoice"])["invoice"], other.id)
        other.action_archive()
        self.assertEqual(self.client.address_get(["invoice"])["invoice"], self.client.id)

    def test_mailing_address_is_a_child_of_the_entity(self):
        entity = self._entity("Entity", NIP, street="ul. Fiskalna 1")
        mailing = self.Partner.create(
            {"name": "Korespondencja", "parent_id": entity.id, "type": "other", "street": "skr. poczt. 12"}
        )
        self.assertEqual(mailing.commercial_partner_id, entity)
        self.assertEqual(entity.street, "ul. Fiskalna 1")

    def test_created_from_the_client_form(self):
        with (
            Form(self.client, view="crm_clients.view_partner_form_crm_client") as form,
            form.billing_entity_ids.new() as entity,
        ):
            entity.name = "Z formularza Sp. z o.o."
            entity.vat = NIP
        created = self.client.billing_entity_ids
        self.assertEqual(created.name, "Z formularza Sp. z o.o.")
        self.assertTrue(created.is_billing_entity and created.is_default_billing and created.is_company)
