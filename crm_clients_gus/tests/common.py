from odoo.addons.crm_clients.tests.common import serve_registry
from odoo.tests import TransactionCase

from ..tools import bir
from . import bir_standin

PZU_NIP = "5260251049"
PZU_REGON = "010001345"
PZU_KRS = "0000009831"
PZU_NAME = "POWSZECHNY ZAKŁAD UBEZPIECZEŃ SPÓŁKA AKCYJNA"
PERSON_NIP = "7251801126"
PERSON_REGON = "472925442"
UNIT_REGON = "01000134500017"
PERSON_UNIT_REGON = "47292544200014"
GOOGLE_NIP = "5252344078"
GOOGLE_REGON = "140182840"


def standard_registry():
    """The entities every GUS test can look up."""
    return bir_standin.BirStandin().add(
        bir_standin.legal_person(
            PZU_REGON, PZU_NIP, PZU_NAME, krs=PZU_KRS, email="Kontakt@PZU.pl", phone="221001000",
            website="www.pzu.pl",
        ),
        bir_standin.natural_person(PERSON_REGON, PERSON_NIP, "Jan Przykładowy Usługi Kurierskie"),
        bir_standin.natural_person(
            PERSON_REGON, PERSON_NIP, "Gospodarstwo Rolne Jan Przykładowy", silo="2", street="", city="Sulów",
            post_city="Zakrzówek", zip_code="23213", voivodeship="06", number="12",
            pkd=("0111Z", "UPRAWA ZBÓŻ, ROŚLIN STRĄCZKOWYCH I ROŚLIN OLEISTYCH NA NASIONA"),
        ),
        bir_standin.local_unit(UNIT_REGON, PZU_NIP, "PZU SA ODDZIAŁ MARSZAŁKOWSKA"),
        bir_standin.local_unit(
            PERSON_UNIT_REGON, PERSON_NIP, "JAN PRZYKŁADOWY - BAZA TAXI", street="Wólczańska", number="5",
            zip_code="90001", city="Łódź", voivodeship="10", kind="LF",
        ),
        bir_standin.legal_person(
            GOOGLE_REGON, GOOGLE_NIP, "GOOGLE POLAND SPÓŁKA Z OGRANICZONĄ ODPOWIEDZIALNOŚCIĄ", krs="0000240611",
            street="Emilii Plater", number="53", zip_code="00113", ended_on="2025-06-30",
            legal_form="SPÓŁKI Z OGRANICZONĄ ODPOWIEDZIALNOŚCIĄ",
        ),
    )  # fmt: skip


class GusCase(TransactionCase):
    """Every test talks to a live local BIR 1.1 stand-in through the real zeep client."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.standin = serve_registry(
            cls, standard_registry(), "crm_clients_gus", environment="test", api_key="", timeout="1"
        )
        cls.env["crm.client.registry.cache"].sudo().search([]).unlink()
        cls.pl = cls.env.ref("base.pl")

    def setUp(self):
        super().setUp()
        bir.POOL.clear()
        self.standin.calls.clear()
        self.standin.faults.clear()
        self.standin.maintenance = False
        self.standin.delay = 0.0

    def client(self, **vals):
        return self.env["res.partner"].create({"is_company": True, "country_id": self.pl.id, **vals})
