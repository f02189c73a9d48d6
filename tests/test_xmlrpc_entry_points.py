"""The record's promises attacked over real XML-RPC, JSON-RPC and HTTP against a live
server, as every role that exists: a plain employee with Contact Creation, a client user,
a lock manager, a client administrator, a user of another company, a portal user and
the public. Each attack is a call any of them can make with a stock client."""

import base64
import itertools
import json
import urllib.error
import urllib.request
import xmlrpc.client

import pytest

from .conftest import fault_of

_counter = itertools.count()


def xmlid(admin, ref):
    module, name = ref.split(".")
    return admin.call("ir.model.data", "check_object_reference", module, name)[1]


def make_user(admin, login, groups, **vals):
    group_ids = [xmlid(admin, ref) for ref in groups]
    return admin.call(
        "res.users",
        "create",
        {
            "name": login,
            "login": login,
            "email": f"{login}@entry-points.example",
            "password": f"{login}-pass-1234",
            "groups_id": [(6, 0, group_ids)],
            **vals,
        },
    )


@pytest.fixture(scope="module")
def roles(live_odoo, admin):
    """A session per role. Every employee has Contact Creation (the widest rights on
    partners Odoo gives employees); the other company's user manages clients there."""
    company_b = admin.call("res.company", "create", {"name": "Entry Points B"})
    # Scans are kept by the ID documents group only: the administrator joins it for the set-up.
    admin.call(
        "res.users", "write", [admin.uid], {"groups_id": [(4, xmlid(admin, "crm_clients.group_client_id_documents"))]}
    )
    main_company = admin.call("res.users", "read", [admin.uid], ["company_id"])[0]["company_id"][0]
    client_for_portal = admin.call("res.partner", "create", {"name": "Portal Client Ltd", "is_company": True})
    portal_person = admin.call(
        "res.partner", "create", {"name": "Pat Portal", "parent_id": client_for_portal, "email": "pat@portal.example"}
    )
    specs = {
        "employee": (["base.group_user", "base.group_partner_manager"], {}),
        "client_user": (["base.group_user", "base.group_partner_manager", "crm_clients.group_client_user"], {}),
        "lock_manager": (
            ["base.group_user", "base.group_partner_manager", "crm_clients.group_client_lock_manager"],
            {},
        ),
        "manager": (["base.group_user", "base.group_partner_manager", "crm_clients.group_client_manager"], {}),
        "company_b": (
            ["base.group_user", "crm_clients.group_client_manager", "crm_clients.group_client_id_documents"],
            {"company_id": company_b, "company_ids": [(6, 0, [company_b])]},
        ),
        "portal": (["base.group_portal"], {"partner_id": portal_person}),
    }
    sessions = {}
    for role, (groups, vals) in specs.items():
        login = f"ep_{role}"
        make_user(admin, login, groups, **vals)
        sessions[role] = live_odoo.login(login, f"{login}-pass-1234")
        sessions[role].login = login
    sessions["main_company"] = main_company
    return sessions


@pytest.fixture
def locked_client(admin, roles):
    """A client of the main company with a locked email and phone, a contact person with
    an ID document scan, a relation and an external reference."""
    n = next(_counter)
    pid = admin.call(
        "res.partner",
        "create",
        {
            "name": f"Locked Client {n}",
            "is_company": True,
            "company_id": roles["main_company"],
            "email": f"biuro{n}@locked.example",
            "phone": "+48 22 100 03 11",
            "external_ref": f"EP-{n}",
        },
    )
    lines = admin.call("res.partner", "read", [pid], ["email_ids", "phone_ids"])[0]
    admin.call("crm.client.email", "action_lock", lines["email_ids"])
    admin.call("crm.client.phone", "action_lock", lines["phone_ids"])
    person = admin.call(
        "res.partner", "create", {"name": f"Person {n}", "parent_id": pid, "company_id": roles["main_company"]}
    )
    scan = admin.call(
        "crm.client.id.document",
        "create",
        {"partner_id": person, "document_type": "passport", "scan": base64.b64encode(b"%PDF scan").decode()},
    )
    other = admin.call("res.partner", "create", {"name": f"Related {n}", "company_id": roles["main_company"]})
    relation = admin.call(
        "crm.client.relation",
        "create",
        {
            "left_partner_id": pid,
            "type_id": xmlid(admin, "crm_clients.relation_type_partner"),
            "right_partner_id": other,
        },
    )
    admin.call("res.partner", "message_post", [pid], body="Internal note", message_type="comment")
    return {
        "id": pid,
        "email_line": lines["email_ids"][0],
        "phone_line": lines["phone_ids"][0],
        "person": person,
        "scan": scan,
        "relation": relation,
        "ref": f"EP-{n}",
        "email": f"biuro{n}@locked.example",
    }


SWITCHES = {
    "crm_clients_merge": True,
    "crm_clients_sync_done": True,
    "crm_clients_sync_from_partner": True,
    "crm_clients_not_a_client": True,
    "crm_clients_cascade": True,
}


def denied(fault):
    """An access refusal, in any of Odoo's wordings (access rights, record rules, ours)."""
    return any(words in fault for words in ("not allowed", "doesn't have", "Only "))


def call_with_context(session, model, method, args, context):
    return session.models.execute_kw(
        session.server.db, session.uid, session.password, model, method, args, {"context": context}
    )


def test_context_keys_switch_nothing(admin, roles, locked_client):
    line, pid = locked_client["email_line"], locked_client["id"]
    changes = [
        ("crm.client.email", "write", [[line], {"email": "hacked@evil.example"}]),
        ("crm.client.email", "unlink", [[line]]),
        ("res.partner", "write", [[pid], {"email": "hacked@evil.example"}]),
        ("res.partner", "write", [[pid], {"phone": False}]),
        ("res.partner", "unlink", [[pid]]),
    ]
    unlock = ("crm.client.email", "write", [[line], {"locked": False}])
    # Even a lock manager changes a locked line only by unlocking it first.
    for role in ("employee", "client_user", "lock_manager", "manager"):
        for model, method, args in changes + ([unlock] if role != "lock_manager" else []):
            with pytest.raises(xmlrpc.client.Fault) as caught:
                call_with_context(roles[role], model, method, args, SWITCHES)
            assert "lock" in caught.value.faultString, (role, model, method, caught.value.faultString)
    employee = roles["employee"]
    # JSON-RPC carries a context just the same.
    answer = json_rpc(
        employee,
        "object",
        "execute_kw",
        [employee.server.db, employee.uid, employee.password, "crm.client.email", "unlink", [[line]]],
        {"context": SWITCHES},
    )
    assert "locked" in answer["error"]["data"]["message"]
    [partner] = admin.call("res.partner", "read", [pid], ["email", "phone"])
    [email] = admin.call("crm.client.email", "read", [line], ["email", "locked"])
    assert (partner["email"], email["email"], email["locked"]) == (locked_client["email"], locked_client["email"], True)
    created = call_with_context(employee, "res.partner", "create", [{"name": "Switched Ltd"}], SWITCHES)
    [new] = admin.call("res.partner", "read", [created], ["client_number", "client_status_id"])
    assert new["client_number"] and new["client_status_id"], "every client gets its number and status"


def json_rpc(session, service, method, args, kwargs=None):
    if kwargs is not None:
        args = [*args, kwargs]
    body = json.dumps(
        {"jsonrpc": "2.0", "method": "call", "params": {"service": service, "method": method, "args": args}}
    )
    request = urllib.request.Request(
        f"{session.server.url}/jsonrpc", data=body.encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def test_odoo_merge_wizard_keeps_everything(admin, roles, locked_client):
    employee = roles["employee"]
    target = admin.call(
        "res.partner",
        "create",
        {"name": "Wizard Target", "company_id": roles["main_company"], "email": locked_client["email"]},
    )
    [target_number] = admin.call("res.partner", "read", [target], ["client_number"])
    wizard = employee.call(
        "base.partner.merge.automatic.wizard",
        "create",
        {"partner_ids": [(6, 0, [target, locked_client["id"]])], "dst_partner_id": target},
    )
    employee.call("base.partner.merge.automatic.wizard", "action_merge", [wizard])
    assert not admin.call("res.partner", "search", [("id", "=", locked_client["id"])])
    emails = admin.call("crm.client.email", "search_read", [("partner_id", "=", target)], ["email", "locked"])
    phones = admin.call("crm.client.phone", "search_read", [("partner_id", "=", target)], ["number", "locked"])
    assert [(e["email"], e["locked"]) for e in emails] == [(locked_client["email"], True)]
    assert [(p["number"], p["locked"]) for p in phones] == [("+48221000311", True)]
    [after] = admin.call("res.partner", "read", [target], ["client_number", "external_ref", "phone"])
    assert after["client_number"] == target_number["client_number"] and not after["external_ref"]
    row = {"external_ref": locked_client["ref"], "name": "X", "company_id": roles["main_company"]}
    [result] = admin.call("res.partner", "client_upsert", [row])
    assert (result["id"], result["created"]) == (target, False), "the source's reference leads to the target"
    [relation] = admin.call("crm.client.relation", "read", [locked_client["relation"]], ["left_partner_id"])
    assert relation["left_partner_id"][0] == target


def test_another_company_sees_nothing(admin, roles, locked_client):
    other = roles["company_b"]
    for model, record in (
        ("crm.client.email", locked_client["email_line"]),
        ("crm.client.phone", locked_client["phone_line"]),
        ("crm.client.relation", locked_client["relation"]),
        ("crm.client.id.document", locked_client["scan"]),
    ):
        assert other.call(model, "search", [("id", "=", record)]) == [], model
        assert denied(fault_of(other.call, model, "read", [record], ["display_name"])), model
    alias = admin.call(
        "crm.client.external.ref.alias",
        "create",
        {"partner_id": locked_client["id"], "external_ref": f"{locked_client['ref']}-OLD"},
    )
    assert other.call("crm.client.external.ref.alias", "search", [("id", "=", alias)]) == []
    assert other.call("crm.client.timeline", "search", [("client_id", "=", locked_client["id"])]) == []
    assert denied(fault_of(other.call, "res.partner", "client_timeline_read", [locked_client["id"]]))
    groups = other.call("res.partner", "client_find_duplicates", [])
    assert not [g for g in groups if locked_client["id"] in g["partner_ids"]]


def test_id_document_scans_stay_in_their_group(live_odoo, admin, roles, locked_client):
    [attachment] = admin.call(
        "ir.attachment",
        "search",
        [
            ("res_model", "=", "crm.client.id.document"),
            ("res_id", "=", locked_client["scan"]),
            ("res_field", "=", "scan"),
        ],
    )
    for role in ("employee", "client_user", "lock_manager", "manager"):
        session = roles[role]
        assert session.call("ir.attachment", "search", [("id", "=", attachment)]) == [], role
        assert denied(fault_of(session.call, "ir.attachment", "read", [attachment], ["datas"])), role
        assert (
            session.call(
                "ir.attachment", "search", [("res_model", "=", "res.partner"), ("res_id", "=", locked_client["person"])]
            )
            == []
        ), role
        fault = fault_of(session.call, "ir.attachment", "write", [attachment], {"client_shared": True})
        assert denied(fault), role
        status = http_get(live_odoo, f"/web/content/{attachment}", session)
        assert status in (403, 404), (role, status)
    # A portal user, and the public (sent to the login page at most).
    assert http_get(live_odoo, f"/web/content/{attachment}", roles["portal"]) in (403, 404)
    assert http_get(live_odoo, f"/web/content/{attachment}", None) in (303, 403, 404)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the redirect itself is the answer looked at


def http_get(live_odoo, path, session):
    """Status of a GET as the session's user (logged in like a browser), or the public's."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(), _NoRedirect())
    if session is not None:
        body = json.dumps(
            {"jsonrpc": "2.0", "params": {"db": live_odoo.db, "login": session.login, "password": session.password}}
        ).encode()
        request = urllib.request.Request(
            f"{live_odoo.url}/web/session/authenticate", data=body, headers={"Content-Type": "application/json"}
        )
        with opener.open(request, timeout=30) as response:
            assert "error" not in json.loads(response.read())
    try:
        with opener.open(f"{live_odoo.url}{path}", timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_portal_user_reaches_no_staff_method(roles, locked_client):
    portal = roles["portal"]
    for model, method, args in (
        ("res.partner", "client_find_duplicates", []),
        ("res.partner", "client_timeline_read", [[locked_client["id"]]]),
        ("res.partner", "client_merge_preview", [[locked_client["id"]], locked_client["person"]]),
        ("res.partner", "client_merge", [[locked_client["id"]], locked_client["person"]]),
        ("res.partner", "client_upsert", [[{"external_ref": "PORTAL-1", "name": "Portal made"}]]),
        ("crm.client.email", "search_read", [[]]),
        ("crm.client.id.document", "search_read", [[]]),
        ("crm.client.timeline", "search_read", [[]]),
        ("crm.client.relation", "search_read", [[]]),
    ):
        fault = fault_of(portal.call, model, method, *args)
        assert denied(fault), (model, method, fault)
