"""The Data Quality report over XML-RPC and JSON-RPC, as integrators and the web client
read it: a live server on a copy of the database crm_clients was installed into
(CRM_LIVE_E2E_DB, see tools/test.sh)."""

import json
import os
import urllib.request

import pytest

from ..conftest import fault_of
from ..conftest import start_server

FIELDS = ["partner_id", "kind", "problem", "field_name", "value", "normalized_value"]


@pytest.fixture(scope="module")
def server():
    database = os.environ.get("CRM_LIVE_E2E_DB")
    if not database:
        pytest.fail("CRM_LIVE_E2E_DB names the database the live server serves: run the tests with `make test`.")
    live = start_server(database)
    yield live
    live.stop()


@pytest.fixture(scope="module")
def sessions(server):
    admin = server.login("admin", "admin")

    def xmlid(module, name):
        return admin.call("ir.model.data", "search_read", [("module", "=", module), ("name", "=", name)], ["res_id"])[
            0
        ]["res_id"]

    first = xmlid("base", "main_company")
    second = admin.call("res.company", "search", [("name", "=", "Second Company")])[0]
    manager_group = xmlid("crm_clients", "group_client_manager")
    user_group = xmlid("crm_clients", "group_client_user")
    for login, group, company in (
        ("dq_manager_one", manager_group, first),
        ("dq_manager_two", manager_group, second),
        ("dq_plain_user", user_group, first),
    ):
        admin.call(
            "res.users",
            "create",
            {
                "name": login,
                "login": login,
                "password": login,
                "groups_id": [(6, 0, [group])],
                "company_id": company,
                "company_ids": [(6, 0, [company])],
            },
        )
    return {login: server.login(login, login) for login in ("dq_manager_one", "dq_manager_two", "dq_plain_user")}


def findings(session, partner_name):
    return session.call(
        "crm.client.data.quality", "search_read", [("partner_id.name", "=", partner_name)], FIELDS, order="kind"
    )


def test_managers_read_their_companies_findings(sessions):
    one, two = sessions["dq_manager_one"], sessions["dq_manager_two"]
    rows = findings(one, "Bad Nip Sp. z o.o.")
    assert [(r["kind"], r["problem"], r["field_name"], r["value"]) for r in rows] == [
        ("nip", "checksum", "vat", "526-104-08-29")
    ]
    # A partner shared by every company: both see it; the second company's own client:
    # only its manager.
    assert findings(two, "Bad Nip Sp. z o.o.") == rows
    assert findings(one, "Second Company Client") == []
    assert [r["problem"] for r in findings(two, "Second Company Client")] == ["checksum"]
    groups = one.call(
        "crm.client.data.quality", "read_group", [("problem", "!=", "reformatted")], ["kind"], ["kind"], lazy=False
    )
    kinds = {group["kind"]: group["__count"] for group in groups}
    assert kinds["nip"] > 5 and kinds["email"] > 5 and kinds["phone"] > 5 and kinds["vat"] >= 2


def test_refresh_over_rpc_keeps_what_is_still_wrong(sessions):
    one = sessions["dq_manager_one"]
    before = findings(one, "Bad Email Person")
    action = one.call("crm.client.data.quality", "action_refresh", [])
    assert action["type"] == "ir.actions.client"
    after = findings(one, "Bad Email Person")
    assert [(r["kind"], r["value"]) for r in after] == [(r["kind"], r["value"]) for r in before]
    assert len(after) == 2


def test_others_are_refused(sessions):
    user = sessions["dq_plain_user"]
    fault = fault_of(user.call, "crm.client.data.quality", "search_read", [], ["value"])
    assert "You are not allowed to access 'Client Data Quality Finding'" in fault
    fault = fault_of(user.call, "crm.client.data.quality", "action_refresh", [])
    assert "Only client managers can refresh the Data Quality report." in fault
    one = sessions["dq_manager_one"]
    ids = one.call("crm.client.data.quality", "search", [], limit=1)
    for method, args in (("write", [ids, {"value": "x"}]), ("unlink", [ids]), ("create", [{"value": "x"}])):
        assert "You are not allowed to" in fault_of(one.call, "crm.client.data.quality", method, *args), method
    # Whatever context the caller sends.
    fault = fault_of(
        user.call,
        "crm.client.data.quality",
        "action_refresh",
        [],
        context={"active_test": False, "crm_clients_sync_from_partner": True},
    )
    assert "Only client managers" in fault


def test_json_rpc(server, sessions):
    one = sessions["dq_manager_one"]
    payload = {
        "jsonrpc": "2.0",
        "method": "call",
        "params": {
            "service": "object",
            "method": "execute_kw",
            "args": [
                server.db,
                one.uid,
                "dq_manager_one",
                "crm.client.data.quality",
                "search_read",
                [[("partner_id.name", "=", "Formatted Nip")], ["problem", "value", "normalized_value"]],
            ],
        },
    }
    request = urllib.request.Request(
        f"{server.url}/jsonrpc", json.dumps(payload).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        result = json.load(response)["result"]
    assert [(r["problem"], r["value"], r["normalized_value"]) for r in result] == [
        ("reformatted", "PL 197-760-05-66", "1977600566")
    ]
