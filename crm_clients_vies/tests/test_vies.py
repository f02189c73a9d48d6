from datetime import timedelta

from odoo import fields
from odoo.addons.crm_clients.tests.common import serve_registry
from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged

from ..tools import vies
from .vies_standin import ViesStandin

OWN_VAT = ("PL", "5260250274")  # the company's own number, sent as the requester


class ViesCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.standin = ViesStandin()
        cls.standin.add(
            "LU", "26375245", "AMAZON EUROPE CORE S.A R.L.", "38, AVENUE JOHN F. KENNEDY\nL-1855  LUXEMBOURG"
        )
        cls.standin.add("DE", "811569869")  # valid, Germany discloses nothing
        cls.standin.add("NL", "805734958B01", "Example B.V.", "KEIZERSGRACHT 00062\n1015CS AMSTERDAM")
        cls.standin.add(*OWN_VAT, "MINISTERSTWO FINANSÓW", "ŚWIĘTOKRZYSKA 12\n00-916 WARSZAWA")
        serve_registry(cls, cls.standin, "crm_clients_vies", cache_hours="0")
        params = cls.env["ir.config_parameter"].sudo()
        params.set_param("crm_clients_vies.wsdl_url", cls.standin.wsdl_url)
        params.set_param("crm_clients_vies.retry_minutes", "5")
        params.set_param("crm_clients_vies.retry_attempts", "12")
        cls.env.company.write({"country_id": cls.env.ref("base.pl").id, "vat": "".join(OWN_VAT)})

    def setUp(self):
        super().setUp()
        self.standin.faults.clear()
        self.standin.restore()
        self.standin.calls.clear()
        self.standin.received.clear()

    def partner(self, country, vat, **vals):
        return self.env["res.partner"].create(
            {
                "name": vals.pop("name", "Client"),
                "is_company": True,
                "country_id": self.env.ref(country).id,
                "vat": vat,
                **vals,
            }
        )

    def make_due(self, *partners):
        for partner in partners:
            partner.vies_retry_at = fields.Datetime.now() - timedelta(seconds=1)

    def retry(self):
        return self.env["res.partner"]._cron_vies_retry()


@tagged("post_install", "-at_install")
class TestVies(ViesCase):
    def test_valid_with_name_address_and_consultation_number(self):
        partner = self.partner("base.lu", "LU26375245", name="Amazon")
        (result,) = partner.registry_update("vies")
        self.assertEqual(partner.vies_status, "valid")
        self.assertEqual(partner.legal_name, "AMAZON EUROPE CORE S.A R.L.")
        self.assertEqual(partner.name, "Amazon", "a chosen name is kept")
        self.assertEqual(
            (partner.street, partner.zip, partner.city), ("38, AVENUE JOHN F. KENNEDY", "1855", "LUXEMBOURG")
        )
        self.assertIn("street", result["changed"])
        # The proof: the consultation number VIES issued for this question, and its day.
        (question,) = self.standin.received
        self.assertEqual(
            (question["operation"], question["requester"]), ("checkVatApprox", "PL5260250274"), "asked as ourselves"
        )
        self.assertEqual(partner.vies_request_identifier, self.standin.issued[-1])
        self.assertRegex(partner.vies_request_identifier, r"^WAPI[A-Za-z]{12}$")
        self.assertEqual(partner.vies_request_date, fields.Date.context_today(partner))
        self.assertEqual(partner.vies_checked_vat, "LU26375245")
        log = partner.message_ids.filtered(lambda m: partner.vies_request_identifier in (m.body or ""))
        self.assertTrue(log, "the consultation is logged in the chatter")
        self.assertIn("LU26375245 is a valid VAT number", log[0].body)
        self.assertIn("asked as PL5260250274", log[0].body)

    def test_valid_without_disclosed_data_erases_nothing(self):
        partner = self.partner("base.de", "DE811569869", street="Hauptstraße 1", city="Berlin")
        partner.registry_update("vies")
        self.assertEqual(partner.vies_status, "valid")
        self.assertTrue(partner.vies_request_identifier)
        self.assertEqual((partner.street, partner.city), ("Hauptstraße 1", "Berlin"))

    def test_invalid_number_is_final_and_has_no_consultation_number(self):
        partner = self.partner("base.lu", "LU12345613")
        partner.registry_update("vies")
        self.assertEqual(partner.vies_status, "invalid", "a well-formed number VIES does not know")
        self.assertFalse(partner.vies_request_identifier, "VIES gives none for an invalid number")
        self.assertEqual(partner.vies_request_date, fields.Date.context_today(partner))
        self.assertIn("gives no consultation number", partner.message_ids[0].body)
        self.make_due(partner)
        self.retry()
        self.assertEqual(self.standin.calls["requests"], 1, "a final answer is not asked again")

    def test_without_the_companys_own_vat_the_check_has_no_consultation_number(self):
        self.env.company.vat = False
        partner = self.partner("base.lu", "LU26375245")
        partner.registry_update("vies")
        self.assertEqual(partner.vies_status, "valid")
        self.assertFalse(partner.vies_request_identifier)
        self.assertEqual(self.standin.received[-1]["requester"], "", "no requester sent")
        log = partner.message_ids.filtered(lambda m: "no EU VAT number" in (m.body or ""))
        self.assertIn(f"{self.env.company.name} has no EU VAT number to send as the requester", log.body)

    def test_a_requester_vies_refuses_is_said_and_the_number_checked_without_it(self):
        self.env.company.vat = "PL7740001454"  # well formed, but not registered for intra-EU trade
        partner = self.partner("base.lu", "LU26375245")
        partner.registry_update("vies")
        self.assertEqual(partner.vies_status, "valid")
        self.assertFalse(partner.vies_request_identifier)
        self.assertEqual([q["requester"] for q in self.standin.received], ["PL7740001454", ""])
        self.assertEqual(self.standin.calls["fault INVALID_REQUESTER_INFO"], 1)
        log = partner.message_ids.filtered(lambda m: "as the requester" in (m.body or ""))
        self.assertIn("VIES refused PL7740001454, the VAT number of", log.body)
        self.assertIn("registered for intra-EU trade", log.body)

    def test_an_outage_makes_the_check_pending_then_retried_with_backoff_until_final(self):
        partner = self.partner("base.lu", "LU26375245")
        self.standin.outage("LU", "MS_UNAVAILABLE")
        before = fields.Datetime.now()
        (result,) = partner.registry_update("vies")  # no error: the user is not asked to retry
        self.assertEqual(result["changed"], [])
        self.assertEqual(partner.vies_status, "pending")
        self.assertEqual((partner.vies_attempts, partner.vies_error_code), (1, "MS_UNAVAILABLE"))
        self.assertIn("LU numbers right now", partner.vies_error)
        self.assertAlmostEqual(partner.vies_retry_at, before + timedelta(minutes=5), delta=timedelta(seconds=5))
        self.assertIn("pending and will be retried automatically", partner.message_ids[0].body)
        cron = self.env.ref("crm_clients_vies.ir_cron_vies_retry")
        trigger = self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)], order="id desc", limit=1)
        self.assertAlmostEqual(trigger.call_at, partner.vies_retry_at, delta=timedelta(minutes=1))

        self.assertEqual(self.retry(), 0)
        self.assertEqual(self.standin.calls["requests"], 1, "not due yet: not asked")

        self.make_due(partner)
        before = fields.Datetime.now()
        self.retry()
        self.assertEqual((partner.vies_status, partner.vies_attempts), ("pending", 2))
        self.assertAlmostEqual(partner.vies_retry_at, before + timedelta(minutes=10), delta=timedelta(seconds=5))

        self.standin.restore("LU")
        self.make_due(partner)
        self.retry()
        self.assertEqual(partner.vies_status, "valid")
        self.assertEqual(partner.vies_request_identifier, self.standin.issued[-1])
        self.assertEqual(partner.city, "LUXEMBOURG", "what the user asked for is applied")
        self.assertFalse(partner.vies_retry_at or partner.vies_attempts or partner.vies_error)
        self.assertEqual(self.standin.calls["requests"], 3)

    def test_backoff_doubles_up_to_six_hours_and_gives_up_after_the_last_attempt(self):
        self.env["ir.config_parameter"].sudo().set_param("crm_clients_vies.retry_attempts", "8")
        partner = self.partner("base.lu", "LU26375245")
        self.standin.outage("LU", "MS_MAX_CONCURRENT_REQ")
        partner.registry_update("vies")
        delays = []
        for _attempt in range(7):
            delays.append(round((partner.vies_retry_at - fields.Datetime.now()).total_seconds() / 60))
            self.make_due(partner)
            self.retry()
        self.assertEqual(delays, [5, 10, 20, 40, 80, 160, 320])
        self.assertEqual((partner.vies_status, partner.vies_attempts), ("pending", 8))
        self.assertEqual(round((partner.vies_retry_at - fields.Datetime.now()).total_seconds() / 60), 360)
        self.make_due(partner)
        self.retry()
        self.assertEqual(partner.vies_status, "error")
        self.assertIn("after 8 attempts", partner.vies_error)
        self.assertFalse(partner.vies_retry_at)
        self.assertEqual(self.standin.calls["requests"], 9)

    def test_every_transient_fault_is_pending_and_other_faults_are_errors(self):
        for fault in sorted(vies.TRANSIENT - {"UNREACHABLE"}):
            with self.subTest(fault=fault):
                partner = self.partner("base.lu", "LU26375245")
                self.standin.faults.append(fault)
                partner.registry_update("vies")
                self.assertEqual((partner.vies_status, partner.vies_error_code), ("pending", fault))
        for fault, message in (("INVALID_INPUT", "not shaped like"), ("VAT_BLOCKED", "VAT_BLOCKED")):
            with self.subTest(fault=fault):
                partner = self.partner("base.lu", "LU26375245")
                self.standin.faults.append(fault)
                with self.env.cr.savepoint(), self.assertRaises(UserError) as caught:
                    partner.registry_update("vies")
                self.assertIn(message, str(caught.exception))
                self.assertFalse(partner.vies_status)

    def test_an_unreachable_service_is_pending(self):
        # The WSDL still comes from the stand-in: only the service address answers nothing.
        self.env["ir.config_parameter"].sudo().set_param("crm_clients_vies.url", "http://127.0.0.1:9/nowhere")
        partner = self.partner("base.de", "DE811569869")
        partner.registry_update("vies")
        self.assertEqual((partner.vies_status, partner.vies_error_code), ("pending", "UNREACHABLE"))
        self.assertIn("cannot be reached", partner.vies_error)

    def test_a_member_state_found_down_is_not_asked_again_in_the_same_run(self):
        lu_1 = self.partner("base.lu", "LU26375245")
        lu_2 = self.partner("base.lu", "LU 263 752 45")
        de = self.partner("base.de", "DE811569869")
        self.standin.outage("LU")
        self.standin.outage("DE", requests=1)
        (lu_1 | lu_2 | de).registry_update("vies")
        self.assertEqual(set((lu_1 | lu_2 | de).mapped("vies_status")), {"pending"})
        self.standin.calls.clear()
        self.make_due(lu_1, lu_2, de)
        self.assertEqual(self.retry(), 0)
        self.assertEqual(self.standin.calls["requests"], 2, "LU once, DE once")
        self.assertEqual((lu_1.vies_status, lu_1.vies_attempts), ("pending", 2))
        self.assertEqual((lu_2.vies_status, lu_2.vies_attempts), ("pending", 1), "waits without an attempt")
        self.assertGreater(lu_2.vies_retry_at, fields.Datetime.now(), "rescheduled, not left due")
        self.assertEqual(de.vies_status, "valid")

    def test_vies_itself_down_ends_the_run(self):
        partners = self.partner("base.lu", "LU26375245") | self.partner("base.de", "DE811569869")
        self.standin.faults.extend(["SERVICE_UNAVAILABLE", "SERVICE_UNAVAILABLE"])
        partners.registry_update("vies")
        self.standin.calls.clear()
        self.standin.faults.append("GLOBAL_MAX_CONCURRENT_REQ")
        self.make_due(*partners)
        self.assertEqual(self.retry(), 0)
        self.assertEqual(self.standin.calls["requests"], 1)
        self.assertEqual(partners.mapped("vies_status"), ["pending", "pending"])
        self.assertTrue(all(p.vies_retry_at > fields.Datetime.now() for p in partners))

    def test_a_changed_number_is_never_given_a_stale_result(self):
        pending = self.partner("base.lu", "LU26375245")
        valid = self.partner("base.nl", "NL805734958B01")
        valid.registry_update("vies")
        self.standin.outage("LU")
        pending.registry_update("vies")
        pending.vat = "LU12345613"
        valid.vat = "NL000099998B57"
        for partner in pending | valid:
            self.assertFalse(partner.vies_status, "the result of the former number is forgotten")
            self.assertFalse(partner.vies_request_identifier or partner.vies_retry_at or partner.vies_checked_vat)
        self.standin.restore()
        self.standin.calls.clear()
        self.retry()
        self.assertFalse(self.standin.calls["requests"], "the dropped check is not retried")

        # A number changed without going through write() (SQL, another program):
        # the retry sees it and drops the check instead of writing the old answer.
        self.standin.outage("DE")
        changed = self.partner("base.de", "DE811569869")
        changed.registry_update("vies")
        self.standin.restore()
        self.env.flush_all()
        self.env.cr.execute("UPDATE res_partner SET vat = 'DE000000000' WHERE id = %s", [changed.id])
        changed.invalidate_recordset(["vat"])
        self.make_due(changed)
        self.standin.calls.clear()
        self.retry()
        self.assertFalse(changed.vies_status)
        self.assertFalse(self.standin.calls["requests"])

    def test_search_during_an_outage_is_a_clear_error(self):
        (answer,) = self.env["res.partner"].registry_search("vies", "NL805734958B01")
        self.assertTrue(answer["valid"])
        self.assertEqual((answer["zip"], answer["city"]), ("1015CS", "AMSTERDAM"))
        self.assertEqual(answer["request_identifier"], self.standin.issued[-1])
        self.standin.outage("NL")
        with self.assertRaises(UserError) as caught:
            self.env["res.partner"].registry_search("vies", "NL805734958B01")
        self.assertIn("NL numbers right now", str(caught.exception))

    def test_huge_answers_and_redirects_are_refused(self):
        partner = self.partner("base.lu", "LU26375245")
        target = ViesStandin()
        target.start()
        self.addCleanup(target.stop)
        self.standin.redirect_to = target.url
        for fault, message in (("huge", "cannot be read"), ("redirect", "redirection (HTTP 307)")):
            with self.subTest(fault=fault):
                self.standin.faults.append(fault)
                with self.env.cr.savepoint(), self.assertRaises(UserError) as caught:
                    partner.registry_update("vies")
                self.assertIn(message, str(caught.exception))
                self.assertFalse(partner.vies_status)
        self.assertFalse(target.calls, "a redirect is not followed")

    def test_answers_are_cached_per_requester(self):
        self.env["ir.config_parameter"].sudo().set_param("crm_clients_vies.cache_hours", "24")
        first = self.partner("base.lu", "LU26375245")
        first.registry_update("vies")
        second = self.partner("base.lu", "LU 263 752 45")
        second.registry_update("vies")
        self.assertEqual(self.standin.calls["requests"], 1)
        self.assertEqual(second.vies_request_identifier, first.vies_request_identifier, "the same consultation")
        other_company = self.env["res.company"].create({"name": "Other Co", "vat": False})
        third = self.partner("base.lu", "LU26375245", company_id=other_company.id)
        third.registry_update("vies")
        self.assertEqual(self.standin.calls["requests"], 2, "another requester asks on its own")
        self.assertFalse(third.vies_request_identifier)

    def test_wizard(self):
        partner = self.partner("base.nl", "NL805734958B01", name="Example")
        action = partner.action_registry_lookup(provider="crm.client.registry.vies")
        wizard = self.env["crm.client.registry.wizard"].browse(action["res_id"])
        lines = {line.field_name: line for line in wizard.line_ids}
        self.assertTrue(lines["street"].apply)
        self.assertFalse(lines["name"].apply)
        self.assertEqual(partner.vies_status, "valid", "recorded when VIES answered")
        wizard.action_apply()
        self.assertEqual(partner.city, "AMSTERDAM")

        other = self.partner("base.de", "DE811569869")
        self.standin.outage("DE")
        action = other.action_registry_lookup(provider="crm.client.registry.vies")
        self.assertEqual(action["tag"], "display_notification")
        self.assertIn("pending: it will be retried automatically", action["params"]["message"])
        self.assertEqual(other.vies_status, "pending")

    def test_bulk_update_counts_pending_checks(self):
        good = self.partner("base.lu", "LU26375245")
        later = self.partner("base.de", "DE811569869")
        bad = self.partner("base.nl", "NL805734958B01")
        self.standin.outage("DE")
        self.standin.outage("NL", "INVALID_INPUT")
        action = self.env.ref("crm_clients_vies.action_server_vies_update")
        result = action.with_context(active_model="res.partner", active_ids=(good | later | bad).ids).run()
        message = result["params"]["message"]
        self.assertIn("1 failed", message)
        self.assertIn("1 pending", message)
        self.assertEqual((good.vies_status, later.vies_status, bad.vies_status), ("valid", "pending", False))

    def test_the_scheduled_action_runs_as_its_user(self):
        partner = self.partner("base.lu", "LU26375245")
        self.standin.outage("LU", requests=1)
        partner.registry_update("vies")
        self.make_due(partner)
        cron = self.env.ref("crm_clients_vies.ir_cron_vies_retry")
        self.assertTrue(cron.active)
        self.env["res.partner"].with_user(cron.user_id)._cron_vies_retry()
        self.assertEqual(partner.vies_status, "valid")

    def test_address_splitting(self):
        self.assertEqual(vies.split_address("UL. PROSTA 1\n00-838 WARSZAWA"), ("UL. PROSTA 1", "00-838", "WARSZAWA"))
        self.assertEqual(vies.split_address("---"), ("---", "", ""))
        self.assertEqual(vies.split_vat("el 094014201"), ("EL", "094014201"))
        self.assertEqual(vies.split_vat("094014201", "GR"), ("EL", "094014201"))
        self.assertEqual(vies.split_vat("12345", "US"), (None, "12345"))
