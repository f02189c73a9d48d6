"""Mailchimp sync over a live server: the stand-in answers the live Odoo's requests, and
posts real form-encoded webhooks to its controller."""

import base64
import json
from urllib.parse import urlencode

import pytest
import requests

from odoo.addons.crm_clients_mailchimp.tests import mailchimp_standin as standin

from .conftest import fault_of


@pytest.fixture(scope="module")
def mailchimp_api(admin):
    api = standin.MailchimpStandin()
    api.start()
    for key, value in {
        "api_key": standin.API_KEY,
        "base_url": api.url,
        "list_id": standin.LIST_ID,
        "backoff": "0.01",
        "batch_poll": "0.01",
        "sync_domain": "[('email', '!=', False), ('is_blacklisted', '=', False), ('ref', '=', 'MC-RPC')]",
    }.items():
        admin.call("ir.config_parameter", "set_param", f"crm_clients_mailchimp.{key}", value)
    yield api
    api.stop()


def webhook_url(live_odoo, admin, token=None):
    token = token or admin.call("ir.config_parameter", "get_param", "crm_clients_mailchimp.webhook_token")
    assert token, "a webhook token is generated at install"
    return f"{live_odoo.url}/crm_clients_mailchimp/webhook/{token}"


def test_sync_now_and_webhooks(live_odoo, admin, mailchimp_api):
    alpha, beta = admin.call(
        "res.partner",
        "create",
        [
            {"name": "RPC Alpha", "email": "rpc.alpha@example.pl", "ref": "MC-RPC", "is_company": True},
            {"name": "RPC Beta Person", "email": "rpc.beta@example.pl", "ref": "MC-RPC"},
        ],
    )
    admin.call("res.partner", "action_mailchimp_sync", [alpha, beta])
    assert mailchimp_api.member("rpc.alpha@example.pl")["status"] == "subscribed"
    rows = admin.call(
        "res.partner", "read", [alpha, beta], ["mailchimp_status", "mailchimp_synced_at", "mailchimp_error"]
    )
    assert [r["mailchimp_status"] for r in rows] == ["subscribed", "subscribed"]
    assert all(r["mailchimp_synced_at"] and not r["mailchimp_error"] for r in rows)

    url = webhook_url(live_odoo, admin)
    assert requests.get(url, headers={"User-Agent": "MailChimp.com WebHook Validator"}, timeout=30).status_code == 200
    mailchimp_api.set_status("rpc.alpha@example.pl", "unsubscribed")
    response = mailchimp_api.post_webhook(
        url, "unsubscribe",
        {"action": "unsub", "reason": "manual", "id": "8a25ff1d98", "list_id": standin.LIST_ID,
         "email": "rpc.alpha@example.pl", "email_type": "html", "merges": {"EMAIL": "rpc.alpha@example.pl"}},
    )  # fmt: skip
    assert response.status_code == 200
    mailchimp_api.post_webhook(
        url,
        "upemail",
        {"list_id": standin.LIST_ID, "old_email": "rpc.beta@example.pl", "new_email": "rpc.beta2@example.pl"},
    )
    mailchimp_api.post_webhook(
        url,
        "profile",
        {"list_id": standin.LIST_ID, "email": "rpc.beta2@example.pl", "merges": {"FNAME": "Beata", "LNAME": "Nowak"}},
    )
    rows = admin.call("res.partner", "read", [alpha, beta], ["mailchimp_status", "is_blacklisted", "email", "name"])
    assert (rows[0]["mailchimp_status"], rows[0]["is_blacklisted"]) == ("unsubscribed", True)
    assert (rows[1]["email"], rows[1]["name"]) == ("rpc.beta2@example.pl", "Beata Nowak")

    # The next sync never subscribes the unsubscribed member again: blacklisted, it is not
    # a member to sync any more, even asked for explicitly.
    admin.call("res.partner", "write", [alpha], {"priority": "3"})
    assert "None of these partners" in fault_of(admin.call, "res.partner", "action_mailchimp_sync", [alpha])
    assert mailchimp_api.member("rpc.alpha@example.pl")["status"] == "unsubscribed"


def test_wrong_token_is_404_and_changes_nothing(live_odoo, admin, mailchimp_api):
    partner = admin.call(
        "res.partner", "create", {"name": "RPC Gamma", "email": "rpc.gamma@example.pl", "ref": "MC-RPC"}
    )
    response = mailchimp_api.post_webhook(
        webhook_url(live_odoo, admin, token="not-the-token"), "unsubscribe",
        {"list_id": standin.LIST_ID, "email": "rpc.gamma@example.pl"},
    )  # fmt: skip
    assert response.status_code == 404
    (row,) = admin.call("res.partner", "read", [partner], ["mailchimp_status", "is_blacklisted"])
    assert (row["mailchimp_status"], row["is_blacklisted"]) == ("not_synced", False)


def test_sync_now_needs_write_access(live_odoo, admin, mailchimp_api):
    portal_group = admin.call("ir.model.data", "check_object_reference", "base", "group_portal")[1]
    admin.call(
        "res.users", "create",
        {"name": "MC Portal", "login": "mc-portal", "password": "mc-portal-pw", "groups_id": [(6, 0, [portal_group])]},
    )  # fmt: skip
    partner = admin.call(
        "res.partner", "create", {"name": "RPC Delta", "email": "rpc.delta@example.pl", "ref": "MC-RPC"}
    )
    portal = live_odoo.login("mc-portal", "mc-portal-pw")
    assert fault_of(portal.call, "res.partner", "action_mailchimp_sync", [partner])
    assert mailchimp_api.member("rpc.delta@example.pl") is None


def test_slow_answers_are_retried(admin, mailchimp_api):
    # The live server is not Odoo's test framework: a 1 s timeout stays 1 s.
    admin.call("ir.config_parameter", "set_param", "crm_clients_mailchimp.timeout", "1")
    try:
        partner = admin.call(
            "res.partner", "create", {"name": "RPC Slow", "email": "rpc.slow@example.pl", "ref": "MC-RPC"}
        )
        mailchimp_api.slow_seconds = 2
        mailchimp_api.faults.append("slow")
        admin.call("res.partner", "action_mailchimp_sync", [partner])
        (row,) = admin.call("res.partner", "read", [partner], ["mailchimp_status"])
        assert row["mailchimp_status"] == "subscribed"
    finally:
        admin.call("ir.config_parameter", "set_param", "crm_clients_mailchimp.timeout", "20")


# ---- the webhook under attack: real HTTP, form-encoded as Mailchimp posts ----

SNAPSHOT_FIELDS = ["name", "email", "phone", "mobile", "mailchimp_status", "active"]


def snapshot(admin):
    """Every partner's name, email, phones and sync status (archived ones included) and
    the blacklist: compared before and after, nothing else may have changed."""
    partners = admin.call("res.partner", "search_read", [], SNAPSHOT_FIELDS, context={"active_test": False})
    blacklist = admin.call("mail.blacklist", "search_read", [], ["email"], context={"active_test": False})
    return {p["id"]: p for p in partners}, sorted(b["email"] for b in blacklist)


def post_form(url, body, content_type="application/x-www-form-urlencoded"):
    return requests.post(
        url, data=body, headers={"Content-Type": content_type, "User-Agent": "MailChimp.com"}, timeout=60
    )


@pytest.fixture
def server_log(live_odoo):
    """The server's log written during the test: no traceback may appear in it."""
    start = len(live_odoo.log_text())
    yield lambda: live_odoo.log_text()[start:]


def make_user(admin, login, email, group, active=True):
    group_id = admin.call("ir.model.data", "check_object_reference", "base", group)[1]
    user = admin.call(
        "res.users", "create",
        {"name": login, "login": login, "email": email, "password": f"{login}-pw-1234", "groups_id": [(6, 0, [group_id])]},
    )  # fmt: skip
    partner = admin.call("res.users", "read", [user], ["partner_id"])[0]["partner_id"][0]
    # In the sync domain on purpose: only their being users protects them.
    admin.call("res.partner", "write", [partner], {"ref": "MC-RPC"})
    if not active:
        admin.call("res.users", "write", [user], {"active": False})
    return user, partner


def test_webhook_events_never_reach_users_partners(live_odoo, admin, mailchimp_api, server_log):
    users = [
        make_user(admin, "mc-staff", "mc.staff@firma.pl", "group_user"),
        make_user(admin, "mc-portal2", "mc.portal@firma.pl", "group_portal"),
        make_user(admin, "mc-archived", "mc.archived@firma.pl", "group_user", active=False),
    ]
    url = webhook_url(live_odoo, admin)
    before = snapshot(admin)
    for email in ("mc.staff@firma.pl", "mc.portal@firma.pl", "mc.archived@firma.pl"):
        events = [
            ("upemail", {"old_email": email, "new_email": "attacker@evil.example", "new_id": "x", "list_id": standin.LIST_ID}),
            ("profile", {"email": email, "list_id": standin.LIST_ID, "merges": {"FNAME": "Hacked", "PHONE": "+48 600 000 000"}}),
            ("unsubscribe", {"email": email, "list_id": standin.LIST_ID, "action": "unsub", "reason": "manual"}),
            ("cleaned", {"email": email, "list_id": standin.LIST_ID, "reason": "hard"}),
            ("subscribe", {"email": email, "list_id": standin.LIST_ID}),
        ]  # fmt: skip
        for event, data in events:
            assert mailchimp_api.post_webhook(url, event, data).status_code == 200, (event, email)
    assert snapshot(admin) == before
    emails = admin.call("res.users", "read", [u for u, _p in users], ["email"], context={"active_test": False})
    assert [row["email"] for row in emails] == ["mc.staff@firma.pl", "mc.portal@firma.pl", "mc.archived@firma.pl"]
    assert "Traceback" not in server_log()


def test_profile_without_a_valid_email_renames_nobody(live_odoo, admin, mailchimp_api, server_log):
    # People without an email, in and out of the sync domain: a profile event without an
    # address once renamed every one of them.
    admin.call(
        "res.partner", "create", [{"name": f"RPC No Email {i}", "ref": "MC-RPC" if i % 2 else False} for i in range(30)]
    )
    url = webhook_url(live_odoo, admin)
    before = snapshot(admin)
    assert sum(1 for p in before[0].values() if not p["email"]) >= 30
    merges = {"FNAME": "Hacked", "LNAME": "Name", "PHONE": "+48 600 000 000"}
    for email in (None, "", " ", "not-an-email", "a@b.pl, c@d.pl", "@firma.pl"):
        data = {"list_id": standin.LIST_ID, "merges": merges}
        if email is not None:
            data["email"] = email
        assert mailchimp_api.post_webhook(url, "profile", data).status_code == 200, email
    for old, new in (("", "x@evil.example"), ("rpc.nobody@example.pl", ""), ("rpc.nobody@example.pl", "bad@")):
        data = {"list_id": standin.LIST_ID, "old_email": old, "new_email": new}
        assert mailchimp_api.post_webhook(url, "upemail", data).status_code == 200
    for event in ("unsubscribe", "cleaned", "subscribe", "campaign", "no-such-event", ""):
        assert mailchimp_api.post_webhook(url, event, {"list_id": standin.LIST_ID}).status_code == 200
    assert snapshot(admin) == before
    assert "Traceback" not in server_log()


def test_webhook_stays_in_the_sync_domain_and_skips_locked_lines(live_odoo, admin, mailchimp_api, server_log):
    inside, outside, locked, locked_phone, free = admin.call(
        "res.partner", "create",
        [{"name": "RPC Anna Nowak", "email": "rpc.anna@example.pl", "ref": "MC-RPC"},
         {"name": "RPC Anna Obca", "email": "rpc.anna@example.pl", "ref": "OTHER"},
         {"name": "RPC Lock Email", "email": "rpc.lock@example.pl", "ref": "MC-RPC"},
         {"name": "RPC Lock Phone", "email": "rpc.lock@example.pl", "phone": "+48 22 111 11 11", "ref": "MC-RPC"},
         {"name": "RPC Lock Free", "email": "rpc.lock@example.pl", "ref": "MC-RPC"}],
    )  # fmt: skip
    lines = admin.call("res.partner", "read", [locked, locked_phone], ["email_ids", "phone_ids"])
    admin.call("crm.client.email", "action_lock", lines[0]["email_ids"])
    admin.call("crm.client.phone", "action_lock", lines[1]["phone_ids"])
    url = webhook_url(live_odoo, admin)
    before = snapshot(admin)
    profile = {
        "email": "rpc.anna@example.pl",
        "list_id": standin.LIST_ID,
        "merges": {"FNAME": "Anna", "LNAME": "Kowalska"},
    }
    assert mailchimp_api.post_webhook(url, "profile", profile).status_code == 200
    assert mailchimp_api.post_webhook(
        url, "profile",
        {"email": "rpc.lock@example.pl", "list_id": standin.LIST_ID, "merges": {"FNAME": "Jan", "LNAME": "Zmieniony", "PHONE": "+48 600 300 400"}},
    ).status_code == 200  # fmt: skip
    assert mailchimp_api.post_webhook(
        url, "upemail", {"old_email": "rpc.lock@example.pl", "new_email": "rpc.lock2@example.pl", "list_id": standin.LIST_ID}
    ).status_code == 200  # fmt: skip
    after = snapshot(admin)
    changed = {pid for pid, row in after[0].items() if before[0].get(pid) != row}
    assert changed == {inside, locked, locked_phone, free}, "nobody else, not the outsider"
    assert after[0][inside]["name"] == "Anna Kowalska"
    assert after[0][outside] == before[0][outside]
    # The locked email's partner took the profile change (its phone was free) but kept its email;
    # the locked phone's partner kept its name and phone (one event, all or nothing), and
    # took the new email (its email line was free).
    assert (after[0][locked]["name"], after[0][locked]["email"]) == ("Jan Zmieniony", "rpc.lock@example.pl")
    assert {**after[0][locked_phone], "email": "rpc.lock@example.pl"} == before[0][locked_phone]
    assert after[0][locked_phone]["email"] == "rpc.lock2@example.pl"
    assert (after[0][free]["name"], after[0][free]["email"]) == ("Jan Zmieniony", "rpc.lock2@example.pl")
    log = server_log()
    assert "locked" in log and "Traceback" not in log


BAD_TOKENS = [
    "not-the-token",
    "A" * 20000,
    "zażółć-gęślą-jaźń",
    "%00%ff%fe%C0%AF%e2%82",
    "%2e%2e%2f%2e%2e",
    "%25%32%35",
    "%",
    "token%0d%0aSet-Cookie:%20x=1",
    "\u202e",
]


def test_any_other_token_is_404_never_500(live_odoo, admin, mailchimp_api, server_log):
    partner = admin.call(
        "res.partner", "create", {"name": "RPC Token", "email": "rpc.token@example.pl", "ref": "MC-RPC"}
    )
    token = admin.call("ir.config_parameter", "get_param", "crm_clients_mailchimp.webhook_token")
    base = f"{live_odoo.url}/crm_clients_mailchimp/webhook/"
    body = urlencode({"type": "unsubscribe", "data[email]": "rpc.token@example.pl", "data[list_id]": standin.LIST_ID})
    for bad in [*BAD_TOKENS, token[:-1], token + "x", token.upper() if token.upper() != token else token.lower(), ""]:
        for method in ("GET", "POST"):
            response = requests.request(method, base + bad, data=body if method == "POST" else None, timeout=60,
                                        headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
            assert response.status_code in (404, 414), (method, bad[:40], response.status_code)
    assert (
        requests.get(base + token, headers={"User-Agent": "MailChimp.com WebHook Validator"}, timeout=30).status_code
        == 200
    )
    # No token configured: nothing matches, not even an empty one.
    admin.call("ir.config_parameter", "set_param", "crm_clients_mailchimp.webhook_token", False)
    try:
        for bad in (token, "", "False", "None", "%00"):
            assert (
                requests.post(
                    base + bad, data=body, timeout=60, headers={"Content-Type": "application/x-www-form-urlencoded"}
                ).status_code
                == 404
            )
            assert requests.get(base + bad, timeout=60).status_code == 404
    finally:
        admin.call("ir.config_parameter", "set_param", "crm_clients_mailchimp.webhook_token", token)
    (row,) = admin.call("res.partner", "read", [partner], ["mailchimp_status", "is_blacklisted"])
    assert (row["mailchimp_status"], row["is_blacklisted"]) == ("not_synced", False)
    assert "Traceback" not in server_log()


def test_malformed_bodies_change_nothing(live_odoo, admin, mailchimp_api, server_log):
    victim = admin.call(
        "res.partner", "create", {"name": "RPC Victim", "email": "rpc.victim@example.pl", "ref": "MC-RPC"}
    )
    url = webhook_url(live_odoo, admin)
    profile = {"type": "profile", "data[email]": "rpc.victim@example.pl", "data[list_id]": standin.LIST_ID,
               "data[merges][FNAME]": "Hacked", "data[merges][LNAME]": "Victim"}  # fmt: skip
    duplicated = urlencode(profile) + "&data[email]=rpc.other@example.pl"
    bodies = [
        (json.dumps({"type": "profile", "data": {"email": "rpc.victim@example.pl", "merges": {"FNAME": "Hacked"}}}), "application/json"),
        (urlencode(profile), "text/plain"),
        (urlencode(profile).encode() + b"&\xff\xfe\x00=\x80", "application/x-www-form-urlencoded"),
        (duplicated, "application/x-www-form-urlencoded"),
        (urlencode(profile) + "&type=unsubscribe", "application/x-www-form-urlencoded"),
        (urlencode({**profile, "data[list_id]": "0000000000"}), "application/x-www-form-urlencoded"),
        (urlencode({k: v for k, v in profile.items() if k != "data[list_id]"}), "application/x-www-form-urlencoded"),
        (urlencode(profile), "multipart/form-data"),
        (b"--x\r\nContent-Disposition: form-data; name=\"type\"\r\n\r\nprofile\r\n--x", "multipart/form-data; boundary=x"),
        (base64.b64encode(urlencode(profile).encode()), "application/x-www-form-urlencoded"),
        ("data[email]=" + "A" * (3 * 1024 * 1024), "application/x-www-form-urlencoded"),
        (urlencode(profile) + "&" + "&".join(f"data[merges][F{i}]=x" for i in range(1000)), "application/x-www-form-urlencoded"),
        (b"\x1f\x8b\x08\x00" + b"\x00" * 64, "application/x-www-form-urlencoded"),
        ("", "application/x-www-form-urlencoded"),
    ]  # fmt: skip
    before = snapshot(admin)
    for body, content_type in bodies:
        response = post_form(url, body, content_type)
        assert response.status_code < 500, (content_type, body[:80], response.status_code)
        assert response.status_code in (200, 400, 413), (content_type, body[:80], response.status_code)
    assert requests.put(url, data=urlencode(profile), timeout=30).status_code in (404, 405)
    assert snapshot(admin) == before
    (row,) = admin.call("res.partner", "read", [victim], ["name"])
    assert row["name"] == "RPC Victim"
    assert "Traceback" not in server_log()
    # The same event, well formed, does change the victim: the bodies above were refused.
    assert post_form(url, urlencode(profile)).status_code == 200
    assert admin.call("res.partner", "read", [victim], ["name"])[0]["name"] == "Hacked Victim"
