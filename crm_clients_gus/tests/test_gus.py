import time
from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from ..tools import bir
from .common import GOOGLE_NIP
from .common import PERSON_NIP
from .common import PERSON_REGON
from .common import PERSON_UNIT_REGON
from .common import PZU_KRS
from .common import PZU_NAME
from .common import PZU_NIP
from .common import PZU_REGON
from .common import UNIT_REGON
from .common import GusCase


@tagged("post_install", "-at_install")
class TestGusSearch(GusCase):
    def test_search_by_nip_maps_a_legal_person(self):
        (entity,) = self.env["res.partner"].gus_search(nip=f"PL {PZU_NIP[:3]}-{PZU_NIP[3:]}")
        self.assertEqual(entity["name"], PZU_NAME)
        self.assertEqual(entity["nip"], PZU_NIP)
        self.assertEqual(entity["regon"], PZU_REGON)
        self.assertEqual(entity["krs"], PZU_KRS)
        self.assertEqual(entity["street"], "Rondo Ignacego Daszyńskiego 4")
        self.assertEqual(entity["zip"], "00-843")
        self.assertEqual(entity["city"], "Warszawa")
        self.assertEqual(entity["state_name"], "MAZOWIECKIE")
        self.assertEqual(entity["country_code"], "PL")
        self.assertEqual(entity["entity_type"], "P")
        self.assertEqual(entity["pkd_main"], "65.12.Z")
        self.assertIs(entity["ended_on"], False)
        # One login, the search and the two reports a legal person needs.
        self.assertEqual(self.standin.calls["Zaloguj"], 1)
        self.assertEqual(self.standin.calls["DaneSzukajPodmioty"], 1)
        self.assertEqual(self.standin.calls["DanePobierzPelnyRaport"], 2)
        self.assertTrue(self.standin.received_sid_headers, "the session id travels in the sid HTTP header")

    def test_search_by_regon_and_krs(self):
        self.assertEqual(self.env["res.partner"].gus_search(regon=PZU_REGON)[0]["nip"], PZU_NIP)
        self.assertEqual(self.env["res.partner"].gus_search(krs="9831")[0]["regon"], PZU_REGON)

    def test_natural_person_with_two_activities_and_a_village_address(self):
        entities = self.env["res.partner"].gus_search(nip=PERSON_NIP)
        self.assertEqual(len(entities), 2)
        shop, farm = entities
        self.assertEqual(shop["entity_type"], "F")
        self.assertEqual(shop["pkd_main"], "47.91.Z")
        self.assertEqual(shop["city"], "Łódź")
        # A village without streets: "<village> <number>", the post office city as city.
        self.assertEqual(farm["street"], "Sulów 12")
        self.assertEqual(farm["city"], "Zakrzówek")
        self.assertEqual(farm["zip"], "23-213")
        self.assertEqual(farm["state_name"], "LUBELSKIE")
        self.assertEqual(farm["pkd_main"], "01.11.Z", "the farm's own activity, not the shop's")

    def test_local_unit_by_its_14_digit_regon(self):
        (unit,) = self.env["res.partner"].gus_search(regon=UNIT_REGON)
        self.assertEqual(unit["entity_type"], "LP")
        self.assertEqual(unit["regon"], UNIT_REGON)
        self.assertEqual(unit["street"], "Marszałkowska 10")
        self.assertEqual(self.standin.calls["DanePobierzPelnyRaport"], 2)

    def test_local_unit_of_a_natural_person(self):
        (unit,) = self.env["res.partner"].gus_search(regon=PERSON_UNIT_REGON)
        self.assertEqual(unit["entity_type"], "LF")
        self.assertEqual((unit["street"], unit["zip"], unit["city"]), ("Wólczańska 5", "90-001", "Łódź"))
        self.assertEqual(unit["pkd_main"], "49.32.Z")

    def test_ended_entity_is_flagged(self):
        (entity,) = self.env["res.partner"].gus_search(nip=GOOGLE_NIP)
        self.assertEqual(entity["ended_on"], "2025-06-30")
        partner = self.client(name="Google", vat=GOOGLE_NIP)
        partner.gus_update()
        self.assertTrue(partner.registry_ended)
        self.assertIn(partner, self.env["res.partner"].search([("registry_ended", "=", True)]))

    def test_not_found_is_an_empty_list(self):
        self.assertEqual(self.env["res.partner"].gus_search(nip="1234563218"), [])

    def test_invalid_identifiers_are_refused_before_any_call(self):
        for kwargs in ({"nip": "5260251048"}, {"regon": "010001346"}, {"krs": "12345678901"}, {}):
            with self.subTest(kwargs=kwargs), self.assertRaises(UserError):
                self.env["res.partner"].gus_search(**kwargs)
        self.assertEqual(self.standin.calls["requests"], 0)

    def test_answers_are_cached_per_identifier(self):
        first = self.env["res.partner"].gus_search(nip=PZU_NIP)
        requests = self.standin.calls["requests"]
        self.assertEqual(self.env["res.partner"].gus_search(nip=PZU_NIP), first)
        self.assertEqual(self.standin.calls["requests"], requests, "the second lookup is answered from the cache")
        # An expired cache asks again.
        self.env["ir.config_parameter"].sudo().set_param("crm_clients_gus.cache_hours", "0")
        self.env["res.partner"].gus_search(nip=PZU_NIP)
        self.assertGreater(self.standin.calls["requests"], requests)

    def test_requests_are_paced(self):
        self.env["ir.config_parameter"].sudo().set_param("crm_clients_gus.requests_per_second", "20")
        start = time.monotonic()
        self.env["res.partner"].gus_search(nip=PZU_NIP)  # login, search, 2 reports: 3 gaps of 50 ms
        self.assertGreaterEqual(time.monotonic() - start, 0.15)

    def test_expired_session_is_renewed_once_transparently(self):
        self.env["ir.config_parameter"].sudo().set_param("crm_clients_gus.cache_hours", "0")
        self.env["res.partner"].gus_search(nip=PZU_NIP)
        self.standin.expire_sessions()
        self.assertEqual(self.env["res.partner"].gus_search(regon=PZU_REGON)[0]["nip"], PZU_NIP)
        self.assertEqual(self.standin.calls["Zaloguj"], 2)
        self.assertEqual(self.standin.calls["GetValue"], 1, "StatusSesji said why the answer was empty")


@tagged("post_install", "-at_install")
class TestGusErrors(GusCase):
    def assertGusError(self, message_part, **kwargs):
        partner = self.client(name="Kept As Is", vat=PZU_NIP)
        with self.env.cr.savepoint(), self.assertRaises(UserError) as caught:
            partner.gus_update()
        self.assertIn(message_part, str(caught.exception))
        self.assertEqual(partner.name, "Kept As Is")
        self.assertFalse(partner.street)
        self.assertFalse(partner.registry_checked_at)
        return caught.exception

    def test_rejected_key(self):
        self.env["ir.config_parameter"].sudo().set_param("crm_clients_gus.api_key", "wrong-key")
        self.assertGusError("rejected the API key")

    def test_production_without_a_key(self):
        self.env["ir.config_parameter"].sudo().set_param("crm_clients_gus.environment", "production")
        self.assertGusError("Set your GUS API key")

    def test_maintenance(self):
        self.standin.maintenance = True
        self.assertGusError("Przerwa techniczna")

    def test_timeout(self):
        # Odoo's test framework raises HTTP timeouts below 10 s to 10 s.
        self.env["ir.config_parameter"].sudo().set_param("crm_clients_gus.timeout", "10")
        self.standin.faults.append("hang")
        self.standin.hang_seconds = 10.5
        self.assertGusError("did not answer within 10.0 seconds")

    def test_soap_fault(self):
        self.standin.faults.extend(["soap_fault"])
        self.assertGusError("GUS refused the request")

    def test_http_503(self):
        self.standin.faults.append("http_503")
        self.assertGusError("unavailable")

    def test_malformed_envelope_and_result(self):
        self.standin.faults.append("not_xml")
        self.assertGusError("cannot be read")
        bir.POOL.clear()
        self.standin.faults.extend(["ok", "garbage"])  # the login passes, the search answer is broken
        self.assertGusError("cannot be read")

    def test_unreachable(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "crm_clients_gus.url", "http://127.0.0.1:9/wsBIR/UslugaBIRzewnPubl.svc"
        )
        self.assertGusError("Cannot reach the GUS registry")

    def test_unknown_entity_on_update(self):
        partner = self.client(name="Nobody", vat="1234563218")
        with self.env.cr.savepoint(), self.assertRaises(UserError) as caught:
            partner.gus_update()
        self.assertIn("GUS has no entity with NIP 1234563218", str(caught.exception))

    def test_an_error_on_the_second_partner_writes_nothing_on_the_first(self):
        first = self.client(name="First", vat=PZU_NIP)
        second = self.client(name="Second", vat="1234563218")
        with self.env.cr.savepoint(), self.assertRaises(UserError):
            (first | second).gus_update()
        self.assertFalse(first.street)

    def test_unknown_field_names(self):
        with self.assertRaises(UserError):
            self.client(name="X", vat=PZU_NIP).gus_update(field_names=["street", "comment"])
        self.assertEqual(self.standin.calls["requests"], 0)


@tagged("post_install", "-at_install")
class TestGusUpdate(GusCase):
    def test_update_writes_the_registry_values_and_posts_them(self):
        partner = self.client(name=PZU_NAME, vat=PZU_NIP, city="Old City", comment="kept")
        (result,) = partner.gus_update()
        self.assertEqual(result["partner_id"], partner.id)
        self.assertEqual(
            set(result["changed"]),
            {"legal_name", "street", "zip", "city", "state_id", "regon", "krs", "email", "phone", "website",
             "registry_industry_code", "registry_industry_name", "registry_legal_form", "registry_registered_on"},
        )  # fmt: skip
        self.assertEqual(partner.street, "Rondo Ignacego Daszyńskiego 4")
        self.assertEqual(partner.zip, "00-843")
        self.assertEqual(partner.city, "Warszawa")
        self.assertEqual(partner.state_id, self.env.ref("crm_clients_gus.state_pl_14"))
        self.assertEqual(partner.krs, PZU_KRS)
        self.assertEqual(partner.email, "kontakt@pzu.pl")
        self.assertEqual(partner.registry_industry_code, "65.12.Z")
        self.assertEqual(partner.registry_legal_form, "SPÓŁKI AKCYJNE")
        self.assertEqual(partner.registry_source, "GUS")
        self.assertTrue(partner.registry_checked_at)
        self.assertEqual(partner.comment, "<p>kept</p>")
        message = partner.message_ids[0]
        self.assertIn("Updated from GUS", message.body)
        self.assertIn("Old City → Warszawa", message.body)
        # Nothing changed: nothing posted.
        messages = len(partner.message_ids)
        self.assertEqual(partner.gus_update()[0]["changed"], [])
        self.assertEqual(len(partner.message_ids), messages)

    def test_only_the_fields_asked_for(self):
        partner = self.client(name="PZU", vat=PZU_NIP)
        (result,) = partner.gus_update(field_names=["street", "zip"])
        self.assertEqual(sorted(result["changed"]), ["street", "zip"])
        self.assertFalse(partner.city)

    def test_registry_never_erases_and_keeps_a_chosen_name(self):
        partner = self.client(name="PZU (our trade name)", vat=PZU_NIP, street2="Floor 3", mobile="+48 601 000 000")
        partner.gus_update()
        self.assertEqual(partner.name, "PZU (our trade name)", "a name the user chose is not replaced")
        self.assertEqual(partner.legal_name, PZU_NAME, "the registered name goes to the legal name")
        self.assertEqual(partner.street2, "Floor 3", "GUS has no second street line here: kept")
        self.assertTrue(partner.mobile)
        partner.gus_update(field_names=["name"])
        self.assertEqual(partner.name, PZU_NAME, "asked for explicitly, the name is written")

    def test_locked_email_is_left_alone(self):
        partner = self.client(name=PZU_NAME, vat=PZU_NIP, email="biuro@example.com")
        partner.email_ids.action_lock()
        changed = partner.gus_update()[0]["changed"]
        self.assertNotIn("email", changed)
        self.assertEqual(partner.email, "biuro@example.com")

    def test_partner_with_regon_picks_its_own_activity(self):
        partner = self.client(name="Jan", vat=PERSON_NIP)
        partner.gus_update()
        self.assertEqual(partner.registry_industry_code, "47.91.Z", "the active business, first listed")
        self.assertEqual(partner.regon, PERSON_REGON)

    def test_update_many_uses_one_session_and_logs_out(self):
        partners = self.client(name="A", vat=PZU_NIP) | self.client(name="B", regon=PERSON_REGON)
        partners |= self.client(name="C", regon=UNIT_REGON)
        results = partners.gus_update()
        self.assertEqual(len(results), 3)
        self.assertEqual(self.standin.calls["Zaloguj"], 1)
        self.assertEqual(self.standin.calls["Wyloguj"], 1)
        self.assertLessEqual(self.standin.calls["requests"] - 2, 3 * 4, "at most 4 requests per client")
        self.assertFalse(self.standin.sessions)

    def test_access_rights(self):
        partner = self.client(name="PZU", vat=PZU_NIP)
        portal = self.env["res.users"].create(
            {"name": "Portal", "login": "gus-portal", "groups_id": [(6, 0, [self.env.ref("base.group_portal").id])]}
        )
        with self.assertRaises(Exception):  # noqa: B017 - AccessError or a missing-record error
            partner.with_user(portal).gus_update()
        self.assertFalse(partner.street)


@tagged("post_install", "-at_install")
class TestGusWizard(GusCase):
    def test_compare_then_update_checked_fields_only(self):
        partner = self.client(name="PZU", vat=PZU_NIP, city="Kraków")
        action = partner.action_gus_fetch()
        wizard = self.env["crm.client.registry.wizard"].browse(action["res_id"])
        self.assertEqual(wizard.state, "compare")
        lines = {line.field_name: line for line in wizard.line_ids}
        self.assertEqual(lines["city"].current_value, "Kraków")
        self.assertEqual(lines["city"].new_value, "Warszawa")
        self.assertTrue(lines["city"].apply)
        self.assertEqual(lines["state_id"].new_value, "Mazowieckie (PL)")
        self.assertFalse(lines["name"].apply, "a chosen trade name is shown but not pre-checked")
        self.assertTrue(lines["vat"].current_value == lines["vat"].new_value and not lines["vat"].apply)
        lines["city"].apply = False
        wizard.action_apply()
        self.assertEqual(partner.city, "Kraków")
        self.assertEqual(partner.street, "Rondo Ignacego Daszyńskiego 4")
        self.assertIn("Updated from GUS", partner.message_ids[0].body)

    def test_several_entities_let_the_user_pick_one(self):
        partner = self.client(name="Jan", vat=PERSON_NIP)
        action = partner.action_gus_fetch()
        wizard = self.env["crm.client.registry.wizard"].browse(action["res_id"])
        self.assertEqual(wizard.state, "candidate")
        self.assertEqual(len(wizard.candidate_ids), 2)
        farm = wizard.candidate_ids.filtered(lambda c: "Gospodarstwo" in c.name)
        self.assertIn("Zakrzówek", farm.description)
        wizard.candidate_id = farm
        wizard.action_compare()
        wizard.action_apply()
        self.assertEqual(partner.city, "Zakrzówek")
        self.assertEqual(partner.registry_industry_code, "01.11.Z")

    def test_not_found_and_no_identifier(self):
        with self.assertRaises(UserError):
            self.client(name="Nobody", vat="1234563218").action_gus_fetch()
        with self.assertRaises(UserError):
            self.client(name="No IDs").action_registry_lookup()

    def test_new_client_form_offers_to_fill_from_a_nip(self):
        form = Form(self.env["res.partner"].with_context(default_is_company=True))
        form.country_id = self.pl
        form.vat = PZU_NIP
        self.assertIn(PZU_NAME, form.gus_offer)
        form.gus_fill = True
        self.assertEqual(form.name, PZU_NAME)
        self.assertEqual(form.street, "Rondo Ignacego Daszyńskiego 4")
        self.assertEqual(form.regon, PZU_REGON)
        self.assertFalse(form.gus_offer)
        partner = form.save()
        self.assertEqual(partner.krs, PZU_KRS)
        self.assertEqual(partner.registry_source, "GUS")

    def test_no_offer_for_existing_partners_or_foreign_numbers(self):
        partner = self.client(name="Existing")
        with Form(partner) as form:
            form.vat = PZU_NIP
            self.assertFalse(form.gus_offer)
        form = Form(self.env["res.partner"])
        form.country_id = self.env.ref("base.de")
        form.vat = "DE123456788"
        self.assertFalse(form.gus_offer)
        self.assertEqual(self.standin.calls["requests"], 0)


@tagged("post_install", "-at_install")
class TestGusScheduledRefresh(GusCase):
    def test_cron_refreshes_in_batches_with_one_session(self):
        partner_model = self.env["res.partner"]
        stale = fields.Datetime.now() - timedelta(days=60)
        clients = self.client(name="A", vat=PZU_NIP) | self.client(name="B", regon=PERSON_REGON)
        clients |= self.client(name="Unknown", vat="1234563218")
        fresh = self.client(name="Fresh", regon=UNIT_REGON)
        fresh.registry_checked_at = fields.Datetime.now()
        clients.registry_checked_at = stale
        others = partner_model.search(partner_model._gus_refresh_domain()) - clients
        others.registry_checked_at = fields.Datetime.now()  # demo data stays out of this test
        self.assertEqual(partner_model._cron_gus_refresh(batch_size=2), 1)
        self.assertEqual(partner_model._cron_gus_refresh(batch_size=2), 0)
        self.assertEqual(clients[0].street, "Rondo Ignacego Daszyńskiego 4")
        self.assertTrue(all(clients.mapped("registry_checked_at")))
        self.assertIn("GUS has no entity", clients[2].message_ids[0].body)
        self.assertFalse(fresh.street, "checked recently: not refreshed")
        self.assertEqual(self.standin.calls["Zaloguj"], 1, "one session across the batches")
        self.assertEqual(self.standin.calls["Wyloguj"], 1, "closed when nothing remains")

    def test_service_errors_stop_the_run(self):
        client = self.client(name="A", vat=PZU_NIP)
        others = self.env["res.partner"].search(self.env["res.partner"]._gus_refresh_domain()) - client
        others.registry_checked_at = fields.Datetime.now()
        self.standin.maintenance = True
        with self.env.cr.savepoint(), self.assertRaises(UserError):
            self.env["res.partner"]._cron_gus_refresh()
        self.assertFalse(client.registry_checked_at, "retried on the next run")

    def test_server_action_on_a_selection(self):
        clients = self.client(name="A", vat=PZU_NIP) | self.client(name="B", vat=PERSON_NIP)
        action = self.env.ref("crm_clients_gus.action_server_gus_refresh")
        result = action.with_context(active_model="res.partner", active_ids=clients.ids).run()
        self.assertEqual(result["params"]["type"], "success")
        self.assertIn("2 clients refreshed from GUS", result["params"]["message"])
        self.assertEqual(clients[1].registry_industry_code, "47.91.Z")


@tagged("post_install", "-at_install")
class TestGusTranslations(GusCase):
    def test_a_polish_user_reads_gus_errors_in_polish(self):
        self.env["res.lang"]._activate_lang("pl_PL")
        self.env["ir.module.module"].search([("name", "=", "crm_clients_gus")])._update_translations(["pl_PL"])
        self.env["ir.config_parameter"].sudo().set_param("crm_clients_gus.api_key", "wrong-key")
        partner = self.client(name="Klient", vat=PZU_NIP).with_context(lang="pl_PL")
        with self.env.cr.savepoint(), self.assertRaises(UserError) as caught:
            partner.gus_update()
        self.assertIn("GUS odrzucił klucz API", str(caught.exception))
