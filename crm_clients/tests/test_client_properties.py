from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestClientProperties(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env["res.company"].search([], order="id", limit=1)
        cls.attribute_set = cls.env["crm.client.attribute.set"]._for_companies(cls.company)
        cls.attribute_set.definition = [
            {"name": "fleet_size", "string": "Fleet Size", "type": "integer"},
            {"name": "segment", "string": "Segment", "type": "selection", "selection": [["a", "A"], ["b", "B"]]},
            {"name": "audited", "string": "Audited", "type": "boolean"},
        ]

    def test_attributes_are_stored_searched_and_grouped(self):
        Partner = self.env["res.partner"]
        big = Partner.create(
            {"name": "Big", "is_company": True, "client_properties": {"fleet_size": 120, "segment": "a"}}
        )
        small = Partner.create(
            {"name": "Small", "is_company": True, "client_properties": {"fleet_size": 3, "segment": "b"}}
        )
        self.assertEqual(big.client_attribute_set_id, self.attribute_set)
        self.assertEqual((big.client_properties["fleet_size"], big.client_properties["segment"]), (120, "a"))
        ids = (big | small).ids
        self.assertEqual(Partner.search([("id", "in", ids), ("client_properties.fleet_size", ">", 50)]), big)
        groups = Partner.read_group([("id", "in", ids)], ["client_properties.segment"], ["client_properties.segment"])
        self.assertEqual(sorted(g["client_properties.segment"] for g in groups), ["a", "b"])

    def test_id_documents_only_for_their_group(self):
        partner = self.env["res.partner"].create({"name": "Jan Kowalski"})
        scan = self.env["crm.client.id.document"].create(
            {"partner_id": partner.id, "document_type": "passport", "number": "AB123", "scan": b"JVBERi0xLjQgc2Nhbg=="}
        )
        clerk = new_test_user(self.env, login="clerk", groups="base.group_user,crm_clients.group_client_user")
        with self.assertRaises(AccessError):
            partner.with_user(clerk).read(["client_id_document_ids"])
        keeper = new_test_user(self.env, login="keeper", groups="base.group_user,crm_clients.group_client_id_documents")
        self.assertEqual(
            partner.with_user(keeper).read(["client_id_document_ids"])[0]["client_id_document_ids"], scan.ids
        )

    def test_managers_define_attributes_users_do_not(self):
        manager = new_test_user(
            self.env, login="attr-manager", groups="base.group_user,crm_clients.group_client_manager"
        )
        user = new_test_user(self.env, login="attr-user", groups="base.group_user,crm_clients.group_client_user")
        definition = [{"name": "region", "string": "Region", "type": "char"}]
        self.attribute_set.with_user(manager).definition = definition
        with self.assertRaises(AccessError):
            self.attribute_set.with_user(user).definition = []
        self.assertEqual([d["name"] for d in self.attribute_set.definition], ["region"])
