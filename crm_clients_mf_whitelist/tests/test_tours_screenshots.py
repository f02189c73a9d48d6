"""Screenshots for the Apps description (tools/screenshots.sh): a client's VAT status and
white-listed accounts from the local white list stand-in, and the settings."""

from odoo.addons.crm_clients.tests.screenshots import ScreenshotCase
from odoo.tests import tagged

from .test_whitelist import ORLEN_NIP
from .test_whitelist import WhitelistCase


@tagged("post_install", "-at_install", "crm_clients_screenshots")
class TestWhitelistScreenshots(ScreenshotCase, WhitelistCase):
    def test_status_on_the_client_and_settings(self):
        client = self.env["res.partner"].create(
            {"name": "Orlen", "is_company": True, "country_id": self.env.ref("base.pl").id, "vat": ORLEN_NIP}
        )
        client.registry_update("mf_whitelist")
        self.assertEqual(client.mf_vat_status, "active")
        self.screenshot(
            f"/odoo/clients/{client.id}",
            "!!document.querySelector('.o_field_widget[name=mf_request_id]')",
            "vat_status",
            action="await tab('Details'); await show('.o_notebook')",
        )
        self.forget_params("crm_clients_mf_whitelist", "url", "cache_hours", "requests_per_second")
        self.screenshot(
            "/odoo/action-crm_clients.action_crm_clients_config_settings",
            "true",
            "settings",
            action="await show('#crm_clients_mf_whitelist_access')",
        )
