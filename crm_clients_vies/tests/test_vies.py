from odoo.addons.crm_clients.tests.common import serve_registry
from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged

from ..tools import vies
from .vies_standin import ViesStandin


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
        serve_registry(cls, cls.standin, "crm_clients_vies", cache_hours="0")
        cls.env["ir.config_parameter"].sudo().set_param("crm_clients_vies.wsdl_url", cls.standin.wsdl_url)

    def setUp(self):
        super().setUp()
        self.standin.faults.clear()
        self.standin.unavailable.clear()
        self.standin.calls.clear()

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


@tagged("post_install", "-at_install")
class TestVies(ViesCase):
    def test_valid_with_name_and_address(self):
        partner = self.partner("base.lu", "LU26375245", name="Amazon")
        (result,) = partner.registry_update("vies")
        self.assertEqual(partner.vies_status, "valid")
        self.assertEqual(partner.legal_name, "AMAZON EUROPE CORE S.A R.L.")
        self.assertEqual(partner.name, "Amazon", "a chosen name is kept")
        self.assertEqual(
            (partner.street, partner.zip, partner.city), ("38, AVENUE JOHN F. KENNEDY", "1855", "LUXEMBOURG")
        )
        self.assertIn("vies_status", result["changed"])
        self.assertIn("Updated from VIES", partner.message_ids[0].body)

    def test_valid_without_disclosed_data_erases_nothing(self):
        partner = self.partner("base.de", "DE811569869", street="Hauptstraße 1", city="Berlin")
        partner.registry_update("vies")
        self.assertEqual(partner.vies_status, "valid")
        self.assertEqual((partner.street, partner.city), ("Hauptstraße 1", "Berlin"))

    def test_invalid_number(self):
        partner = self.partner("base.lu", "LU12345613")
        partner.registry_update("vies")
        self.assertEqual(partner.vies_status, "invalid", "a well-formed number VIES does not know")

    def test_member_state_unavailable_is_a_clear_error_and_writes_nothing(self):
        partner = self.partner("base.lu", "LU26375245")
        self.standin.unavailable.add("LU")
        with self.env.cr.savepoint(), self.assertRaises(UserError) as caught:
            partner.registry_update("vies")
        self.assertIn("LU numbers right now", str(caught.exception))
        self.assertFalse(partner.vies_status)

    def test_other_faults(self):
        partner = self.partner("base.lu", "LU26375245")
        for fault, message in (
            ("MS_MAX_CONCURRENT_REQ", "busy"),
            ("GLOBAL_MAX_CONCURRENT_REQ", "busy"),
            ("SERVICE_UNAVAILABLE", "unavailable"),
            ("TIMEOUT", "did not answer"),
            ("INVALID_INPUT", "not shaped like"),
        ):
            with self.subTest(fault=fault):
                self.standin.faults.append(fault)
                with self.env.cr.savepoint(), self.assertRaises(UserError) as caught:
                    partner.registry_update("vies")
                self.assertIn(message, str(caught.exception))
                self.assertFalse(partner.vies_status)

    def test_huge_answers_and_redirects_are_refused(self):
        partner = self.partner("base.lu", "LU26375245")
        target = ViesStandin()
        target.start()
        self.addCleanup(target.stop)
        self.standin.redirect_to = target.url
        for fault, message in (("huge", "cannot be read"), ("redirect", "unavailable")):
            with self.subTest(fault=fault):
                self.standin.faults.append(fault)
                with self.env.cr.savepoint(), self.assertRaises(UserError) as caught:
                    partner.registry_update("vies")
                self.assertIn(message, str(caught.exception))
                self.assertFalse(partner.vies_status)
        self.assertFalse(target.calls, "a redirect is not followed")

    def test_answers_are_cached(self):
        self.env["ir.config_parameter"].sudo().set_param("crm_clients_vies.cache_hours", "24")
        self.partner("base.lu", "LU26375245").registry_update("vies")
        self.partner("base.lu", "LU 263 752 45").registry_update("vies")
        self.assertEqual(self.standin.calls["requests"], 1)

    def test_registry_search_and_wizard(self):
        (answer,) = self.env["res.partner"].registry_search("vies", "NL805734958B01")
        self.assertTrue(answer["valid"])
        self.assertEqual((answer["zip"], answer["city"]), ("1015CS", "AMSTERDAM"))
        partner = self.partner("base.nl", "NL805734958B01", name="Example")
        action = partner.action_registry_lookup(provider="crm.client.registry.vies")
        wizard = self.env["crm.client.registry.wizard"].browse(action["res_id"])
        lines = {line.field_name: line for line in wizard.line_ids}
        self.assertTrue(lines["street"].apply)
        self.assertFalse(lines["name"].apply)
        wizard.action_apply()
        self.assertEqual(partner.city, "AMSTERDAM")

    def test_bulk_update_goes_on_after_a_failure(self):
        good = self.partner("base.lu", "LU26375245")
        bad = self.partner("base.de", "DE811569869")
        self.standin.unavailable.add("DE")
        result = (good | bad)._registry_bulk_update("vies")
        self.assertIn("1 updated", result["params"]["message"])
        self.assertIn("1 failed", result["params"]["message"])
        self.assertEqual((good.vies_status, bad.vies_status), ("valid", False))

    def test_address_splitting(self):
        self.assertEqual(vies.split_address("UL. PROSTA 1\n00-838 WARSZAWA"), ("UL. PROSTA 1", "00-838", "WARSZAWA"))
        self.assertEqual(vies.split_address("---"), ("---", "", ""))
        self.assertEqual(vies.split_vat("el 094014201"), ("EL", "094014201"))
        self.assertEqual(vies.split_vat("094014201", "GR"), ("EL", "094014201"))
        self.assertEqual(vies.split_vat("12345", "US"), (None, "12345"))
