from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestRegistryValues(TransactionCase):
    """What every registry provider relies on: comparing, applying and logging values."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pl = cls.env.ref("base.pl")
        cls.partner = cls.env["res.partner"].create(
            {
                "name": "Registry Client",
                "is_company": True,
                "street": "Old 1",
                "city": "Kraków",
                "country_id": cls.pl.id,
            }
        )

    def test_changes_ignore_empty_registry_values_and_equal_ones(self):
        changes = self.partner._registry_value_changes(
            {"street": "New 2", "city": "Kraków", "street2": False, "zip": "", "country_id": self.pl.id}
        )
        self.assertEqual(changes, {"street": "New 2"})

    def test_dates_compare_as_dates(self):
        self.partner.registry_registered_on = "2020-01-31"
        self.assertEqual(self.partner._registry_value_changes({"registry_registered_on": "2020-01-31"}), {})
        self.assertEqual(
            self.partner._registry_value_changes({"registry_registered_on": "2021-01-31"}),
            {"registry_registered_on": "2021-01-31"},
        )

    def test_apply_writes_stamps_and_posts_only_changes(self):
        messages = len(self.partner.message_ids)
        changed = self.partner._registry_apply({"street": "New 2", "city": "Kraków"}, "Test Registry")
        self.assertEqual(changed, ["street"])
        self.assertEqual(self.partner.registry_source, "Test Registry")
        self.assertTrue(self.partner.registry_checked_at)
        self.assertEqual(len(self.partner.message_ids), messages + 1)
        self.assertIn("Old 1 → New 2", self.partner.message_ids[0].body)
        self.assertEqual(self.partner._registry_apply({"street": "New 2"}, "Test Registry"), [])
        self.assertEqual(len(self.partner.message_ids), messages + 1, "nothing changed: nothing posted")

    def test_locked_channels_are_left_alone(self):
        self.partner.email = "biuro@example.com"
        self.partner.email_ids.action_lock()
        self.assertEqual(self.partner._registry_value_changes({"email": "other@example.com"}), {})

    def test_ended_flag_is_searchable(self):
        self.partner.registry_ended_on = "2024-05-01"
        self.assertTrue(self.partner.registry_ended)
        found = self.env["res.partner"].search([("registry_ended", "=", True)])
        self.assertIn(self.partner, found)
        self.assertNotIn(self.partner, self.env["res.partner"].search([("registry_ended", "=", False)]))

    def test_no_provider_for_a_partner_without_identifiers(self):
        with self.assertRaises(UserError):
            self.partner.action_registry_lookup()


@tagged("post_install", "-at_install")
class TestRegistryPacing(TransactionCase):
    def test_requests_to_one_service_are_spaced_across_clients(self):
        import time

        from ..tools.pacing import pace

        start = time.monotonic()
        for _ in range(4):
            pace("test-service", 0.05)
        self.assertGreaterEqual(time.monotonic() - start, 0.15)
        start = time.monotonic()
        pace("another-service", 0.05)
        self.assertLess(time.monotonic() - start, 0.05, "each service has its own pace")


@tagged("post_install", "-at_install")
class TestRegistryNameRule(TransactionCase):
    def test_a_name_the_user_chose_is_proposed_unchecked(self):
        registry = self.env["crm.client.registry"]
        Partner = self.env["res.partner"]
        found = {"name": "ACME SPÓŁKA Z O.O."}
        self.assertEqual(registry._registry_unchecked_fields(Partner.new({"name": "Acme"}), found), ["name"])
        self.assertEqual(registry._registry_unchecked_fields(Partner.new({"name": "acme spółka z o.o."}), found), [])
        self.assertEqual(registry._registry_unchecked_fields(Partner.new({"name": False}), found), [])
        same = Partner.new({"name": "ACME OLD", "legal_name": "ACME OLD"})
        self.assertEqual(registry._registry_unchecked_fields(same, found), [], "never customized: follows the registry")
        chosen = Partner.new({"name": "Acme", "legal_name": "ACME OLD"})
        self.assertEqual(registry._registry_unchecked_fields(chosen, found), ["name"])
