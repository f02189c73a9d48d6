"""Emails and phones over real XML-RPC: mirroring, and locked lines that a plain user
cannot change through any call."""

import xmlrpc.client

import pytest

from .conftest import fault_of


@pytest.fixture(scope="module")
def locked_client(admin):
    [pl] = admin.call("res.country", "search", [("code", "=", "PL")])
    pid = admin.call(
        "res.partner",
        "create",
        {
            "name": "RPC Locked",
            "is_company": True,
            "country_id": pl,
            "email": "Biuro@Locked.PL",
            "phone": "22 555 66 77",
        },
    )
    [line] = admin.call("crm.client.email", "search", [("partner_id", "=", pid)])
    assert admin.call("crm.client.email", "action_lock", [line]) is True
    return pid, line


def test_lines_mirror_the_partner(admin, locked_client):
    pid, _line = locked_client
    [partner] = admin.call("res.partner", "read", [pid], ["email", "phone", "email_ids", "phone_ids"])
    emails = admin.call("crm.client.email", "read", partner["email_ids"], ["email", "is_primary", "locked"])
    phones = admin.call("crm.client.phone", "read", partner["phone_ids"], ["number", "extension", "is_primary"])
    assert emails == [{"id": emails[0]["id"], "email": "biuro@locked.pl", "is_primary": True, "locked": True}]
    assert phones[0]["number"] == "+48225556677" and phones[0]["extension"] is False
    assert admin.call("res.partner", "search", [("phone", "ilike", "+48 (22) 555-66-77")]) == [pid]


def test_plain_user_cannot_change_a_locked_line(live_odoo, admin, locked_client):
    pid, line = locked_client
    demo = live_odoo.login("demo", "demo")
    [[xmlid]] = admin.call("crm.client.email", "export_data", [line], ["id"])["datas"]
    attempts = [
        ("crm.client.email", "write", [[line], {"email": "hacked@locked.pl"}]),
        ("crm.client.email", "unlink", [[line]]),
        ("crm.client.email", "action_unlock", [[line]]),
        ("res.partner", "write", [[pid], {"email": "hacked@locked.pl"}]),
        ("res.partner", "write", [[pid], {"email_ids": [(2, line, 0)]}]),
        ("res.partner", "unlink", [[pid]]),
        ("crm.client.email", "load", [["id", "email"], [[xmlid, "hacked@locked.pl"]]]),
    ]
    for model, method, args in attempts:
        try:
            result = demo.call(model, method, *args)
        except xmlrpc.client.Fault as fault:
            assert any(
                word in fault.faultString for word in ("is locked", "lock managers", "not allowed")
            ), fault.faultString
        else:
            # load() reports errors in its answer instead of raising
            assert method == "load" and not result["ids"], result
            assert any("is locked" in message["message"] for message in result["messages"]), result
    [after] = admin.call("crm.client.email", "read", [line], ["email", "locked", "partner_id"])
    assert after["email"] == "biuro@locked.pl" and after["locked"] is True and after["partner_id"][0] == pid
    [partner] = admin.call("res.partner", "read", [pid], ["email"])
    assert partner["email"] == "Biuro@Locked.PL"


def test_invalid_line_is_refused_with_a_clear_message(admin, locked_client):
    pid, _line = locked_client
    message = fault_of(admin.call, "crm.client.email", "create", {"partner_id": pid, "email": "not-an-address"})
    assert "not-an-address is not a valid email address" in message
    message = fault_of(admin.call, "crm.client.phone", "create", {"partner_id": pid, "number": "12"})
    assert "is not a valid phone number" in message
