from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import CrmClientsCase


@tagged("post_install", "-at_install")
class TestRelations(CrmClientsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Relation = cls.env["crm.client.relation"]
        cls.Side = cls.env["crm.client.relation.side"]
        cls.partner_type = cls.env.ref("crm_clients.relation_type_partner")
        cls.referral = cls.env.ref("crm_clients.relation_type_referral")
        cls.alpha = cls.create_client(name="Alpha")
        cls.beta = cls.create_client(name="Beta")
        cls.gamma = cls.create_client(name="Gamma")

    def _selection(self, relation_type, inverse=False):
        return self.env["crm.client.relation.type.selection"].search(
            [("type_id", "=", relation_type.id), ("is_inverse", "=", inverse)]
        )

    def test_shown_on_both_partners_with_the_right_wording(self):
        relation = self.Relation.create(
            {"left_partner_id": self.alpha.id, "type_id": self.referral.id, "right_partner_id": self.beta.id}
        )
        self.assertEqual(self.alpha.client_relation_ids, relation)
        self.assertEqual(self.beta.client_relation_ids, relation)
        self.assertEqual(self.alpha.client_relation_count, 1)
        alpha_side = self.Side.search([("this_partner_id", "=", self.alpha.id)])
        beta_side = self.Side.search([("this_partner_id", "=", self.beta.id)])
        self.assertEqual((alpha_side.type_selection_id.name, alpha_side.other_partner_id), ("Referred", self.beta))
        self.assertEqual((beta_side.type_selection_id.name, beta_side.other_partner_id), ("Referred by", self.alpha))

    def test_added_from_either_side(self):
        # Gamma says it was referred by Alpha: the relation reads Alpha "Referred" Gamma.
        side = self.Side.create(
            {
                "this_partner_id": self.gamma.id,
                "type_selection_id": self._selection(self.referral, inverse=True).id,
                "other_partner_id": self.alpha.id,
            }
        )
        self.assertEqual(side.type_selection_id.name, "Referred by")
        relation = side.relation_id
        self.assertEqual((relation.left_partner_id, relation.right_partner_id), (self.alpha, self.gamma))
        side.write({"note": "met at a fair"})
        self.assertEqual(relation.note, "met at a fair")
        side.unlink()
        self.assertFalse(relation.exists())

    def test_search_by_relation(self):
        relation = self.Relation.create(
            {"left_partner_id": self.alpha.id, "type_id": self.referral.id, "right_partner_id": self.beta.id}
        )
        self.assertEqual(self.Partner.search([("client_relation_ids", "in", relation.ids)]), self.alpha | self.beta)
        self.assertEqual(
            self.Partner.search([("client_relation_ids", "any", [("type_id", "=", self.referral.id)])]),
            self.alpha | self.beta,
        )

    def test_search_related_to(self):
        self.Relation.create(
            {"left_partner_id": self.alpha.id, "type_id": self.partner_type.id, "right_partner_id": self.beta.id}
        )
        self.assertEqual(self.Partner.search([("client_related_partner_id", "=", self.beta.id)]), self.alpha)
        self.assertEqual(self.Partner.search([("client_related_partner_id", "=", self.alpha.id)]), self.beta)
        self.assertEqual(self.Partner.search([("client_related_partner_id", "ilike", "Alph")]), self.beta)

    def test_no_self_relation(self):
        with self.assertRaisesRegex(ValidationError, "cannot be related to itself"), self.env.cr.savepoint():
            self.Relation.create(
                {"left_partner_id": self.alpha.id, "type_id": self.referral.id, "right_partner_id": self.alpha.id}
            )

    def test_no_duplicate_symmetric_pairs_and_overlapping_dates(self):
        self.Relation.create(
            {
                "left_partner_id": self.alpha.id,
                "type_id": self.partner_type.id,
                "right_partner_id": self.beta.id,
                "date_start": "2024-01-01",
                "date_end": "2024-12-31",
            }
        )
        with self.assertRaisesRegex(ValidationError, "already exists"), self.env.cr.savepoint():
            self.Relation.create(
                {"left_partner_id": self.beta.id, "type_id": self.partner_type.id, "right_partner_id": self.alpha.id}
            )
        with self.assertRaisesRegex(ValidationError, "already exists"), self.env.cr.savepoint():
            self.Relation.create(
                {
                    "left_partner_id": self.alpha.id,
                    "type_id": self.partner_type.id,
                    "right_partner_id": self.beta.id,
                    "date_start": "2024-06-01",
                }
            )
        # Not overlapping: allowed.
        self.Relation.create(
            {
                "left_partner_id": self.beta.id,
                "type_id": self.partner_type.id,
                "right_partner_id": self.alpha.id,
                "date_start": "2025-01-01",
            }
        )
        # A non-symmetric type in the other direction is another relation.
        self.Relation.create(
            {"left_partner_id": self.alpha.id, "type_id": self.referral.id, "right_partner_id": self.beta.id}
        )
        self.Relation.create(
            {"left_partner_id": self.beta.id, "type_id": self.referral.id, "right_partner_id": self.alpha.id}
        )
        with self.assertRaisesRegex(ValidationError, "end before it starts"), self.env.cr.savepoint():
            self.Relation.create(
                {
                    "left_partner_id": self.alpha.id,
                    "type_id": self.referral.id,
                    "right_partner_id": self.gamma.id,
                    "date_start": "2024-02-01",
                    "date_end": "2024-01-01",
                }
            )

    def test_symmetric_type_has_one_wording(self):
        self.assertEqual(self.partner_type.name_inverse, "Business Partner")
        self.assertEqual(
            len(self.env["crm.client.relation.type.selection"].search([("type_id", "=", self.partner_type.id)])), 1
        )
        self.Relation.create(
            {"left_partner_id": self.alpha.id, "type_id": self.partner_type.id, "right_partner_id": self.beta.id}
        )
        sides = self.Side.search(
            [("type_id", "=", self.partner_type.id), ("this_partner_id", "in", (self.alpha | self.beta).ids)]
        )
        self.assertEqual(set(sides.type_selection_id.mapped("name")), {"Business Partner"})

    def test_smart_button_action(self):
        action = self.alpha.action_view_client_relations()
        self.assertEqual(action["res_model"], "crm.client.relation.side")
        self.assertEqual(action["context"]["default_this_partner_id"], self.alpha.id)
