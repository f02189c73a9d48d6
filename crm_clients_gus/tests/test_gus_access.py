from odoo.addons.crm_clients.tests.hostile_standin import HostileStandin
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from ..tools import bir
from .common import PZU_NAME
from .common import PZU_NIP
from .common import GusCase
from .common import standard_registry

OFFER_SPEC = {"vat": {}, "country_id": {}, "gus_offer": {}, "gus_offer_failed": {}, "gus_fill": {}, "name": {}}


@tagged("post_install", "-at_install")
class TestGusAccess(GusCase):
    """Registry lookups spend the company's quota and GUS key: internal users only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal = new_test_user(cls.env, login="gus_portal_user", groups="base.group_portal")
        cls.public = cls.env.ref("base.public_user")
        cls.employee = new_test_user(cls.env, login="gus_employee", groups="base.group_user")
        cls.contact_editor = new_test_user(
            cls.env, login="gus_contact_editor", groups="base.group_user,base.group_partner_manager"
        )

    def entry_points(self, partner, wizard):
        """Every public way into GUS, as callables of an environment."""
        pl = self.pl.id
        return {
            "gus_search": lambda env: env["res.partner"].gus_search(nip=PZU_NIP),
            "gus_update": lambda env: partner.with_env(env).gus_update(),
            "action_gus_fetch": lambda env: partner.with_env(env).action_gus_fetch(),
            "action_gus_refresh": lambda env: partner.with_env(env).action_gus_refresh(),
            "registry_search": lambda env: env["res.partner"].registry_search("gus", PZU_NIP),
            "registry_update": lambda env: partner.with_env(env).registry_update("gus"),
            "action_registry_lookup": lambda env: partner.with_env(env).action_registry_lookup(),
            "wizard.action_lookup": lambda env: wizard.with_env(env).action_lookup(),
            "offer while typing": lambda env: env["res.partner"].onchange(
                {"vat": PZU_NIP, "country_id": pl}, ["vat"], OFFER_SPEC
            ),
            "fill from the offer": lambda env: env["res.partner"].onchange(
                {"vat": PZU_NIP, "country_id": pl, "gus_fill": True}, ["gus_fill"], OFFER_SPEC
            ),
            # the provider's own methods, behind the shared cache
            "_gus_entities": lambda env: env["crm.client.registry.gus"]._gus_entities(nip=PZU_NIP),
            "_registry_lookup": lambda env: env["crm.client.registry.gus"]._registry_lookup(partner),
        }

    def test_portal_and_public_users_are_refused_before_any_request(self):
        partner = self.client(name="Protected", vat=PZU_NIP)
        wizard = self.env["crm.client.registry.wizard"].create(
            {"partner_id": partner.id, "provider": "crm.client.registry.gus"}
        )
        for user in (self.portal, self.public):
            env = self.env(user=user)
            for name, call in self.entry_points(partner, wizard).items():
                with self.subTest(user=user.login, entry_point=name), self.assertRaises(AccessError) as caught:
                    call(env)
                self.assertIn("Only internal users can look up", str(caught.exception))
        self.assertFalse(self.standin.calls, "GUS received no request at all")
        self.assertFalse(partner.street)
        self.assertFalse(self.env["crm.client.registry.cache"].sudo().search([]))

    def test_every_installed_provider_refuses_below_the_entry_points(self):
        """The interface's own guard (shared cache and settings), for any provider."""
        counting = HostileStandin("huge")
        counting.start()
        self.addCleanup(counting.stop)
        params = self.env["ir.config_parameter"].sudo()
        providers = self.env["crm.client.registry"]._registry_providers()
        self.assertGreaterEqual(len(providers), 1)
        valid = {"vies": "LU26375245", "brreg": "991825827", "prh": "0112038-9", "mf_whitelist": "7740001454"}
        for provider in providers:
            identifier = valid.get(provider._name.removeprefix("crm.client.registry."), PZU_NIP)
            prefix = provider._name.replace("crm.client.registry.", "crm_clients_")
            if provider._name != "crm.client.registry.gus":
                params.set_param(f"{prefix}.url", counting.url)
            for user in (self.portal, self.public):
                with self.subTest(provider=provider._name, user=user.login), self.assertRaises(AccessError):
                    provider.with_user(user)._registry_search(identifier)
        self.assertFalse(counting.calls)
        self.assertFalse(self.standin.calls)

    def test_employees_search_and_update_with_write_access_on_partners(self):
        partner = self.client(name="Employee's", vat=PZU_NIP)
        employee = self.env["res.partner"].with_user(self.employee)
        self.assertEqual(employee.gus_search(nip=PZU_NIP)[0]["name"], PZU_NAME)
        self.assertEqual(employee.registry_search("gus", PZU_NIP)[0]["name"], PZU_NAME)
        asked = self.standin.calls["requests"]
        with self.assertRaises(AccessError):
            partner.with_user(self.employee).gus_update()
        with self.assertRaises(AccessError):
            partner.with_user(self.employee).registry_update("gus")
        self.assertEqual(self.standin.calls["requests"], asked, "refused before asking GUS")
        self.assertFalse(partner.street)
        (result,) = partner.with_user(self.contact_editor).gus_update()
        self.assertIn("street", result["changed"])
        self.assertEqual(partner.street, "Rondo Ignacego Daszyńskiego 4")

    def test_the_scheduled_refresh_still_runs(self):
        partner = self.client(name="Cron", vat=PZU_NIP)
        others = self.env["res.partner"].search(self.env["res.partner"]._gus_refresh_domain()) - partner
        others.registry_checked_at = self.env.cr.now()  # demo data stays out of this test
        cron = self.env.ref("crm_clients_gus.ir_cron_gus_refresh")
        self.env["res.partner"].with_user(cron.user_id)._cron_gus_refresh()
        self.assertEqual(partner.street, "Rondo Ignacego Daszyńskiego 4")


@tagged("post_install", "-at_install")
class TestGusOffer(GusCase):
    """The offer made while a NIP is typed never makes the form wait for a slow GUS."""

    def offer(self, **values):
        return self.env["res.partner"].onchange(
            {"vat": PZU_NIP, "country_id": self.pl.id, **values}, list(values) or ["vat"], OFFER_SPEC
        )

    def test_a_slow_gus_gives_a_notification_and_writes_nothing(self):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("crm_clients_gus.offer_timeout", "1")
        params.set_param("crm_clients_gus.cache_hours", "24")
        # Each request answers (tests stretch request timeouts to 10 s), but the lookup
        # as a whole is past its deadline after the first one.
        self.standin.delay = 1.2
        result = self.offer()
        self.assertEqual(result["warning"]["type"], "notification")
        self.assertIn("GUS did not answer within 1.0 seconds", result["warning"]["message"])
        self.assertIn("Fetch from GUS", result["warning"]["message"])
        self.assertTrue(result["value"]["gus_offer_failed"])
        self.assertFalse(result["value"].get("gus_offer"))
        self.assertEqual(self.standin.calls["requests"], 1, "no request once the time is up")
        self.assertFalse(self.env["crm.client.registry.cache"].sudo().search([]), "no answer cached")
        self.assertFalse(self.env["res.partner"].search([("vat", "=", PZU_NIP)]))

    def test_errors_are_notifications_not_errors(self):
        self.standin.maintenance = True
        result = self.offer()
        self.assertIn("unavailable (maintenance)", result["warning"]["message"])
        self.assertTrue(result["value"]["gus_offer_failed"])
        self.standin.maintenance = False
        self.standin.faults.append("http_503")
        result = self.offer(gus_fill=True)
        self.assertIn("unavailable", result["warning"]["message"])
        self.assertNotIn("name", result["value"], "nothing filled")

    def test_the_offer_comes_from_the_cache_while_gus_is_down(self):
        self.env["ir.config_parameter"].sudo().set_param("crm_clients_gus.cache_hours", "24")
        self.assertIn(PZU_NAME, self.offer()["value"]["gus_offer"])
        asked = self.standin.calls["requests"]
        self.standin.maintenance = True
        self.assertIn(PZU_NAME, self.offer()["value"]["gus_offer"])
        self.assertEqual(self.offer(gus_fill=True)["value"]["name"], PZU_NAME)
        self.assertEqual(self.standin.calls["requests"], asked, "answered from the cache")


@tagged("post_install", "-at_install")
class TestGusHostileAnswers(GusCase):
    def test_a_huge_answer_is_refused(self):
        partner = self.client(name="Kept", vat=PZU_NIP)
        self.standin.faults.append("huge")
        with self.env.cr.savepoint(), self.assertRaises(UserError) as caught:
            partner.gus_update()
        self.assertIn("GUS sent an answer that cannot be read", str(caught.exception))
        self.assertFalse(partner.street)

    def test_a_redirect_is_not_followed(self):
        target = HostileStandin("huge")
        target.start()
        self.addCleanup(target.stop)
        self.standin.redirect_to = target.url
        self.standin.faults.append("redirect")
        partner = self.client(name="Kept", vat=PZU_NIP)
        with self.env.cr.savepoint(), self.assertRaises(UserError) as caught:
            partner.gus_update()
        self.assertIn("HTTP 307", str(caught.exception))
        self.assertFalse(target.calls)
        self.assertFalse(partner.street)

    def test_schemas_are_loaded_from_the_configured_host_only(self):
        elsewhere = HostileStandin("huge")
        elsewhere.start()
        self.addCleanup(elsewhere.stop)
        standin = standard_registry()
        standin.schema_location = f"{elsewhere.url}/DataContract.xsd"
        standin.start()
        self.addCleanup(standin.stop)
        self.env["ir.config_parameter"].sudo().set_param("crm_clients_gus.url", standin.url)
        bir.POOL.clear()
        with self.assertRaises(UserError) as caught:
            self.env["res.partner"].gus_search(nip=PZU_NIP)
        self.assertIn("is not on the registry's configured hosts", str(caught.exception))
        self.assertFalse(elsewhere.calls)
