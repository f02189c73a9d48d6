"""Screenshots for the Apps description (tools/screenshots.sh): the lookup of a client in
the local BIR 1.1 stand-in, and the GUS settings."""

from odoo.addons.crm_clients.tests.screenshots import ScreenshotCase
from odoo.tests import tagged

from .common import PZU_REGON
from .common import standard_registry


@tagged("post_install", "-at_install", "crm_clients_screenshots")
class TestGusScreenshots(ScreenshotCase):
    def test_lookup_and_settings(self):
        standin = standard_registry()
        standin.start()
        self.addCleanup(standin.stop)
        params = self.env["ir.config_parameter"].sudo()
        for key, value in {"url": standin.url, "environment": "test", "api_key": "", "cache_hours": "0"}.items():
            params.set_param(f"crm_clients_gus.{key}", value)
        client = self.env["res.partner"].create(
            {"name": "PZU", "is_company": True, "country_id": self.env.ref("base.pl").id, "regon": PZU_REGON}
        )
        self.screenshot(
            f"/odoo/clients/{client.id}",
            "document.querySelectorAll('.modal .o_data_row').length > 5",
            "registry_lookup",
            action="await tab('Details'); (await find('button[name=action_registry_lookup]')).click()",
        )
        self.assertGreaterEqual(standin.calls["DaneSzukajPodmioty"], 1)
        self.forget_params("crm_clients_gus", "url", "cache_hours")
        self.screenshot(
            "/odoo/action-crm_clients.action_crm_clients_config_settings",
            "true",
            "settings",
            action="await show('#crm_clients_gus_access')",
        )
