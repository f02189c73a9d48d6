"""Mailchimp sync over a live server: the stand-in answers the live Odoo's requests, and
posts real form-encoded webhooks to its controller."""

import pytest

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
    import requests

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
