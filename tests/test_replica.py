"""Odoo with a real PostgreSQL streaming replica (README, "Primary and replicas").

A hot standby of the test cluster (tests/pg_replica.py: pg_basebackup, a second server on
its own port, every statement logged) serves an Odoo started with ``--db_replica_host`` /
``--db_replica_port``. What runs where is read in the replica's log (statements of this
Odoo's connections, ``application_name`` odoo-<pid>), never assumed:

- the read paths (our @api.readonly methods called by the web client, the read-only
  routes, core's reads running our computes) run on the replica, without Odoo having to
  replay them on the primary;
- writes and upserts, over every protocol, run on the primary;
- XML-RPC and /jsonrpc always run on the primary: an integrator reads its own writes at
  once, however far behind the replica is;
- the web client's reads follow the replica's lag, as Odoo 18 does (it does not route a
  writer's next reads to the primary); a synchronous replica (``synchronous_commit =
  remote_apply``) gives every writer its writes;
- the change feed followed on a replica behind the primary loses nothing and gives
  nothing twice;
- when the replica is down, Odoo reads from the primary.
"""

import os
import re
import time
from pathlib import Path

import pytest
import requests

from .conftest import odoo_shell
from .conftest import start_server
from .pg_replica import Replica

RUN = f"{time.time_ns() % 10**12}"
CHANGES = "/crm_clients/api/v1/clients/changes"
UPSERT = "/crm_clients/api/v1/clients/upsert"
RETRIED = "retrying with a read/write cursor"
WAIT = 120  # the change feed waits for every older transaction of the cluster to end

SETUP = f"""
import datetime, json
admin = env.ref('base.user_admin')
Partner = env['res.partner']
client = Partner.create({{'name': 'Replica Client {RUN}', 'is_company': True, 'email': 'office-{RUN}@replica.example'}})
client.message_post(body='First note {RUN}', message_type='comment', subtype_xmlid='mail.mt_note')
person = Partner.create({{'name': 'Paula Replica {RUN}', 'parent_id': client.id, 'email': 'paula-{RUN}@replica.example'}})
twins = Partner.create([
    {{'name': 'Replica Twin {RUN}', 'is_company': True, 'email': 'twin-{RUN}@replica.example'}},
    {{'name': 'REPLICA TWIN {RUN}', 'is_company': True, 'email': 'twin-{RUN}@replica.example'}},
])
portal = env['res.users'].with_context(no_reset_password=True).create({{
    'name': person.name, 'login': 'replica-portal-{RUN}', 'password': 'replica-portal-{RUN}',
    'partner_id': person.id, 'groups_id': [(6, 0, [env.ref('base.group_portal').id])]}})
document = env['ir.attachment'].create({{'name': 'price-list-{RUN}.pdf', 'res_model': 'res.partner',
    'res_id': client.id, 'client_shared': True, 'raw': b'%PDF-1.4 replica {RUN}'}})
until = datetime.datetime.now() + datetime.timedelta(hours=6)
key = env['res.users.apikeys'].with_user(admin)._generate('rpc', 'replica tests', until)
print('REPLICA=' + json.dumps({{'client': client.id, 'twins': twins.ids, 'document': document.id,
    'portal_login': portal.login, 'key': key}}))
env.cr.commit()
"""


class RpcError(Exception):
    pass


class Web:
    """A browser session: JSON-RPC to /web/dataset/call_kw and call_button, the routes
    the web client (and an integrator with a session) uses."""

    def __init__(self, server, login, password):
        self.url = server.url
        self.http = requests.Session()
        self.uid = self.rpc("/web/session/authenticate", {"db": server.db, "login": login, "password": password})["uid"]
        assert self.uid, f"cannot log in as {login}"

    def rpc(self, path, params):
        answer = self.http.post(
            self.url + path, json={"jsonrpc": "2.0", "method": "call", "params": params}, timeout=120
        ).json()
        if "error" in answer:
            raise RpcError(answer["error"]["data"]["message"])
        return answer["result"]

    def call(self, model, method, *args, **kwargs):
        params = {"model": model, "method": method, "args": list(args), "kwargs": kwargs}
        return self.rpc(f"/web/dataset/call_kw/{model}/{method}", params)

    def button(self, model, method, ids, context=None):
        params = {"model": model, "method": method, "args": [ids], "kwargs": {"context": context or {}}}
        return self.rpc(f"/web/dataset/call_button/{model}/{method}", params)


class Where:
    """What one action made this Odoo run on the replica, and whether Odoo replayed a
    request on the primary after a write was refused there."""

    def __init__(self, replica, server):
        self.replica, self.server = replica, server
        self.application = f"odoo-{server.process.pid}"

    def __call__(self, action):
        start, log_start = self.replica.log_offset(), Path(self.server.log_path).stat().st_size
        result = action()
        statements = self.replica.statements(start, application_name=self.application, dbname=self.server.db)
        with open(self.server.log_path, "rb") as log:
            log.seek(log_start)
            odoo_log = log.read().decode("utf-8", "replace")
        return result, statements, odoo_log


@pytest.fixture(scope="module")
def data(live_odoo):
    return odoo_shell(live_odoo.db, SETUP, "REPLICA")


@pytest.fixture(scope="module")
def replica(live_odoo, data):
    replica = Replica(log_statements=True)
    try:
        yield replica.start()
    finally:
        replica.stop()


@pytest.fixture(scope="module")
def server(live_odoo, replica):
    # Its transactions wait for the replica to apply them whenever the primary names the
    # replica synchronous (Replica.synchronous()); otherwise they do not wait.
    previous = os.environ.get("PGOPTIONS")
    os.environ["PGOPTIONS"] = "-c synchronous_commit=remote_apply"
    try:
        server = start_server(live_odoo.db, replica=(replica.host, replica.port))
    finally:
        if previous is None:
            del os.environ["PGOPTIONS"]
        else:
            os.environ["PGOPTIONS"] = previous
    yield server
    server.stop()


@pytest.fixture(scope="module")
def web(server):
    return Web(server, "admin", "admin")


@pytest.fixture(scope="module")
def portal(server, data):
    return Web(server, data["portal_login"], data["portal_login"])


@pytest.fixture(scope="module")
def rpc(server):
    """XML-RPC, as an integrator, to the server that has a replica."""
    return server.login("admin", "admin")


@pytest.fixture(scope="module")
def where(replica, server):
    return Where(replica, server)


def bearer(data):
    return {"Authorization": f"Bearer {data['key']}"}


def test_odoo_connects_to_the_replica(server, replica, web, where):
    assert f"replica database: odoo@{replica.host}:{replica.port}" in Path(server.log_path).read_text()
    _result, statements, _log = where(lambda: web.call("res.partner", "search_count", [("is_client", "=", True)]))
    assert any("res_partner" in sql for sql in statements), statements


READ_PATHS = {
    # our methods, called as the web client calls them
    "client_timeline_read": (
        lambda web, portal, server, data: web.call("res.partner", "client_timeline_read", [data["client"]], limit=10),
        r"\bcrm_client_timeline\b",
    ),
    "client_merge_preview": (
        lambda web, portal, server, data: web.call(
            "res.partner", "client_merge_preview", data["twins"][1:], data["twins"][0]
        ),
        r"\bres_partner\b",
    ),
    "client_resolve": (
        lambda web, portal, server, data: web.call("res.partner", "client_resolve", [data["client"], 2_000_000_000]),
        r"\bres_partner\b",
    ),
    "client_changes": (
        lambda web, portal, server, data: web.call("res.partner", "client_changes", False, 10),
        r"\bcrm_client_change\b",
    ),
    "button Documents": (
        lambda web, portal, server, data: web.button("res.partner", "action_view_client_documents", [data["client"]]),
        r"\bres_partner\b",
    ),
    # core's reads, running our computed fields and searches
    "form boxes (web_read)": (
        lambda web, portal, server, data: web.call(
            "res.partner",
            "web_read",
            [data["client"]],
            specification={"client_document_count": {}, "client_activity_count": {}, "client_box_invoice_count": {}},
        ),
        r"\bir_attachment\b",
    ),
    "Clients list (web_search_read)": (
        lambda web, portal, server, data: web.call(
            "res.partner",
            "web_search_read",
            [("email", "=", f"TWIN-{RUN}@replica.example")],
            specification={"display_name": {}, "client_status_id": {"fields": {"display_name": {}}}},
        ),
        r"\bres_partner\b",
    ),
    # read-only routes
    "HTTP change feed": (
        lambda web, portal, server, data: requests.get(
            server.url + CHANGES, params={"limit": 10}, headers=bearer(data), timeout=60
        ).raise_for_status(),
        r"\bcrm_client_change\b",
    ),
    "portal documents page": (
        lambda web, portal, server, data: portal.http.get(server.url + "/my/documents", timeout=60).raise_for_status(),
        r"\bir_attachment\b",
    ),
    "portal counters": (
        lambda web, portal, server, data: portal.rpc("/my/counters", {"counters": ["client_document_count"]}),
        r"\bir_attachment\b",
    ),
    "portal document download": (
        lambda web, portal, server, data: portal.http.get(
            f"{server.url}/my/documents/{data['document']}", timeout=60
        ).raise_for_status(),
        r"\bir_attachment\b",
    ),
}


@pytest.mark.parametrize("path", READ_PATHS)
def test_read_paths_run_on_the_replica(path, web, portal, server, data, where):
    action, table = READ_PATHS[path]
    _result, statements, odoo_log = where(lambda: action(web, portal, server, data))
    assert RETRIED not in odoo_log, f"{path} tried to write on the replica: Odoo replayed it on the primary"
    assert any(re.search(table, sql) for sql in statements), f"{path} did not read {table} on the replica"


def test_duplicates_run_on_the_replica(web, data, where):
    """client_find_duplicates only reads (the names are keyed in a CTE): the whole run,
    the heaviest read of the addons, goes to the replica, never replayed on the primary."""
    groups, statements, odoo_log = where(
        lambda: web.call("res.partner", "client_find_duplicates", [("id", "in", data["twins"])])
    )
    assert [group["partner_ids"] for group in groups if group["reason"] == "email"] == [sorted(data["twins"])]
    assert RETRIED not in odoo_log, "it tried to write on the replica: Odoo replayed it on the primary"
    assert any(re.search(r"\bres_partner\b", sql) for sql in statements), "it did not read on the replica"


def test_openapi_document_is_served_by_a_read_only_request(server, where):
    response, _statements, odoo_log = where(lambda: requests.get(f"{server.url}/crm_clients/api/v1/openapi.json"))
    assert response.status_code == 200 and response.json()["openapi"].startswith("3.1")
    assert RETRIED not in odoo_log


def written(statements):
    return [sql for sql in statements if re.match(r"\s*(INSERT|UPDATE|DELETE|WITH)\b", sql, re.IGNORECASE)]


def test_writes_and_upserts_run_on_the_primary(replica, server, web, data, where, rpc):
    refs = [f"REPLICA-{RUN}-{kind}" for kind in ("WEB", "XMLRPC", "HTTP")]
    with replica.paused():  # whatever reached the replica would stay invisible there
        (web_made,), statements_web, log_web = where(
            lambda: web.call("res.partner", "client_upsert", [{"external_ref": refs[0], "name": "Written on the web"}])
        )
        (rpc_made,), statements_rpc, _log = where(
            lambda: rpc.call("res.partner", "client_upsert", [{"external_ref": refs[1], "name": "Written over RPC"}])
        )
        response, statements_http, _log = where(
            lambda: requests.post(
                server.url + UPSERT,
                json={"clients": [{"external_ref": refs[2], "name": "Written over HTTP", "city": "Gdańsk"}]},
                headers=bearer(data),
                timeout=60,
            )
        )
        assert response.status_code == 200, response.text
        [http_made] = response.json()["results"]
        assert web_made["created"] and rpc_made["created"] and http_made["created"]
        # an update of an existing client, from the web client
        (updated,), _statements, _log = where(
            lambda: web.call("res.partner", "client_upsert", [{"external_ref": refs[0], "city": "Sopot"}])
        )
        assert updated == {"external_ref": refs[0], "id": web_made["id"], "created": False}
        assert RETRIED not in log_web
        for statements in (statements_web, statements_rpc, statements_http):
            assert not written(statements), written(statements)
        count = "SELECT count(*) FROM res_partner WHERE external_ref = ANY(%s)"
        assert replica.query(count, [refs], dbname=server.db) == [(0,)]
        assert replica.primary_query(count, [refs], dbname=server.db) == [(3,)]
    replica.catch_up()
    assert replica.query(
        "SELECT external_ref, city FROM res_partner WHERE external_ref = ANY(%s) ORDER BY external_ref",
        [refs],
        dbname=server.db,
    ) == [(refs[2], "Gdańsk"), (refs[0], "Sopot"), (refs[1], None)]


def test_rpc_reads_right_after_writes_come_from_the_primary(replica, server, data, where, rpc):
    """An integrator's XML-RPC or /jsonrpc read sees its own write at once, however far
    behind the replica is: Odoo runs every RPC call on the primary."""
    twin = data["twins"][0]
    with replica.paused():
        [made] = rpc.call(
            "res.partner",
            "client_upsert",
            [{"external_ref": f"REPLICA-{RUN}-FRESH", "name": f"Fresh {RUN}", "email": f"twin-{RUN}@replica.example"}],
        )
        fresh = made["id"]
        rpc.call(
            "res.partner",
            "message_post",
            [fresh],
            body=f"Fresh note {RUN}",
            message_type="comment",
            subtype_xmlid="mail.mt_note",
        )

        def reads():
            timeline = rpc.call("res.partner", "client_timeline_read", [fresh])
            groups = rpc.call("res.partner", "client_find_duplicates", [("id", "in", [fresh, twin])])
            resolved = rpc.call("res.partner", "client_resolve", [fresh])
            over_jsonrpc = requests.post(
                f"{server.url}/jsonrpc",
                json={
                    "jsonrpc": "2.0",
                    "method": "call",
                    "params": {
                        "service": "object",
                        "method": "execute_kw",
                        "args": [server.db, rpc.uid, "admin", "res.partner", "client_timeline_read", [[fresh]], {}],
                    },
                },
                timeout=60,
            ).json()["result"]
            return timeline, groups, resolved, over_jsonrpc

        (timeline, groups, resolved, over_jsonrpc), statements, _log = where(reads)
        assert any(f"Fresh note {RUN}" in entry["summary"] for entry in timeline["entries"])
        assert over_jsonrpc["total"] == timeline["total"]
        assert any({fresh, twin} <= set(group["partner_ids"]) for group in groups)
        assert resolved == [{"id": fresh, "resolved_id": fresh, "merged": False}]
        ours = [sql for sql in statements if re.search(r"\b(res_partner|crm_client_\w+|mail_message)\b", sql)]
        assert not ours, f"RPC calls read on the replica: {ours[:3]}"
        assert replica.query("SELECT count(*) FROM res_partner WHERE id = %s", [fresh], dbname=server.db) == [(0,)]
    replica.catch_up()


def timeline_total(web, client):
    return web.call("res.partner", "client_timeline_read", [client], limit=1)["total"]


def note(web, client, text):
    web.call("res.partner", "message_post", [client], body=text, message_type="comment", subtype_xmlid="mail.mt_note")


def test_web_reads_follow_the_replica_lag_unless_it_is_synchronous(replica, server, web, data, where):
    """A replica behind (its replay paused): the web client's read right after its own
    write runs on the replica and misses it (Odoo 18 sends a writer's reads to the replica
    like any other's); with the replica synchronous and ``synchronous_commit =
    remote_apply`` (this server's sessions), every commit waits until the replica applied
    it (here 300 ms after it, recovery_min_apply_delay), and the read sees the write."""
    client = data["client"]
    before = timeline_total(web, client)
    with replica.paused():
        note(web, client, f"Asynchronous note {RUN}")
        (after,), statements, _log = where(lambda: (timeline_total(web, client),))
        assert any("crm_client_timeline" in sql for sql in statements), "the read ran on the replica"
        assert after == before, "the replica was expected to be behind"
    replica.catch_up()
    assert timeline_total(web, client) == before + 1
    replica.set_apply_delay("300ms")
    try:
        with replica.synchronous():
            for attempt in range(3):
                before = timeline_total(web, client)
                started = time.monotonic()
                note(web, client, f"Synchronous note {RUN} {attempt}")
                waited = time.monotonic() - started
                assert timeline_total(web, client) == before + 1, f"attempt {attempt}: the write was not there"
                assert waited >= 0.3, "the commit waited for the replica to apply it"
    finally:
        replica.set_apply_delay("0")
        replica.catch_up()


def test_change_feed_on_a_replica_behind_the_primary(replica, server, data, rpc):
    """An integrator follows the feed over HTTP (read on the replica) while a client is
    written on the primary: as long as the replica has not replayed it, the feed gives no
    change and no error; once it has, the client comes once, and never again after."""

    def http(cursor):
        params = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        response = requests.get(server.url + CHANGES, params=params, headers=bearer(data), timeout=60)
        assert response.status_code == 200, response.text
        return response.json()

    cursor = False
    while (page := http(cursor))["more"]:
        cursor = page["cursor"]
    cursor = page["cursor"]
    with replica.paused():
        [made] = rpc.call(
            "res.partner", "client_upsert", [{"external_ref": f"REPLICA-{RUN}-FEED", "name": f"Feed {RUN}"}]
        )
        lagging = http(cursor)  # the replica has not replayed the new client yet
        assert not [c for c in lagging["changes"] if c["id"] == made["id"]] and not lagging["more"]
        cursor = lagging["cursor"]
    replica.catch_up()
    deadline, replayed, position = time.monotonic() + WAIT, [], cursor
    while not any(change["id"] == made["id"] for change in replayed):
        assert time.monotonic() < deadline, "the replica's feed did not bring the new client"
        page = http(position)
        replayed += page["changes"]
        position = page["cursor"]
        time.sleep(0.2)
    assert [c["kind"] for c in replayed if c["id"] == made["id"]] == ["created"]
    later = http(position)
    assert not [c for c in later["changes"] if c["id"] == made["id"]], "given twice"


def test_a_cursor_of_the_primary_is_no_error_on_a_replica_behind_it(replica, server, data, rpc):
    """A cursor read over XML-RPC (on the primary) and then sent to the HTTP feed (on the
    replica) while the replica is behind: no change yet, the same cursor, no error."""
    with replica.paused():
        rpc.call("res.partner", "client_upsert", [{"external_ref": f"REPLICA-{RUN}-AHEAD", "name": f"Ahead {RUN}"}])
        cursor = False
        while (page := rpc.call("res.partner", "client_changes", cursor, 1000))["more"]:
            cursor = page["cursor"]
        cursor = page["cursor"]
        response = requests.get(
            server.url + CHANGES, params={"cursor": cursor, "limit": 200}, headers=bearer(data), timeout=60
        )
        assert response.status_code == 200, response.text
        assert response.json() == {"changes": [], "cursor": cursor, "more": False}
    replica.catch_up()


def test_reads_fall_back_to_the_primary_when_the_replica_is_down(replica, server, web, data):
    """Last: the replica is stopped. Odoo opens read-only cursors on the primary instead
    (for 20 minutes before trying the replica again) and answers as before."""
    expected = web.call("res.partner", "client_timeline_read", [data["client"]], limit=5)
    log_start = Path(server.log_path).stat().st_size
    replica.halt()
    assert web.call("res.partner", "client_timeline_read", [data["client"]], limit=5) == expected
    response = requests.get(server.url + CHANGES, params={"limit": 5}, headers=bearer(data), timeout=60)
    assert response.status_code == 200, response.text
    with open(server.log_path, "rb") as log:
        log.seek(log_start)
        assert "Failed to open a readonly cursor, falling back" in log.read().decode("utf-8", "replace")
