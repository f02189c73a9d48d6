import json
from pathlib import Path

from odoo.addons.crm_clients.tests.common import serve_registry
from odoo.addons.crm_clients.tests.hostile_standin import check_hostile_answers
from odoo.addons.crm_clients.tests.json_standin import JsonStandin
from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged

DATA = Path(__file__).parent / "data"
API = "/enhetsregisteret/api"


def body(name):
    return json.loads((DATA / name).read_text(encoding="utf-8"))


@tagged("post_install", "-at_install")
class TestBrreg(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.api = JsonStandin(not_found={"tidsstempel": 1700000000000, "status": 404, "feilmelding": "Ikke funnet"})
        cls.api.route("GET", f"{API}/enheter/991825827", 200, body("enhet.991825827.DIGDIR.json"))
        cls.api.route("GET", f"{API}/enheter/821227062", 200, body("enhet.821227062.SLETTET.http200.json"))
        cls.api.route("GET", f"{API}/underenheter/924203617", 200, body("underenhet.924203617.json"))
        cls.api.route(
            "GET", f"{API}/enheter/123456785", 410, {"organisasjonsnummer": "123456785", "slettedato": "2020-01-01"}
        )
        serve_registry(cls, cls.api, "crm_clients_brreg", path=API, cache_hours="0")
        cls.no = cls.env.ref("base.no")

    def setUp(self):
        super().setUp()
        self.api.faults.clear()
        self.api.calls.clear()

    def partner(self, number, **vals):
        return self.env["res.partner"].create(
            {
                "name": vals.pop("name", "Client"),
                "is_company": True,
                "country_id": self.no.id,
                "company_registry": number,
                **vals,
            }
        )

    def test_update_name_addresses_form_industry_website(self):
        partner = self.partner("991 825 827")
        (result,) = partner.registry_update("brreg")
        self.assertEqual(partner.name, "Client", "a name the user typed is kept")
        self.assertEqual(partner.legal_name, "DIGITALISERINGSDIREKTORATET")
        self.assertEqual((partner.street, partner.zip, partner.city), ("Lørenfaret 1C", "0585", "Oslo"))
        self.assertEqual(partner.registry_legal_form, "Organisasjonsledd")
        self.assertEqual(
            (partner.registry_industry_code, partner.registry_industry_name),
            ("84.110", "Generell offentlig administrasjon"),
        )
        self.assertEqual(partner.website, "http://www.digdir.no")
        self.assertEqual(partner.email, "postmottak@digdir.no")
        postal = partner.child_ids.filtered(lambda c: c.type == "other")
        self.assertEqual((postal.street, postal.zip, postal.city), ("Postboks 1382 Vika", "0114", "Oslo"))
        self.assertIn("child_addresses", result["changed"])
        partner.registry_update("brreg")
        self.assertEqual(len(partner.child_ids.filtered(lambda c: c.type == "other")), 1, "updated, not duplicated")

    def test_sub_unit_and_deleted_unit(self):
        sub = self.partner("924203617")
        sub.registry_update("brreg")
        self.assertEqual(sub.zip, "8900")
        self.assertEqual(self.api.calls[f"GET {API}/enheter/924203617"], 1, "the main register first, then sub-units")
        deleted = self.partner("821227062", name="Vestfold")
        deleted.registry_update("brreg")
        self.assertEqual(str(deleted.registry_ended_on), "2024-11-26")
        self.assertTrue(deleted.registry_ended)

    def test_unknown_removed_and_faults_write_nothing(self):
        for number, message in (("123456785", "removed"), ("999999999", "has no entity")):
            partner = self.partner(number, name="Kept")
            with self.subTest(number=number), self.env.cr.savepoint(), self.assertRaises(UserError) as caught:
                partner.registry_update("brreg")
            self.assertIn(message, str(caught.exception))
            self.assertEqual(partner.name, "Kept")
        partner = self.partner("991825827", name="Kept")
        for fault, message in (
            ("500", "answered HTTP 500"),
            ("garbage", "cannot be read"),
            ("drop", "cannot be reached"),
        ):
            self.api.faults.append(fault)
            with self.subTest(fault=fault), self.env.cr.savepoint(), self.assertRaises(UserError) as caught:
                partner.registry_update("brreg")
            self.assertIn(message, str(caught.exception))
            self.assertFalse(partner.street)

    def test_huge_answers_and_redirects_are_refused(self):
        partner = self.partner("991825827", name="Kept")
        check_hostile_answers(
            self,
            "crm_clients_brreg",
            API,
            lambda: partner.registry_update("brreg"),
            lambda: partner.name == "Kept" and not partner.street and not partner.registry_checked_at,
            {
                "huge": "Brønnøysund sent an answer that cannot be read.",
                "bomb": "Brønnøysund sent an answer that cannot be read.",
                "redirect": "Brønnøysund answered HTTP 302 (redirect refused).",
            },
        )

    def test_only_norwegian_partners_with_a_number(self):
        self.assertFalse(self.env["crm.client.registry.brreg"]._registry_applies(self.partner(False)))
        other = self.env["res.partner"].create(
            {"name": "X", "country_id": self.env.ref("base.se").id, "company_registry": "991825827"}
        )
        self.assertFalse(self.env["crm.client.registry.brreg"]._registry_applies(other))
        self.assertEqual(
            self.env["res.partner"].registry_search("brreg", "NO 991 825 827 MVA")[0]["name"],
            "DIGITALISERINGSDIREKTORATET",
        )
        self.assertEqual(self.env["res.partner"].registry_search("brreg", "999999999"), [])

    def test_answers_and_not_found_are_cached(self):
        self.env["ir.config_parameter"].sudo().set_param("crm_clients_brreg.cache_hours", "24")
        search = self.env["res.partner"].registry_search
        self.assertEqual(search("brreg", "999999999"), [])
        self.assertEqual(search("brreg", "991825827")[0]["number"], "991825827")
        asked = self.api.calls["requests"]
        self.assertEqual(search("brreg", "999 999 999"), [], "a unit Brønnøysund does not know is not asked twice")
        self.assertEqual(search("brreg", "991825827")[0]["number"], "991825827")
        self.assertEqual(self.api.calls["requests"], asked)
