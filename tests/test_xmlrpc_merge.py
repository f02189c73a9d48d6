"""Merge choices, undo and merged ids on a live server, as an integrator calls them: over
XML-RPC (as an administrator and as a plain client user) and the HTTP API's resolve
route (answers checked against the OpenAPI document), across real commits; the change
feed of a merge and its undo."""

import time

import pytest

from .conftest import fault_of
from .conftest import get_json
from .conftest import odoo_shell
from .openapi_check import check_answer

RESOLVE = "/crm_clients/api/v1/clients/resolve"
RUN = f"{time.time_ns() % 10**12}"  # references of this run: the database may have served others


@pytest.fixture(scope="module")
def keys(live_odoo):
    """API keys (an administrator's, a plain employee's and a portal user's) and a plain
    client user, made the way an administrator makes them."""
    script = f"""
import datetime, json
Users = env['res.users'].with_context(no_reset_password=True)
clerk = Users.create({{'name': 'Merge Clerk {RUN}', 'login': 'merge_clerk_{RUN}', 'password': 'merge_clerk_{RUN}',
    'groups_id': [(6, 0, [env.ref('base.group_user').id, env.ref('crm_clients.group_client_user').id])]}})
portal = Users.create({{'name': 'Merge Portal {RUN}', 'login': 'merge_portal_{RUN}', 'password': 'merge_portal_{RUN}',
    'groups_id': [(6, 0, [env.ref('base.group_portal').id])]}})
until = datetime.datetime.now() + datetime.timedelta(hours=12)
def key(user):
    return env['res.users.apikeys'].with_user(user)._generate('rpc', 'merge tests', until)
print('KEYS=' + json.dumps({{'admin': key(env.ref('base.user_admin')), 'clerk': key(clerk), 'portal': key(portal),
    'clerk_login': clerk.login}}))
env.cr.commit()
"""
    return odoo_shell(live_odoo.db, script, "KEYS")


def clients(admin, *names, **values):
    return [
        admin.call("res.partner", "create", {"name": name, "is_company": True, **values.get(name, {})})
        for name in names
    ]


def test_choose_merge_and_undo_over_xmlrpc(admin):
    target, source = clients(
        admin,
        f"Merge Target {RUN}",
        f"Merge Source {RUN}",
        **{
            f"Merge Target {RUN}": {"phone": "+48 22 700 00 01", "external_ref": f"MT-{RUN}"},
            f"Merge Source {RUN}": {
                "phone": "+48 22 700 00 02",
                "external_ref": f"MS-{RUN}",
                "website": "https://s.example",
            },
        },
    )
    admin.call("res.partner", "message_post", [source], body="Before the merge")
    preview = admin.call("res.partner", "client_merge_preview", [source], target)
    assert preview["fields"]["name"] == [
        {"partner_id": target, "value": f"Merge Target {RUN}"},
        {"partner_id": source, "value": f"Merge Source {RUN}"},
    ]
    assert admin.call("res.partner", "search_count", [("id", "=", source)]) == 1, "a preview changes nothing"
    result = admin.call("res.partner", "client_merge", [source], target, {"phone": source, "name": target})
    assert result["merged_ids"] == [source] and isinstance(result["merge_id"], int)
    [merged] = admin.call("res.partner", "read", [target], ["name", "phone", "website"])
    assert (merged["name"], merged["phone"], merged["website"]) == (
        f"Merge Target {RUN}",
        "+48227000002",
        "https://s.example",
    )
    assert admin.call("res.partner", "client_resolve", [source, target]) == [
        {"id": source, "resolved_id": target, "merged": True},
        {"id": target, "resolved_id": target, "merged": False},
    ]
    answer = admin.call("res.partner", "client_merge_undo", result["merge_id"])
    assert answer == {"merge_id": result["merge_id"], "restored_ids": [source]}
    [restored] = admin.call("res.partner", "read", [source], ["name", "phone", "external_ref", "website"])
    assert restored["external_ref"] == f"MS-{RUN}" and restored["phone"] == "+48 22 700 00 02"
    notes = admin.call(
        "mail.message", "search_read", [("model", "=", "res.partner"), ("res_id", "=", source)], ["body"]
    )
    assert any("Before the merge" in note["body"] for note in notes)
    [again] = admin.call("res.partner", "client_upsert", [{"external_ref": f"MS-{RUN}", "name": f"Merge Source {RUN}"}])
    assert (again["id"], again["created"]) == (source, False), "the alias went with the undo"


def test_bad_values_and_undo_refusals_over_xmlrpc(live_odoo, admin, keys):
    target, source = clients(admin, f"Refuse Target {RUN}", f"Refuse Source {RUN}")
    message = fault_of(admin.call, "res.partner", "client_merge", [source], target, {"client_number": source})
    assert "cannot be chosen" in message
    message = fault_of(admin.call, "res.partner", "client_merge", [source], target, {"name": 999_999_999})
    assert "must be one of the merged clients" in message
    assert admin.call("res.partner", "search_count", [("id", "=", source)]) == 1, "nothing was merged"
    result = admin.call("res.partner", "client_merge", [source], target, {"name": source})
    admin.call("res.partner", "write", [target], {"name": f"Renamed since {RUN}"})
    message = fault_of(admin.call, "res.partner", "client_merge_undo", result["merge_id"])
    assert "changed since" in message and "Name" in message
    assert admin.call("res.partner", "search_count", [("id", "=", source)]) == 0, "the refusal changed nothing"
    clerk = live_odoo.login(keys["clerk_login"], keys["clerk_login"])
    assert "administrators" in fault_of(clerk.call, "res.partner", "client_merge_undo", result["merge_id"])
    assert "list of ids" in fault_of(admin.call, "res.partner", "client_resolve", "1,2")


def test_resolve_over_http(live_odoo, admin, keys):
    keeper, gone, deleted = clients(admin, f"Resolve Keeper {RUN}", f"Resolve Gone {RUN}", f"Resolve Deleted {RUN}")
    admin.call("res.partner", "client_merge", [gone], keeper)
    admin.call("res.partner", "unlink", [deleted])
    ids = f"{gone},{keeper},{deleted},2147483000"
    status, headers, body = get_json(live_odoo, RESOLVE, keys["clerk"], ids=ids)
    check_answer(RESOLVE, "GET", status, body, headers)
    assert status == 200, body
    assert body == {
        "results": [
            {"id": gone, "resolved_id": keeper, "merged": True},
            {"id": keeper, "resolved_id": keeper, "merged": False},
            {"id": deleted, "resolved_id": False, "merged": False},
            {"id": 2147483000, "resolved_id": False, "merged": False},
        ]
    }
    assert body["results"] == admin.call("res.partner", "client_resolve", [gone, keeper, deleted, 2147483000])


@pytest.mark.parametrize(
    ("key", "method", "params", "status", "code"),
    [
        (None, "GET", {"ids": "1"}, 401, "unauthorized"),
        ("wrong-key", "GET", {"ids": "1"}, 401, "unauthorized"),
        ("portal", "GET", {"ids": "1"}, 403, "forbidden"),
        ("clerk", "POST", {"ids": "1"}, 405, "method_not_allowed"),
        ("clerk", "GET", {}, 400, "invalid_ids"),
        ("clerk", "GET", {"ids": "1;2"}, 400, "invalid_ids"),
        ("clerk", "GET", {"ids": "-1"}, 400, "invalid_ids"),
        ("clerk", "GET", {"ids": ",".join(["1"] * 1001)}, 400, "invalid_ids"),
        ("clerk", "GET", {"ids": "1", "cursor": "x"}, 400, "unknown_parameter"),
    ],
)
def test_resolve_errors_are_json_as_documented(live_odoo, keys, key, method, params, status, code):
    status_got, headers, body = get_json(live_odoo, RESOLVE, keys.get(key, key), method=method, **params)
    check_answer(RESOLVE, method, status_got, body, headers)
    assert (status_got, body["error"]["code"]) == (status, code), body


def test_the_feed_tells_a_merge_and_its_undo(admin):
    target, source = clients(
        admin,
        f"Feed Merge Target {RUN}",
        f"Feed Merge Source {RUN}",
        **{f"Feed Merge Source {RUN}": {"external_ref": f"FMS-{RUN}", "website": "https://fms.example"}},
    )
    cursor = False
    while True:  # to the end of the feed
        page = admin.call("res.partner", "client_changes", cursor, 10_000)
        cursor = page["cursor"]
        if not page["more"]:
            break
    result = admin.call("res.partner", "client_merge", [source], target)
    admin.call("res.partner", "client_merge_undo", result["merge_id"])
    changes, deadline = [], time.monotonic() + 120
    while not any(c["id"] == source and c["kind"] == "created" for c in changes):
        assert time.monotonic() < deadline, changes
        page = admin.call("res.partner", "client_changes", cursor, 1000)
        changes += page["changes"]
        cursor = page["cursor"]
        time.sleep(0.2)
    of_source = [(c["kind"], c.get("into_id")) for c in changes if c["id"] == source]
    assert of_source == [("merged", target), ("created", None)], [c for c in changes if c["id"] == source]
    assert [c for c in changes if c["id"] == source][-1]["external_ref"] == f"FMS-{RUN}"
    # The merge filled the target's empty website; the undo emptied it again.
    assert any(c["id"] == target and c["kind"] == "updated" and "website" in c["fields"] for c in changes), changes


def test_background_merge_and_not_a_duplicate_over_xmlrpc(live_odoo, admin, keys):
    a, b, c, d = clients(admin, f"Bg A {RUN}", f"Bg B {RUN}", f"Bg C {RUN}", f"Bg D {RUN}")
    answer = admin.call("res.partner", "client_merge_duplicates", [[a, b], {"partner_ids": [c, d], "target_id": d}])
    assert answer["groups"] == 2
    assert admin.call("res.partner", "search_count", [("id", "in", [a, b, c, d])]) == 4, "queued, not merged yet"
    # The scheduled action, as an administrator runs it by hand (Run Manually).
    [xmlid] = admin.call(
        "ir.model.data",
        "search_read",
        [("module", "=", "crm_clients"), ("name", "=", "ir_cron_crm_client_duplicate_run")],
        ["res_id"],
    )
    admin.call("ir.cron", "method_direct_trigger", [xmlid["res_id"]])
    [run] = admin.call(
        "crm.client.duplicate.run", "read", [answer["run_id"]], ["state", "merged_count", "failed_count"]
    )
    assert (run["state"], run["merged_count"], run["failed_count"]) == ("done", 2, 0)
    assert sorted(admin.call("res.partner", "search", [("id", "in", [a, b, c, d])])) == sorted([a, d])
    resolved = admin.call("res.partner", "client_resolve", [b, c])
    assert [r["resolved_id"] for r in resolved] == [a, d]
    # Bad input and rights: a clear fault, nothing queued.
    runs = admin.call("crm.client.duplicate.run", "search_count", [])
    assert "groups must be" in fault_of(admin.call, "res.partner", "client_merge_duplicates", [[a]])
    assert "groups must be" in fault_of(admin.call, "res.partner", "client_merge_duplicates", "1,2")
    assert "not clients you can read" in fault_of(
        admin.call, "res.partner", "client_merge_duplicates", [[a, 2**31 - 3]]
    )
    clerk = live_odoo.login(keys["clerk_login"], keys["clerk_login"])
    assert "administrators" in fault_of(clerk.call, "res.partner", "client_merge_duplicates", [[a, d]])
    assert admin.call("crm.client.duplicate.run", "search_count", []) == runs
    # Not a duplicate: the pair never comes back.
    email = f"twin.{RUN}@example.com"
    e, f = clients(
        admin,
        f"Twin E {RUN}",
        f"Twin F {RUN}",
        **{f"Twin E {RUN}": {"email": email}, f"Twin F {RUN}": {"email": email}},
    )
    assert admin.call("res.partner", "client_find_duplicates", [("id", "in", [e, f])])
    assert "administrators" in fault_of(clerk.call, "res.partner", "client_mark_not_duplicate", [e, f])
    assert admin.call("res.partner", "client_mark_not_duplicate", [e, f]) == {"pairs": 1}
    assert admin.call("res.partner", "client_find_duplicates", [("id", "in", [e, f])]) == []
    assert "client ids" in fault_of(admin.call, "res.partner", "client_mark_not_duplicate", [e])
