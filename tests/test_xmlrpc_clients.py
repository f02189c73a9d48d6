"""The client record over real XML-RPC against a live server, as an integrator uses it:
Odoo marshals without allow_none, and access rights apply."""

import pytest

from .conftest import fault_of

NIP = "5261040828"


@pytest.fixture(scope="module")
def poland(admin):
    return admin.call("res.country", "search", [("code", "=", "PL")])[0]


def test_create_in_batch_and_read_back(admin, poland):
    ids = admin.call(
        "res.partner",
        "create",
        [
            {
                "name": "RPC Alpha",
                "is_company": True,
                "vat": "PL 526-104-08-28",
                "country_id": poland,
                "regon": "012-100-784",
                "external_ref": "RPC-1",
                "is_buyer": True,
                "priority": "2",
            },
            {"name": "RPC Beta", "is_company": True, "external_ref": "RPC-2", "is_supplier": True},
        ],
    )
    assert len(ids) == 2
    rows = admin.call(
        "res.partner",
        "read",
        ids,
        [
            "client_number",
            "client_status_id",
            "vat",
            "regon",
            "pesel",
            "krs",
            "is_client",
            "priority",
            "assigned_user_ids",
            "client_origin_id",
            "legal_name",
            "is_buyer",
            "is_supplier",
            "is_workshop",
        ],
    )
    alpha, beta = rows
    assert alpha["client_number"] and beta["client_number"] and alpha["client_number"] != beta["client_number"]
    assert alpha["client_status_id"][1] == "New"
    assert alpha["vat"] == NIP and alpha["regon"] == "012100784"
    assert alpha["pesel"] is False and alpha["client_origin_id"] is False  # no None on the wire
    assert alpha["is_client"] is True and alpha["priority"] == "2"
    assert beta["is_supplier"] is True and beta["is_buyer"] is False


@pytest.mark.parametrize("typed", ["526-104-08-28", "PL 5261040828", "5261040828", "pl526 104 08 28"])
def test_find_by_nip_in_any_format(admin, poland, typed):
    found = admin.call(
        "res.partner", "search_read", [("vat", "ilike", typed), ("external_ref", "=", "RPC-1")], fields=["name"]
    )
    assert [r["name"] for r in found] == ["RPC Alpha"]
    names = admin.call("res.partner", "name_search", typed, [("external_ref", "=", "RPC-1")])
    assert [n[1] for n in names] == ["RPC Alpha"]


def test_invalid_identifier_is_refused_with_a_clear_message(admin, poland):
    message = fault_of(admin.call, "res.partner", "create", {"name": "Bad", "vat": "5261040827", "country_id": poland})
    assert "NIP 5261040827 is not valid" in message
    message = fault_of(admin.call, "res.partner", "create", {"name": "Bad", "pesel": "44051401358"})
    assert "PESEL 44051401358 is not valid" in message
    assert admin.call("res.partner", "search_count", [("name", "=", "Bad")]) == 0


def test_duplicate_external_reference_is_refused(admin):
    message = fault_of(admin.call, "res.partner", "create", {"name": "Dup", "external_ref": "RPC-2"})
    assert "RPC-2" in message and "already used" in message
    assert admin.call("res.partner", "search_count", [("name", "=", "Dup")]) == 0


def test_status_board_and_default(admin):
    statuses = admin.call("crm.client.status", "search_read", [], fields=["name", "is_default", "fold", "sequence"])
    assert [s["name"] for s in statuses][:4] == ["New", "Active", "VIP", "Inactive"]
    assert [s["name"] for s in statuses if s["is_default"]] == ["New"]
    groups = admin.call(
        "res.partner", "read_group", [("is_client", "=", True)], ["client_status_id"], ["client_status_id"], lazy=False
    )
    assert {g["client_status_id"][1] for g in groups} >= {"New", "Active", "VIP"}


def test_archive_and_restore(admin):
    [pid] = admin.call("res.partner", "search", [("external_ref", "=", "RPC-2")])
    assert admin.call("res.partner", "action_archive", [pid]) is True
    assert admin.call("res.partner", "search", [("external_ref", "=", "RPC-2")]) == []
    assert admin.call("res.partner", "search", [("external_ref", "=", "RPC-2"), ("active", "=", False)]) == [pid]
    admin.call("res.partner", "action_unarchive", [pid])
    assert admin.call("res.partner", "search", [("external_ref", "=", "RPC-2")]) == [pid]


def test_access_rights_apply_over_xmlrpc(live_odoo):
    demo = live_odoo.login("demo", "demo")  # an employee in CRM Clients / User
    assert demo.call("crm.client.status", "search_count", []) >= 4
    message = fault_of(demo.call, "crm.client.status", "create", {"name": "Hacked"})
    assert "not allowed" in message
    [vip] = demo.call("crm.client.status", "search", [("name", "=", "VIP")])
    fault_of(demo.call, "crm.client.status", "write", [vip], {"is_default": True})
    admin = live_odoo.login("admin", "admin")
    assert [
        s["name"] for s in admin.call("crm.client.status", "search_read", [("is_default", "=", True)], fields=["name"])
    ] == ["New"]
