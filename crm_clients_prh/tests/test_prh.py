import json
from pathlib import Path

from odoo.addons.crm_clients.tests.common import serve_registry
from odoo.addons.crm_clients.tests.hostile_standin import check_hostile_answers
from odoo.addons.crm_clients.tests.json_standin import JsonStandin
from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged

from ..tools import prh

DATA = Path(__file__).parent / "data"
API = "/opendata-ytj-api/v3"


@tagged("post_install", "-at_install")
class TestPrh(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        nokia = json.loads((DATA / "companies.businessId-0112038-9.json").read_text(encoding="utf-8"))
        empty = json.loads((DATA / "companies.businessId-unknown.empty.json").read_text(encoding="utf-8"))
        cls.api = JsonStandin()
        # PRH answers 200 with an empty list for an unknown Business ID, never 404.
        cls.api.route(
            "GET", f"{API}/companies", body=lambda q: (200, nokia if q.get("businessId") == "0112038-9" else empty)
        )
        cls.api.fault_body = {
            "timestamp": "2026-01-01T00:00:00",
            "message": "Palvelu ei ole käytettävissä",
            "errorcode": 1003,
        }
        serve_registry(cls, cls.api, "crm_clients_prh", path=API, cache_hours="0")

    def setUp(self):
        super().setUp()
        self.api.faults.clear()

    def partner(self, vat, **vals):
        return self.env["res.partner"].create(
            {
                "name": vals.pop("name", "Nokia"),
                "is_company": True,
                "country_id": self.env.ref("base.fi").id,
                "vat": vat,
                **vals,
            }
        )

    def test_update_from_the_vat_number(self):
        partner = self.partner("FI01120389")
        (result,) = partner.registry_update("prh")
        self.assertEqual(partner.legal_name, "Nokia Oyj", "the current main name, not a former or auxiliary one")
        self.assertEqual((partner.street, partner.zip, partner.city), ("Karakaari 7", "02610", "Espoo"))
        self.assertEqual(partner.company_registry, "0112038-9")
        self.assertEqual(partner.registry_industry_code, "70100")
        self.assertEqual(partner.registry_industry_name, "Activities of head offices")
        self.assertEqual(partner.registry_legal_form, "Public limited company")
        self.assertEqual(partner.website, "http://www.nokia.com")
        postal = partner.child_ids.filtered(lambda c: c.type == "other")
        self.assertEqual((postal.street, postal.zip), ("PL 226", "00045"))
        self.assertIn("street", result["changed"])
        self.assertEqual(self.api.requests[-1][2], {"businessId": "0112038-9"})

    def test_unknown_and_errors_write_nothing(self):
        unknown = self.partner("FI12345671", name="Unknown")
        with self.env.cr.savepoint(), self.assertRaises(UserError) as caught:
            unknown.registry_update("prh")
        self.assertIn("has no entity", str(caught.exception))
        partner = self.partner("FI01120389", name="Kept")
        for fault, message in (("429", "limits requests"), ("503", "HTTP 503 Palvelu"), ("garbage", "cannot be read")):
            self.api.faults.append(fault)
            with self.subTest(fault=fault), self.env.cr.savepoint(), self.assertRaises(UserError) as caught:
                partner.registry_update("prh")
            self.assertIn(message, str(caught.exception))
            self.assertFalse(partner.street)

    def test_huge_answers_and_redirects_are_refused(self):
        partner = self.partner("FI01120389", name="Kept")
        check_hostile_answers(
            self,
            "crm_clients_prh",
            API,
            lambda: partner.registry_update("prh"),
            lambda: partner.name == "Kept" and not partner.street and not partner.registry_checked_at,
            {
                "huge": "PRH sent an answer that cannot be read.",
                "bomb": "PRH sent an answer that cannot be read.",
                "redirect": "PRH answered HTTP 302 (redirect refused).",
            },
        )

    def test_identifiers(self):
        self.assertEqual(prh.business_id("FI 0112 0389"), "0112038-9")
        self.assertEqual(prh.business_id("0112038-9"), "0112038-9")
        self.assertIsNone(prh.business_id("123"))
        self.assertEqual(self.env["res.partner"].registry_search("prh", "0112038-9")[0]["name"], "Nokia Oyj")
