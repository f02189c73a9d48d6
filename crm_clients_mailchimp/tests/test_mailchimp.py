import base64
import json
import socket
import threading

import requests

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
        self.api.s3.received.clear()
        self.api.s3.faults.clear()
        self.api.s3.signed_ago = 0

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
        self.assertEqual(mailchimp.Client(standin.API_KEY).base_url, "https://us21.api.mailchimp.com/3.0")
        with self.assertRaises(mailchimp.MailchimpError):
            mailchimp.Client("0123456789abcdef")  # no -usNN suffix

    def test_a_key_never_names_another_host(self):
        for key in ("abc-evil.com/x", "abc-us1.attacker.net#", "abc-us1@attacker.net", "abc-us1:8443",
                    "abc-us1/", "abc-us1?", "abc-us1 ", "abc-", "abc-us", "abc-21", "abc-us\u0661", "abc-u\u04551",
                    "abc-us1\n", "abc-us1.api.mailchimp.com@127.0.0.1:1#"):  # fmt: skip
            with self.subTest(key=key), self.assertRaises(mailchimp.MailchimpError) as caught:
                mailchimp.Client(key)
            self.assertEqual(caught.exception.kind, "config")

    def test_a_bad_key_is_refused_before_any_request(self):
        # A key naming 127.0.0.1: before the check, the client sent it (Basic auth) there.
        listener = socket.create_server(("127.0.0.1", 0))
        self.addCleanup(listener.close)
        connections = []

        def accept():
            try:
                while True:
                    conn, _addr = listener.accept()
                    connections.append(conn.recv(1024))
                    conn.close()
            except OSError:
                return

        threading.Thread(target=accept, daemon=True).start()
        port = listener.getsockname()[1]
        self.client("Alpha", "alpha@example.pl")
        self.sync._set_param("base_url", "")
        for key in (f"abc-us1.api.mailchimp.com@127.0.0.1:{port}#", "abc-evil.com/x", "abc-us1.attacker.net#"):
            self.sync._set_param("api_key", key)
            for action in (
                self.sync._push,
                self.env["res.config.settings"].create({}).action_crm_clients_mailchimp_test,
            ):
                with self.subTest(key=key, action=action.__name__), self.env.cr.savepoint():
                    with self.assertRaises(UserError) as caught:
                        action()
                    self.assertIn("API key is not valid", str(caught.exception))
                    self.assertIn("-us21", str(caught.exception))
        self.assertEqual(connections, [], "nothing was sent to the host the key named")

    def test_an_explicit_base_url_is_still_allowed(self):
        # An admin's override (a proxy, this stand-in) takes any key as it is.
        self.sync._set_param("api_key", "plainkey")
        self.api.api_key = "plainkey"
        try:
            alpha = self.client("Alpha", "alpha@example.pl")
            self.sync._push()
        finally:
            self.api.api_key = standin.API_KEY
        self.assertEqual(alpha.mailchimp_status, "subscribed")


@tagged("post_install", "-at_install")
class TestMailchimpBatchResults(MailchimpCase):
    """A finished batch leaves its results on Amazon S3 behind a pre-signed URL."""

    def partners(self, count, fake_every=0):
        return self.env["res.partner"].create(
            [
                {
                    "name": f"Klient {i}",
                    "email": f"klient{i}@example" if fake_every and i % fake_every == 0 else f"klient{i}@example.pl",
                    "ref": "MC-TEST",
                    "is_company": True,
                }
                for i in range(count)
            ]
        )

    def assert_no_credentials_sent_to_s3(self):
        self.assertTrue(self.api.s3.received, "the results were fetched from S3")
        key_auth = base64.b64encode(f"crm_clients:{standin.API_KEY}".encode()).decode()
        for request in self.api.s3.received:
            self.assertNotIn("Authorization", request["headers"])
            self.assertNotIn(standin.API_KEY, json.dumps(request))
            self.assertNotIn(key_auth, json.dumps(request))

    def test_first_sync_of_1000_stores_every_status_and_error(self):
        partners = self.partners(1000, fake_every=97)
        fakes = partners.filtered(lambda p: p.email.endswith("@example"))
        self.api.forgotten.add(standin.md5("klient500@example.pl"))
        gone = partners.filtered(lambda p: p.email == "klient500@example.pl")
        result = self.sync._push()
        self.assertEqual((result["sent"], result["errors"]), (1000, len(fakes) + 1))
        self.assertEqual(self.api.calls["POST /3.0/batches"], 1)
        self.assertEqual(self.api.calls["POST /3.0/lists/" + standin.LIST_ID], 0, "the members went inside the batch")
        self.assert_no_credentials_sent_to_s3()
        good = partners - fakes - gone
        self.assertEqual(set(good.mapped("mailchimp_status")), {"subscribed"})
        self.assertEqual(good.filtered("mailchimp_error"), self.env["res.partner"])
        self.assertEqual(len(self.api.members), len(good))
        for fake in fakes:
            self.assertIn("looks fake or invalid", fake.mailchimp_error)
            self.assertEqual(fake.mailchimp_status, "not_synced")
        self.assertIn("permanently deleted", gone.mailchimp_error)
        self.assertTrue(all(partners.mapped("mailchimp_synced_at")))
        self.api.calls.clear()
        self.assertEqual(self.sync._push()["sent"], 0, "every result was stored: nothing to resend")
        self.assertEqual(self.api.calls["requests"], 0)

    def test_s3_answers_like_s3(self):
        self.api.s3.put("b0b0-response.tar.gz", b"archive")
        url = self.api.s3.presign("b0b0-response.tar.gz")
        self.assertEqual(requests.get(url, timeout=10).content, b"archive")
        refused = requests.get(url, auth=("crm_clients", standin.API_KEY), timeout=10)
        self.assertEqual(refused.status_code, 400)
        self.assertIn("<Code>InvalidArgument</Code>", refused.text)
        self.assertIn("Only one auth mechanism allowed", refused.text)
        tampered = requests.get(url.replace("b0b0-", "c0c0-"), timeout=10)
        self.assertEqual(tampered.status_code, 403)
        self.assertIn("<Code>SignatureDoesNotMatch</Code>", tampered.text)
        self.api.s3.signed_ago = 3600
        expired = requests.get(self.api.s3.presign("b0b0-response.tar.gz"), timeout=10)
        self.assertEqual(expired.status_code, 403)
        self.assertIn("<Message>Request has expired</Message>", expired.text)
        unsigned = requests.get(url.split("?")[0], timeout=10)
        self.assertEqual(unsigned.status_code, 403)

    def test_expired_results_stop_the_run_with_a_clear_message_and_store_nothing(self):
        partners = self.partners(510)
        self.api.s3.signed_ago = 3600
        with self.env.cr.savepoint(), self.assertRaises(UserError) as caught:
            self.sync._push()
        self.assertIn("results of the Mailchimp batch could not be read", str(caught.exception))
        self.assertIn("Request has expired", str(caught.exception))
        self.assertEqual(set(partners.mapped("mailchimp_status")), {"not_synced"})
        self.assertFalse(any(partners.mapped("mailchimp_fingerprint")), "sent again at the next run")

    def test_s3_errors_and_dropped_downloads_are_retried(self):
        partners = self.partners(510)
        self.api.s3.faults.extend(["503", "drop", "500"])
        result = self.sync._push()
        self.assertEqual((result["sent"], result["errors"]), (510, 0))
        self.assertEqual(set(partners.mapped("mailchimp_status")), {"subscribed"})
        self.assertEqual(len(self.api.s3.received), 4)
        self.assert_no_credentials_sent_to_s3()

    def test_an_unreadable_archive_is_a_clear_error(self):
        partners = self.partners(510)
        original = self.api.s3.put

        def corrupt(key, data):
            original(key, data[: len(data) // 2])

        self.api.s3.put = corrupt
        try:
            with self.env.cr.savepoint(), self.assertRaises(UserError) as caught:
                self.sync._push()
        finally:
            self.api.s3.put = original
        self.assertIn("results of the Mailchimp batch could not be read", str(caught.exception))
        self.assertEqual(set(partners.mapped("mailchimp_status")), {"not_synced"})


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
