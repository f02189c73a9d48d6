import json

from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged

from ..tools import mailchimp
from . import mailchimp_standin as standin


class MailchimpCase(TransactionCase):
    """A live Mailchimp API stand-in on 127.0.0.1; the real requests code talks to it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.api = standin.MailchimpStandin()
        cls.api.start()
        cls.addClassCleanup(cls.api.stop)
        cls.sync = cls.env["crm.client.mailchimp.sync"]
        for key, value in {
            "api_key": standin.API_KEY,
            "base_url": cls.api.url,
            "list_id": standin.LIST_ID,
            "backoff": "0.01",
            "batch_poll": "0.01",
            "double_optin": "False",
            "merge_fields_list": "",
            "tag_ids": "[]",
            "status_ids": "[]",
        }.items():
            cls.sync._set_param(key, value)
        # Keep demo partners out: only this test's clients match.
        cls.sync._set_param(
            "sync_domain", "[('email', '!=', False), ('is_blacklisted', '=', False), ('ref', '=', 'MC-TEST')]"
        )
        cls.vip = cls.env.ref("crm_clients.client_status_vip")

    def setUp(self):
        super().setUp()
        self.api.members.clear()
        self.api.forgotten.clear()
        self.api.calls.clear()
        self.api.faults.clear()

    def client(self, name, email, **vals):
        return self.env["res.partner"].create(
            {"name": name, "email": email, "ref": "MC-TEST", "is_company": True, **vals}
        )


@tagged("post_install", "-at_install")
class TestMailchimpPush(MailchimpCase):
    def test_push_members_merge_fields_and_tags(self):
        tag = self.env["res.partner.category"].create({"name": "Hurt"})
        alpha = self.client("Alpha Sp. z o.o.", "Biuro@Alpha.pl", category_id=[(6, 0, tag.ids)], client_status_id=self.vip.id,
                            priority="2", street="Prosta 1", city="Warszawa", zip="00-001")  # fmt: skip
        result = self.sync._push()
        self.assertEqual((result["sent"], result["errors"]), (1, 0))
        member = self.api.member("biuro@alpha.pl")
        self.assertEqual(member["status"], "subscribed")
        self.assertEqual(member["merge_fields"]["COMPANY"], "Alpha Sp. z o.o.")
        self.assertEqual(member["merge_fields"]["STATUS"], "VIP")
        self.assertEqual(member["merge_fields"]["STARS"], 2)
        self.assertEqual(member["merge_fields"]["CLIENTNO"], alpha.client_number)
        self.assertEqual(member["merge_fields"]["ADDRESS"]["city"], "Warszawa")
        self.assertEqual(member["tags"], {"Hurt", "VIP"})
        self.assertEqual(alpha.mailchimp_status, "subscribed")
        self.assertTrue(alpha.mailchimp_synced_at)
        self.assertFalse(alpha.mailchimp_error)
        self.assertEqual(
            set(self.api.merge_fields[standin.LIST_ID]),
            {"FNAME", "LNAME", "COMPANY", "PHONE", "ADDRESS", "CLIENTNO", "STATUS", "STARS"},
        )

    def test_nothing_is_sent_twice_and_a_change_is_sent_once(self):
        alpha = self.client("Alpha", "alpha@example.pl")
        self.sync._push()
        self.api.calls.clear()
        self.assertEqual(self.sync._push()["sent"], 0)
        self.assertEqual(self.api.calls["requests"], 0, "nothing changed: no request at all")
        alpha.priority = "3"
        result = self.sync._push()
        self.assertEqual(result["sent"], 1)
        self.assertEqual(self.api.member("alpha@example.pl")["merge_fields"]["STARS"], 3)

    def test_removed_tag_is_made_inactive(self):
        tag = self.env["res.partner.category"].create({"name": "Targi"})
        alpha = self.client("Alpha", "alpha@example.pl", category_id=[(6, 0, tag.ids)])
        self.sync._push()
        self.assertEqual(self.api.member("alpha@example.pl")["tags"], {"Targi", "New"}, "tags and the status")
        alpha.category_id = False
        self.sync._push()
        self.assertEqual(self.api.member("alpha@example.pl")["tags"], {"New"})

    def test_only_mapped_tags_and_statuses(self):
        hot, cold = self.env["res.partner.category"].create([{"name": "Hot"}, {"name": "Cold"}])
        self.sync._set_param("tag_ids", json.dumps(hot.ids))
        self.sync._set_param("status_ids", json.dumps([self.env.ref("crm_clients.client_status_active").id]))
        self.client("Alpha", "alpha@example.pl", category_id=[(6, 0, (hot | cold).ids)], client_status_id=self.vip.id)
        self.sync._push()
        self.assertEqual(self.api.member("alpha@example.pl")["tags"], {"Hot"})

    def test_double_optin_sends_pending(self):
        self.sync._set_param("double_optin", "True")
        alpha = self.client("Alpha", "alpha@example.pl")
        self.sync._push()
        self.assertEqual(self.api.member("alpha@example.pl")["status"], "pending")
        self.assertEqual(alpha.mailchimp_status, "pending")

    def test_one_member_per_normalized_email(self):
        first = self.client("Alpha", "Biuro@Firma.pl")
        second = self.client("Alpha Oddział", '"Biuro" <biuro@firma.pl>')
        self.sync._push()
        self.assertEqual(len(self.api.members), 1)
        self.assertEqual((first | second).mapped("mailchimp_status"), ["subscribed", "subscribed"])

    def test_member_errors_are_stored_and_the_rest_goes_on(self):
        good = self.client("Good", "good@example.pl")
        fake = self.client("Fake", "fake@example")
        gone = self.client("Gone", "gone@example.pl")
        self.api.forgotten.add(standin.md5("gone@example.pl"))
        result = self.sync._push()
        self.assertEqual((result["sent"], result["errors"]), (3, 2))
        self.assertEqual(good.mailchimp_status, "subscribed")
        self.assertIn("looks fake or invalid", fake.mailchimp_error)
        self.assertIn("permanently deleted", gone.mailchimp_error)
        self.assertEqual(gone.mailchimp_status, "not_synced")
        self.assertIn(fake, self.env["res.partner"].search([("mailchimp_error", "!=", False)]))
        self.api.calls.clear()
        self.sync._push()
        self.assertEqual(self.api.calls["requests"], 0, "refused members are not resent until they change")

    def test_compliance_state_is_an_error_and_never_a_resubscribe(self):
        alpha = self.client("Alpha", "alpha@example.pl")
        self.sync._push()
        self.api.set_status("alpha@example.pl", "unsubscribed")
        alpha.priority = "1"  # a change that would be pushed
        alpha.mailchimp_fingerprint = "stale"
        self.sync._push(force=True)  # even forced: Mailchimp refuses, the error is stored
        self.assertEqual(self.api.member("alpha@example.pl")["status"], "unsubscribed")
        self.assertIn("compliance state", alpha.mailchimp_error)

    def test_large_volumes_go_through_batches(self):
        partners = self.env["res.partner"].create(
            [
                {"name": f"Klient {i}", "email": f"klient{i}@example.pl", "ref": "MC-TEST", "is_company": True}
                for i in range(620)
            ]
        )
        self.api.batch_polls_until_finished = 2
        try:
            result = self.sync._push()
        finally:
            self.api.batch_polls_until_finished = 1
        self.assertEqual((result["sent"], result["errors"]), (620, 0))
        self.assertEqual(len(self.api.members), 620)
        self.assertEqual(self.api.calls["POST /3.0/batches"], 1)
        self.assertEqual(self.api.calls["POST /3.0/lists/" + standin.LIST_ID], 0, "the members went inside the batch")
        self.assertEqual(set(partners.mapped("mailchimp_status")), {"subscribed"})

    def test_scheduled_push_works_in_batches_with_progress(self):
        self.env["res.partner"].create(
            [
                {"name": f"Klient {i}", "email": f"k{i}@example.pl", "ref": "MC-TEST", "is_company": True}
                for i in range(30)
            ]
        )
        result = self.sync._push(limit=20)
        self.assertEqual((result["sent"], result["remaining"]), (20, 10))
        result = self.sync._push(limit=20)
        self.assertEqual((result["sent"], result["remaining"]), (10, 0))
        self.assertEqual(len(self.api.members), 30)


@tagged("post_install", "-at_install")
class TestMailchimpFaults(MailchimpCase):
    def test_429_and_5xx_and_dropped_connections_are_retried(self):
        alpha = self.client("Alpha", "alpha@example.pl")
        self.api.faults.extend(["429", "503", "drop"])
        result = self.sync._push()
        self.assertEqual(result["errors"], 0)
        self.assertEqual(alpha.mailchimp_status, "subscribed")

    def test_persistent_5xx_stops_with_a_clear_message_and_writes_nothing(self):
        alpha = self.client("Alpha", "alpha@example.pl")
        self.api.faults.extend(["500"] * 10)
        with self.env.cr.savepoint(), self.assertRaises(UserError) as caught:
            self.sync._push()
        self.assertIn("Mailchimp is failing", str(caught.exception))
        self.assertEqual(alpha.mailchimp_status, "not_synced")

    def test_401_stops_the_run(self):
        self.client("Alpha", "alpha@example.pl")
        self.sync._set_param("api_key", "ffffffffffffffffffffffffffffffff-us21")
        with self.env.cr.savepoint(), self.assertRaises(UserError) as caught:
            self.sync._push()
        self.assertIn("refused the API key", str(caught.exception))
        self.assertEqual(self.api.calls["requests"], 1, "no retry on 401")

    def test_connection_test_loads_the_audiences(self):
        settings = self.env["res.config.settings"].create({})
        settings.action_crm_clients_mailchimp_test()
        audience = self.env["crm.client.mailchimp.audience"].search([("list_id", "=", standin.LIST_ID)])
        self.assertEqual(audience.name, "Newsletter")
        self.assertEqual(self.api.calls["GET /3.0/ping"], 1)

    def test_data_center_comes_from_the_key(self):
        self.assertEqual(mailchimp.Client("abc-us7").base_url, "https://us7.api.mailchimp.com/3.0")
        with self.assertRaises(mailchimp.MailchimpError):
            mailchimp.Client("0123456789abcdef")  # no -usNN suffix


@tagged("post_install", "-at_install")
class TestMailchimpPull(MailchimpCase):
    def test_pull_catches_missed_unsubscribes_and_blacklists(self):
        alpha = self.client("Alpha", "alpha@example.pl")
        beta = self.client("Beta", "beta@example.pl")
        self.sync._push()
        self.api.set_status("alpha@example.pl", "unsubscribed")
        self.api.set_status("beta@example.pl", "cleaned")
        self.sync._pull()
        self.assertEqual((alpha.mailchimp_status, beta.mailchimp_status), ("unsubscribed", "cleaned"))
        self.assertTrue(alpha.is_blacklisted and beta.is_blacklisted)
        self.api.calls.clear()
        alpha.priority = "3"
        self.sync._push()
        self.assertEqual(self.api.calls["requests"], 0, "never resubscribed: not even sent")


@tagged("post_install", "-at_install")
class TestMailchimpWebhookRegistration(MailchimpCase):
    def test_the_webhook_url_is_registered_once(self):
        self.api.webhooks[standin.LIST_ID].clear()
        url = self.sync._register_webhook()
        self.assertIn(f"/crm_clients_mailchimp/webhook/{self.sync._param('webhook_token')}", url)
        self.sync._register_webhook()
        hooks = self.api.webhooks[standin.LIST_ID]
        self.assertEqual([hook["url"] for hook in hooks], [url])
        self.assertTrue(hooks[0]["events"]["unsubscribe"] and hooks[0]["events"]["cleaned"])


@tagged("post_install", "-at_install")
class TestMailchimpSettings(MailchimpCase):
    def test_mappings_and_audience_are_saved_as_parameters(self):
        hot = self.env["res.partner.category"].create({"name": "Hot"})
        audience = self.env["crm.client.mailchimp.audience"].create({"name": "Other", "list_id": "b0b0b0b0b0"})
        self.sync._set_param("merge_fields_list", standin.LIST_ID)
        settings = self.env["res.config.settings"].create(
            {
                "crm_clients_mailchimp_tag_ids": [(6, 0, hot.ids)],
                "crm_clients_mailchimp_status_ids": [(6, 0, self.vip.ids)],
                "crm_clients_mailchimp_audience_id": audience.id,
            }
        )
        settings.execute()
        self.assertEqual(json.loads(self.sync._param("tag_ids")), hot.ids)
        self.assertEqual(json.loads(self.sync._param("status_ids")), self.vip.ids)
        self.assertEqual(self.sync._param("list_id"), "b0b0b0b0b0")
        self.assertFalse(self.sync._param("merge_fields_list"), "another audience: its merge fields are checked again")
        fresh = self.env["res.config.settings"].create({})
        self.assertEqual(
            (fresh.crm_clients_mailchimp_tag_ids, fresh.crm_clients_mailchimp_audience_id), (hot, audience)
        )
        self.assertIn("/crm_clients_mailchimp/webhook/", fresh.crm_clients_mailchimp_webhook_url)
