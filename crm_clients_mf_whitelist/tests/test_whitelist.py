import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from odoo import fields
from odoo.addons.crm_clients.tests.common import serve_registry
from odoo.addons.crm_clients.tests.hostile_standin import check_hostile_answers
from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged

from ..tools import whitelist
from .whitelist_standin import WhitelistStandin
from .whitelist_standin import orlen_subject

DATA = Path(__file__).parent / "data"
ORLEN_NIP = "7740001454"


def zone_on_another_day(day):
    """A time zone whose date is not ``day`` (Poland's today) at this moment: 13 hours
    ahead of Warsaw (Kiritimati) or 12 behind (Pago Pago), one of them always is."""
    return next(
        zone for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago") if datetime.now(ZoneInfo(zone)).date() != day
    )


def whitelist_api(**options):
    """The white list (API and flat file) knowing ORLEN as the real register does; its
    search by NIP answers the captured ORLEN answer and the captured not-found one."""
    orlen = json.loads((DATA / "search-nip.7740001454.ORLEN.2026-09-24.json").read_text(encoding="utf-8"))
    missing = json.loads((DATA / "search-nip.9999999982.NOT-FOUND.2026-09-24.json").read_text(encoding="utf-8"))
    api = WhitelistStandin(**options).add(orlen_subject())
    api.route("GET", f"/api/search/nip/{ORLEN_NIP}", body=lambda q: (200, orlen) if q.get("date") else (400, {"code": "WL-101", "message": "Pole 'data' nie może być puste."}))  # fmt: skip
    api.route("GET", "/api/search/nip/5252344078", 200, missing)
    return api


class WhitelistCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.api = serve_registry(cls, whitelist_api(), "crm_clients_mf_whitelist", cache_hours="0")

    def setUp(self):
        super().setUp()
        self.api.faults.clear()
        self.api.calls.clear()

    def partner(self, nip, **vals):
        return self.env["res.partner"].create(
            {
                "name": vals.pop("name", "Orlen"),
                "is_company": True,
                "country_id": self.env.ref("base.pl").id,
                "vat": nip,
                **vals,
            }
        )


@tagged("post_install", "-at_install")
class TestWhitelist(WhitelistCase):
    def test_status_accounts_and_company_data(self):
        partner = self.partner(ORLEN_NIP)
        (result,) = partner.registry_update("mf_whitelist")
        self.assertEqual(partner.mf_vat_status, "active")
        self.assertEqual(len(partner.mf_accounts), 236)
        self.assertIn("06160011271843983820000034", partner.mf_accounts)
        self.assertEqual(partner.mf_request_id, "MVRqg-98jk3i1")
        self.assertEqual((partner.street, partner.zip, partner.city), ("CHEMIKÓW 7", "09-411", "PŁOCK"))
        self.assertEqual((partner.regon, partner.krs), ("610188201", "0000028860"))
        self.assertIn("06 1600 1127 1843 9838 2000 0034", partner.mf_accounts_display)
        self.assertIn("mf_accounts", result["changed"])
        self.assertIn("236 entries", partner.message_ids[0].body)
        self.assertEqual(self.api.requests[-1][2]["date"], str(self.api.day()), "asked for (Polish) today")
        self.assertTrue(partner._mf_account_listed("PL 06 1600 1127 1843 9838 2000 0034"))
        self.assertFalse(partner._mf_account_listed("16160011271234567890123456"))

    def test_the_ministry_is_asked_for_today_in_poland_whatever_the_users_time_zone(self):
        """The Ministry's day is Poland's: it refuses a later date (WL-103) and an earlier
        one is another day's answer. A user on another day than Warsaw asks for Poland's."""
        poland = self.api.day()
        partner = self.partner(ORLEN_NIP).with_context(tz=zone_on_another_day(poland))
        self.assertNotEqual(fields.Date.context_today(partner), poland)
        partner.registry_update("mf_whitelist")
        self.assertEqual(self.api.requests[-1][2]["date"], str(poland))
        self.assertEqual(partner.mf_vat_status, "active")

    def test_not_on_the_list_and_errors_write_nothing(self):
        missing = self.partner("5252344078", name="Kept")
        with self.env.cr.savepoint(), self.assertRaises(UserError) as caught:
            missing.registry_update("mf_whitelist")
        self.assertIn("has no entity", str(caught.exception))
        self.assertIsNone(missing._mf_account_listed("06160011271843983820000034"), "never checked")
        partner = self.partner(ORLEN_NIP, name="Kept")
        self.api.fault_body = {"code": "WL-191", "message": "Limit żądań dla tego adresu IP został na dziś wyczerpany."}
        for fault, message in (("429", "daily limit"), ("garbage", "cannot be read"), ("drop", "cannot be reached")):
            self.api.faults.append(fault)
            with self.subTest(fault=fault), self.env.cr.savepoint(), self.assertRaises(UserError) as caught:
                partner.registry_update("mf_whitelist")
            self.assertIn(message, str(caught.exception))
            self.assertFalse(partner.mf_vat_status)
        self.api.fault_body = {"code": "WL-196", "message": "Trwa aktualizacja bazy danych. Spróbuj ponownie później."}
        self.api.faults.append("400")
        with self.env.cr.savepoint(), self.assertRaises(UserError) as caught:
            partner.registry_update("mf_whitelist")
        self.assertIn("WL-196 Trwa aktualizacja", str(caught.exception))

    def test_huge_answers_and_redirects_are_refused(self):
        partner = self.partner(ORLEN_NIP, name="Kept")
        check_hostile_answers(
            self,
            "crm_clients_mf_whitelist",
            "",
            lambda: partner.registry_update("mf_whitelist"),
            lambda: partner.name == "Kept" and not partner.mf_vat_status and not partner.mf_accounts,
            {
                "huge": "The VAT white list sent an answer that cannot be read.",
                "bomb": "The VAT white list sent an answer that cannot be read.",
                "redirect": "The VAT white list answered HTTP 302 (redirect refused).",
            },
        )

    def test_invalid_nip_is_refused_before_calling(self):
        with self.assertRaises(UserError):
            self.env["res.partner"].registry_search("mf_whitelist", "7740001455")
        self.assertEqual(self.api.calls["requests"], 0)
        (subject,) = self.env["res.partner"].registry_search("mf_whitelist", "774-000-14-54")
        self.assertEqual((subject["statusVat"], subject["requestId"]), ("Czynny", "MVRqg-98jk3i1"))

    def test_helpers(self):
        self.assertEqual(whitelist.account_digits("PL61 1090 1014 0000 0712 1981 2874"), "61109010140000071219812874")
        self.assertIsNone(whitelist.account_digits("DE89370400440532013000"))
        self.assertEqual(
            whitelist.split_address("UL. PROSTA 1/2, 00-838 WARSZAWA"), ("UL. PROSTA 1/2", "00-838", "WARSZAWA")
        )
