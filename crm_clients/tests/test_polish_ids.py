from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import KRS
from .common import NIP
from .common import NIP_2
from .common import PESEL
from .common import REGON_9
from .common import REGON_14
from .common import CrmClientsCase


@tagged("post_install", "-at_install")
class TestPolishIds(CrmClientsCase):
    def test_valid_ids_are_normalized_to_digits(self):
        client = self.create_client(vat="PL 526-104-08-28", country_id=self.poland.id, regon="012-100-784", krs="28860")
        self.assertEqual(client.vat, NIP)
        self.assertEqual(client.regon, REGON_9)
        self.assertEqual(client.krs, KRS)
        person = self.create_client(is_company=False, pesel="440514 01359", country_id=self.poland.id)
        self.assertEqual(person.pesel, PESEL)
        client.write({"vat": "774-000-14-54", "regon": REGON_14})
        self.assertEqual(client.vat, NIP_2)
        self.assertEqual(client.regon, REGON_14)

    def test_nip_checksum_is_python_stdnum_s(self):
        # The NIP's check digit is computed here (every create checks it twice): the same
        # verdict as python-stdnum's on every check digit of many numbers, and on digits of
        # other scripts (not a NIP).
        from stdnum.pl import nip as stdnum_nip

        from ..tools import polish_ids

        numbers = [f"{base:09d}{check}" for base in range(100000000, 999999999, 8999993) for check in range(10)]
        for number in [*numbers, "526104082\u0668", "\u0665261040828", "526104082", "52610408281"]:
            self.assertEqual(polish_ids.nip_checksum_matches(number), stdnum_nip.is_valid(number), number)
        self.assertEqual(sum(map(polish_ids.nip_checksum_matches, numbers)), sum(map(stdnum_nip.is_valid, numbers)))
        with self.assertRaisesRegex(ValidationError, "checksum"):
            self.create_client(vat="526104082\u0668", country_id=self.poland.id)

    def test_pl_prefix_marks_a_nip_without_country(self):
        client = self.create_client(vat="pl5261040828")
        self.assertEqual(client.vat, NIP)

    def test_invalid_ids_are_refused_naming_field_and_value(self):
        cases = [
            ({"vat": "5261040827", "country_id": self.poland.id}, "NIP 5261040827"),
            ({"vat": "PL123", "country_id": self.poland.id}, "NIP PL123"),
            ({"regon": "012100785"}, "REGON 012100785"),
            ({"regon": "1234567"}, "REGON 1234567"),
            ({"regon": "12AB"}, "REGON 12AB"),
            ({"pesel": "44051401358"}, "PESEL 44051401358"),
            ({"pesel": "44133101359"}, "PESEL"),  # 31st of the 13th month
            ({"krs": "12345678901"}, "KRS 12345678901"),
            ({"krs": "KRS12"}, "KRS KRS12"),
        ]
        count = self.Partner.search_count([])
        for vals, message in cases:
            with self.subTest(vals=vals), self.assertRaisesRegex(ValidationError, message):
                self.create_client(**vals)
        self.assertEqual(self.Partner.search_count([]), count, "nothing was created")

    def test_invalid_write_changes_nothing(self):
        client = self.create_client(vat=NIP, country_id=self.poland.id, regon=REGON_9)
        with self.assertRaisesRegex(ValidationError, "REGON"):
            client.write({"regon": "999999999", "name": "Renamed"})
        self.assertEqual(client.regon, REGON_9)
        self.assertEqual(client.name, "Client")
        with self.assertRaisesRegex(ValidationError, "NIP"):
            client.write({"vat": "1234563219"})
        self.assertEqual(client.vat, NIP)

    def test_moving_a_partner_to_poland_checks_its_nip(self):
        # no_vat_validation: base_vat (when installed) would refuse the number itself.
        self.Partner = self.Partner.with_context(no_vat_validation=True)
        client = self.Partner.create({"name": "Client", "vat": "1234567890"})
        self.assertEqual(client.vat, "1234567890", "no country, no prefix: not a NIP, core's free text")
        with self.assertRaisesRegex(ValidationError, "NIP 1234567890"):
            client.country_id = self.poland

    def test_foreign_vat_is_left_to_core(self):
        client = self.create_client(vat="BE0477472701", country_id=self.belgium.id)
        self.assertEqual(client.vat, "BE0477472701")
        slash = self.create_client(vat="/", country_id=self.poland.id)
        self.assertEqual(slash.vat, "/")

    def test_clearing_ids(self):
        client = self.create_client(regon=REGON_9, krs=KRS)
        client.write({"regon": "", "krs": False})
        self.assertFalse(client.regon)
        self.assertFalse(client.krs)

    def test_error_is_translated(self):
        self.env["res.lang"]._activate_lang("pl_PL")
        self.env["ir.module.module"].search([("name", "=", "crm_clients")])._update_translations(["pl_PL"])
        polish = self.Partner.with_context(lang="pl_PL")
        with self.assertRaises(ValidationError) as caught:
            polish.create({"name": "Zły REGON", "regon": "012100785"})
        self.assertEqual(str(caught.exception), "REGON 012100785 jest nieprawidłowy: suma kontrolna się nie zgadza.")
