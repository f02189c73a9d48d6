import unittest

from odoo.tests import HttpCase, tagged

from .common import PZU_KRS
from .common import PZU_NIP
from .common import PZU_REGON
from .common import standard_registry


@tagged("post_install", "-at_install", "crm_clients_tour")
class TestGusTour(HttpCase):
    def test_create_a_client_from_a_nip(self):
        standin = standard_registry()
        standin.start()
        self.addCleanup(standin.stop)
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("crm_clients_gus.url", standin.url)
        params.set_param("crm_clients_gus.environment", "test")
        params.set_param("crm_clients_gus.api_key", "")
        try:
            self.start_tour("/odoo/clients/new", "crm_clients_gus_create_from_nip_tour", login="admin")
        except unittest.SkipTest as exc:
            self.fail(f"the tour could not run: {exc}")
        partner = self.env["res.partner"].search([("vat", "=", PZU_NIP)], order="id desc", limit=1)
        self.assertEqual(partner.regon, PZU_REGON)
        self.assertEqual(partner.krs, PZU_KRS)
        self.assertEqual(partner.city, "Warszawa")
        self.assertGreaterEqual(standin.calls["DaneSzukajPodmioty"], 1)
