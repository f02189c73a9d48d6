"""Screenshots for the Apps description (tools/screenshots.sh): the Mailchimp audience in
the settings and a client synced with it (the local Mailchimp stand-in)."""

from odoo.addons.crm_clients.tests.screenshots import ScreenshotCase
from odoo.tests import tagged

from . import mailchimp_standin as standin
from .test_mailchimp import MailchimpCase


@tagged("post_install", "-at_install", "crm_clients_screenshots")
class TestMailchimpScreenshots(ScreenshotCase, MailchimpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["crm.client.mailchimp.audience"].create({"list_id": standin.LIST_ID, "name": "Newsletter"})

    def test_audience_and_synced_client(self):
        client = self.env["res.partner"].create(
            {
                "name": "Meble Kowalski Sp. z o.o.",
                "email": "biuro@meble-kowalski.pl",
                "ref": "MC-TEST",
                "is_company": True,
            }
        )
        self.assertEqual(self.sync._push()["sent"], 1)
        self.assertEqual(self.api.member("biuro@meble-kowalski.pl")["status"], "subscribed")
        self.forget_params("crm_clients_mailchimp", "double_optin")  # the test case keeps it as "False"
        self.screenshot(
            "/odoo/action-crm_clients.action_crm_clients_config_settings",
            "!!document.querySelector('#crm_clients_mailchimp_account .o_field_many2one input')?.value",
            "audience",
            action="await show('#crm_clients_mailchimp_account')",
        )
        self.screenshot(
            f"/odoo/clients/{client.id}",
            "!!document.querySelector('.o_field_widget[name=mailchimp_synced_at]')",
            "synced_client",
            action="await tab('Details'); await show('.o_notebook')",
        )
