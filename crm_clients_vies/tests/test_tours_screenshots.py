"""Screenshots for the Apps description (tools/screenshots.sh): the proof of a VIES check
(the consultation number) on the client, from the local VIES stand-in, and the settings."""

from odoo.addons.crm_clients.tests.screenshots import ScreenshotCase
from odoo.tests import tagged

from .test_vies import ViesCase


@tagged("post_install", "-at_install", "crm_clients_screenshots")
class TestViesScreenshots(ScreenshotCase, ViesCase):
    def test_proof_on_the_client_and_settings(self):
        client = self.env["res.partner"].create(
            {"name": "Amazon EU", "is_company": True, "country_id": self.env.ref("base.lu").id, "vat": "LU26375245"}
        )
        client.registry_update("vies")
        self.assertEqual(client.vies_status, "valid")
        self.assertTrue(client.vies_request_identifier)
        self.screenshot(
            f"/odoo/clients/{client.id}",
            "!!document.querySelector('.o_field_widget[name=vies_request_identifier]')",
            "vies_proof",
            action="await tab('Details'); await show('.o_notebook')",
        )
        self.forget_params("crm_clients_vies", "url", "cache_hours", "requests_per_second", "wsdl_url")
        self.screenshot(
            "/odoo/action-crm_clients.action_crm_clients_config_settings",
            "true",
            "settings",
            action="await show('#crm_clients_vies_access')",
        )
