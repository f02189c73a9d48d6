"""Screenshots of the Clients app for the README, taken in headless Chromium by Odoo's
own browser helper (screenshots.py). They are written to $CRM_SCREENSHOTS_DIR (`make test`
sets docs/screenshots; otherwise Odoo's screenshots folder, under crm_clients/)."""

from odoo.tests import tagged

from .common import NIP
from .screenshots import ScreenshotCase

TAB_THEN = """(() => {
    const tab = [...document.querySelectorAll('.o_notebook .nav-link')].find((a) => a.textContent.includes(%r));
    if (tab && !tab.classList.contains('active')) { tab.click(); }
    const target = document.querySelector(%r);
    if (target && %s) { document.querySelector('.o_notebook').scrollIntoView({ block: 'start' }); }
    return !!target;
})()"""


@tagged("post_install", "-at_install", "crm_clients_tour")
class TestReadmeScreenshots(ScreenshotCase):
    screenshots_per_addon = False

    def test_kanban_form_and_timeline(self):
        Partner = self.env["res.partner"]
        poland = self.env.ref("base.pl")
        client = Partner.create(
            {
                "name": "Meble Kowalski Sp. z o.o.",
                "is_company": True,
                "vat": NIP,
                "country_id": poland.id,
                "street": "ul. Długa 12",
                "city": "Kraków",
                "zip": "31-147",
                "email": "biuro@meble-kowalski.pl",
                "phone": "+48 12 345 67 89",
                "priority": "2",
                "is_buyer": True,
                "client_status_id": self.env.ref("crm_clients.client_status_new").id,
                "assigned_user_ids": [(4, self.env.ref("base.user_admin").id)],
            }
        )
        person = Partner.create({"name": "Jan Kowalski", "parent_id": client.id, "email": "jan@meble-kowalski.pl"})
        self.env.flush_all()
        self.env.cr.precommit.run()
        client.client_status_id = self.env.ref("crm_clients.client_status_active")
        self.env.flush_all()
        self.env.cr.precommit.run()
        client.message_post(
            body="Met at the Poznań fair, they want 40 chairs.", message_type="comment", subtype_xmlid="mail.mt_note"
        )
        person.message_post(body="Thank you for the offer", subject="Re: offer 2026/11", message_type="email")
        activity = person.activity_schedule("mail.mail_activity_data_call", summary="Call about the chairs")
        activity.action_feedback(feedback="They accept the price")
        client.activity_schedule("mail.mail_activity_data_todo", summary="Send the contract")

        self.screenshot("/odoo/clients", "!!document.querySelector('.o_crm_client_kanban .o_kanban_record')", "kanban")
        self.screenshot(
            f"/odoo/clients/{client.id}", TAB_THEN % ("Details", ".o_form_view .o_notebook", "false"), "form"
        )
        self.screenshot(
            f"/odoo/clients/{client.id}",
            TAB_THEN % ("Timeline", ".o_crm_client_timeline_entry[data-kind='status']", "true"),
            "timeline",
        )
