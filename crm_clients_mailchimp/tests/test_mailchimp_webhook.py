"""What a webhook event may change: partners of the sync domain only, never a user's
partner, never a locked email or phone, nothing for an event without a valid address.
(The HTTP side, tokens and malformed bodies, is in tests/test_xmlrpc_mailchimp.py.)"""

from odoo.tests import new_test_user, tagged

from . import mailchimp_standin as standin
from .test_mailchimp import MailchimpCase

SNAPSHOT_FIELDS = ["name", "email", "phone", "mobile", "mailchimp_status", "active"]


@tagged("post_install", "-at_install")
class TestMailchimpWebhookScope(MailchimpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        # People without an email, in and out of the sync domain: a profile event without
        # an address once renamed every one of them.
        cls.no_email = Partner.create([{"name": "Bez Maila", "ref": "MC-TEST"}, {"name": "Anonim"}])
        # Users' partners, put in the sync domain on purpose: only their being users
        # protects them.
        cls.staff = new_test_user(cls.env, login="mc_staff_user", email="staff@firma.pl", groups="base.group_user")
        cls.portal = new_test_user(cls.env, login="mc_portal_user", email="portal@firma.pl", groups="base.group_portal")
        cls.archived = new_test_user(cls.env, login="mc_gone_user", email="gone@firma.pl", groups="base.group_user")
        cls.archived.active = False
        cls.users = cls.staff | cls.portal | cls.archived
        cls.users.partner_id.write({"ref": "MC-TEST"})

    def snapshot(self):
        """Every partner's name, email, phones and sync status, archived ones included,
        and the blacklist."""
        self.env.flush_all()
        self.env.invalidate_all()
        partners = self.env["res.partner"].with_context(active_test=False).search_read([], SNAPSHOT_FIELDS)
        blacklist = self.env["mail.blacklist"].with_context(active_test=False).search([]).mapped("email")
        return {partner["id"]: partner for partner in partners}, sorted(blacklist)

    def webhook(self, event, **data):
        return self.sync._handle_webhook(event, {"list_id": standin.LIST_ID, "merges": {}, **data})

    def test_profile_without_a_valid_email_renames_nobody(self):
        before = self.snapshot()
        merges = {"FNAME": "Hacked", "LNAME": "Name", "PHONE": "+48 600 000 000"}
        bad_emails = (None, "", "   ", "not-an-email", "a@b.pl, c@d.pl", "@firma.pl", "x" * 300)
        for email in bad_emails:
            self.assertFalse(self.webhook("profile", email=email, merges=merges), email)
        data = {"list_id": standin.LIST_ID, "merges": merges}  # no data[email] at all
        self.assertFalse(self.sync._handle_webhook("profile", data))
        self.assertEqual(self.snapshot(), before)
        self.assertEqual(self.no_email.mapped("name"), ["Bez Maila", "Anonim"])
        with self.assertLogs("odoo.addons.crm_clients_mailchimp", "WARNING") as logs:
            for email in bad_emails:
                self.webhook("profile", email=email, merges=merges)
        self.assertEqual(len(logs.output), len(bad_emails), "each ignored event is logged")

    def test_status_and_email_events_without_a_valid_address_change_nothing(self):
        alpha = self.client("Alpha", "alpha@example.pl")
        before = self.snapshot()
        for event in ("subscribe", "unsubscribe", "cleaned"):
            for email in (None, "", "alpha@", "alpha@example.pl alpha@example.pl"):
                self.assertFalse(self.webhook(event, email=email), (event, email))
        for old, new in (("alpha@example.pl", ""), ("alpha@example.pl", "nowy@"), ("", "nowy@example.pl"),
                         (None, None), ("alpha@example.pl", "alpha@example.pl")):  # fmt: skip
            self.assertFalse(self.webhook("upemail", old_email=old, new_email=new), (old, new))
        self.assertFalse(self.webhook("campaign", email="alpha@example.pl", subject="Hi", status="sent"))
        self.assertFalse(self.sync._handle_webhook("", {}))
        self.assertEqual(self.snapshot(), before)
        self.assertEqual(alpha.email, "alpha@example.pl")

    def test_users_partners_are_never_touched(self):
        before = self.snapshot()
        for user in self.users:
            email = user.partner_id.email
            self.assertFalse(self.webhook("upemail", old_email=email, new_email="attacker@evil.example"))
            self.assertFalse(self.webhook("profile", email=email, merges={"FNAME": "Ewa", "PHONE": "+48 600 100 200"}))
            for event in ("unsubscribe", "cleaned", "subscribe"):
                self.assertFalse(self.webhook(event, email=email))
        self.assertEqual(self.snapshot(), before)
        self.assertEqual(self.staff.email, "staff@firma.pl", "a password reset still goes to the user")

    def test_a_users_partner_stays_out_even_beside_a_client_with_the_same_email(self):
        client = self.client("Firma Staff", "staff@firma.pl")
        self.webhook("upemail", old_email="staff@firma.pl", new_email="nowy@firma.pl")
        self.assertEqual((client.email, self.staff.partner_id.email), ("nowy@firma.pl", "staff@firma.pl"))

    def test_only_partners_of_the_sync_domain_change(self):
        inside = self.client("Inside", "shared@example.pl")
        outside = self.env["res.partner"].create({"name": "Outside", "email": "shared@example.pl", "ref": "OTHER"})
        person = self.env["res.partner"].create({"name": "Jan Kowalski", "email": "jan@example.pl", "ref": "MC-TEST"})
        other_person = self.env["res.partner"].create({"name": "Jan Obcy", "email": "jan@example.pl"})
        self.webhook("unsubscribe", email="shared@example.pl")
        self.assertEqual((inside.mailchimp_status, outside.mailchimp_status), ("unsubscribed", "not_synced"))
        self.assertTrue(inside.is_blacklisted, "the address left: Odoo's mass mailing stops too")
        self.webhook("profile", email="jan@example.pl", merges={"FNAME": "Janusz", "LNAME": "Kowalski"})
        self.assertEqual((person.name, other_person.name), ("Janusz Kowalski", "Jan Obcy"))
        self.webhook("upemail", old_email="jan@example.pl", new_email="janusz@example.pl")
        self.assertEqual((person.email, other_person.email), ("janusz@example.pl", "jan@example.pl"))

    def test_an_address_of_nobody_in_the_sync_domain_is_not_blacklisted(self):
        self.env["res.partner"].create({"name": "Outside", "email": "outside@example.pl", "ref": "OTHER"})
        self.webhook("unsubscribe", email="outside@example.pl")
        self.assertFalse(self.env["mail.blacklist"].with_context(active_test=False).search_count([]))

    def test_a_locked_email_is_left_as_it_is_and_the_others_change(self):
        locked = self.client("Locked", "biuro@example.pl")
        free = self.client("Free", "biuro@example.pl")
        locked.email_ids.sudo().action_lock()
        with self.assertLogs("odoo.addons.crm_clients_mailchimp", "WARNING") as logs:
            changed = self.webhook("upemail", old_email="biuro@example.pl", new_email="nowe@example.pl")
        self.assertEqual(changed, free)
        self.assertEqual((locked.email, free.email), ("biuro@example.pl", "nowe@example.pl"))
        self.assertEqual(locked.email_ids.mapped("email"), ["biuro@example.pl"])
        self.assertIn("locked", "\n".join(logs.output))

    def test_a_locked_phone_leaves_the_whole_profile_change_out(self):
        Partner = self.env["res.partner"]
        locked, free = Partner.create(
            [
                {"name": "Anna Nowak", "email": "anna@example.pl", "phone": "+48 22 111 11 11", "ref": "MC-TEST"},
                {"name": "Anna Nowak", "email": "anna@example.pl", "phone": "+48 22 222 22 22", "ref": "MC-TEST"},
            ]
        )
        locked.phone_ids.sudo().action_lock()
        before = self.snapshot()[0][locked.id]
        with self.assertLogs("odoo.addons.crm_clients_mailchimp", "WARNING"):
            changed = self.webhook(
                "profile",
                email="anna@example.pl",
                merges={"FNAME": "Anna", "LNAME": "Kowalska", "PHONE": "+48 600 300 400"},
            )
        self.assertEqual(changed, free)
        self.assertEqual(self.snapshot()[0][locked.id], before, "neither the phone nor the name")
        self.assertEqual(free.name, "Anna Kowalska")
        self.assertIn("600", free.phone)

    def test_unsubscribe_and_cleaned_still_work_for_clients(self):
        alpha = self.client("Alpha", "alpha@example.pl")
        beta = self.client("Beta", "beta@example.pl")
        self.assertEqual(self.webhook("unsubscribe", email="ALPHA@example.pl"), alpha)
        self.assertEqual(self.webhook("cleaned", email="beta@example.pl", reason="hard"), beta)
        self.assertEqual((alpha.mailchimp_status, beta.mailchimp_status), ("unsubscribed", "cleaned"))
        self.assertTrue(alpha.is_blacklisted and beta.is_blacklisted)
