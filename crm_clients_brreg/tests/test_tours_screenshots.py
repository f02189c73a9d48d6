"""Screenshots for the Apps description (tools/screenshots.sh): a Norwegian client looked
up in the local Brønnøysund stand-in, and the settings."""

from odoo.addons.crm_clients.tests.common import serve_registry
from odoo.addons.crm_clients.tests.json_standin import JsonStandin
from odoo.addons.crm_clients.tests.screenshots import ScreenshotCase
from odoo.tests import tagged

from .test_brreg import API
from .test_brreg import body


@tagged("post_install", "-at_install", "crm_clients_screenshots")
class TestBrregScreenshots(ScreenshotCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.api = JsonStandin()
        cls.api.route("GET", f"{API}/enheter/991825827", 200, body("enhet.991825827.DIGDIR.json"))
        serve_registry(cls, cls.api, "crm_clients_brreg", path=API, cache_hours="0")

    def test_lookup_and_settings(self):
        client = self.env["res.partner"].create(
            {
                "name": "Digdir",
                "is_company": True,
                "country_id": self.env.ref("base.no").id,
                "company_registry": "991825827",
            }
        )
        self.screenshot(
            f"/odoo/clients/{client.id}",
            "document.querySelectorAll('.modal .o_data_row').length > 5",
            "registry_lookup",
            action="await tab('Details'); (await find('button[name=action_registry_lookup]')).click()",
        )
        self.assertEqual(self.api.calls[f"GET {API}/enheter/991825827"], 1)
        self.forget_params("crm_clients_brreg", "url", "cache_hours", "requests_per_second")
        self.screenshot(
            "/odoo/action-crm_clients.action_crm_clients_config_settings",
            "true",
            "settings",
            action="await show('#crm_clients_brreg_access')",
        )
