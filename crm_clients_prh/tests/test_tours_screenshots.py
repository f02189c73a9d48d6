"""Screenshots for the Apps description (tools/screenshots.sh): a Finnish client looked up
in the local PRH stand-in, and the settings."""

import json

from odoo.addons.crm_clients.tests.common import serve_registry
from odoo.addons.crm_clients.tests.json_standin import JsonStandin
from odoo.addons.crm_clients.tests.screenshots import ScreenshotCase
from odoo.tests import tagged

from .test_prh import API
from .test_prh import DATA


@tagged("post_install", "-at_install", "crm_clients_screenshots")
class TestPrhScreenshots(ScreenshotCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        nokia = json.loads((DATA / "companies.businessId-0112038-9.json").read_text(encoding="utf-8"))
        cls.api = JsonStandin()
        cls.api.route("GET", f"{API}/companies", 200, nokia)
        serve_registry(cls, cls.api, "crm_clients_prh", path=API, cache_hours="0")

    def test_lookup_and_settings(self):
        client = self.env["res.partner"].create(
            {
                "name": "Nokia",
                "is_company": True,
                "country_id": self.env.ref("base.fi").id,
                "company_registry": "0112038-9",
            }
        )
        self.screenshot(
            f"/odoo/clients/{client.id}",
            "document.querySelectorAll('.modal .o_data_row').length > 5",
            "registry_lookup",
            action="await tab('Details'); (await find('button[name=action_registry_lookup]')).click()",
        )
        self.assertEqual(self.api.calls[f"GET {API}/companies"], 1)
        self.forget_params("crm_clients_prh", "url", "cache_hours", "requests_per_second")
        self.screenshot(
            "/odoo/action-crm_clients.action_crm_clients_config_settings",
            "true",
            "settings",
            action="await show('#crm_clients_prh_access')",
        )
