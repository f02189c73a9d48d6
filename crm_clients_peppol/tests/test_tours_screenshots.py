"""Screenshots for the Apps description (tools/screenshots.sh): a client checked in the
PEPPOL network (local SML DNS and SMP stand-ins) from its form, and the settings."""

from odoo.addons.crm_clients.tests.screenshots import ScreenshotCase
from odoo.tests import tagged

from .test_peppol import PeppolCase


@tagged("post_install", "-at_install", "crm_clients_screenshots")
class TestPeppolScreenshots(ScreenshotCase, PeppolCase):
    def test_participant_lookup_and_settings(self):
        client = self.env["res.partner"].create(
            {"name": "PZU", "is_company": True, "country_id": self.env.ref("base.pl").id, "vat": "5260251049"}
        )
        self.screenshot(
            f"/odoo/clients/{client.id}",
            "!!document.querySelector('.o_field_widget[name=peppol_smp_url]')",
            "participant_lookup",
            action="await tab('Details'); await show('.o_notebook'); (await find('button[name=action_peppol_check]')).click()",
        )
        self.assertEqual(client.peppol_status, "registered")
        self.forget_params("crm_clients_peppol", "dns_server", "allow_private_networks", "timeout")
        self.screenshot(
            "/odoo/action-crm_clients.action_crm_clients_config_settings",
            "true",
            "settings",
            action="await show('#crm_clients_peppol_zone')",
        )
