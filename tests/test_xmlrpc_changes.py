"""The client change feed on a live server, across real commits: every kind of change over
XML-RPC and the HTTP API (answers checked against the OpenAPI document), the access rules
of the reader (another company, portal users), transactions committing out of order
while a reader pages (real PostgreSQL connections), and a server with a read-only
replica connection serving the reads."""

import configparser
import json
import random
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import xmlrpc.client

import psycopg2
import pytest

from .conftest import CONFIG
from .conftest import ODOO_BIN
from .conftest import ROOT
from .conftest import fault_of
from .conftest import free_port
from .conftest import get_json
from .conftest import odoo_shell
from .openapi_check import check_answer
from .openapi_check import document

CHANGES = "/crm_clients/api/v1/clients/changes"
AT = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
# A reader only gets the changes of transactions older than every one still running on
# the PostgreSQL server (other databases too): allow for other people's transactions.
WAIT = 120
RUN = f"{time.time_ns() % 10**12}"  # references of this run: the database may have served others


@pytest.fixture(scope="module")
def feed_setup(live_odoo):
    """A second company with a user of its own, a portal user, and API keys, made the way
    an administrator makes them, through `odoo-bin shell` on the served database."""
    tag = f"{int(time.time() * 1000) % 10**9}"
    script = f"""
import datetime, json
Users = env['res.users'].with_context(no_reset_password=True)
company_b = env['res.company'].create({{'name': 'Feed Company {tag}'}})
admin = env.ref('base.user_admin')
admin.write({{'company_ids': [(4, company_b.id)]}})
user_b = Users.create({{'name': 'Feed B {tag}', 'login': 'feed_b_{tag}', 'password': 'feed_b_{tag}',
    'company_id': company_b.id, 'company_ids': [(6, 0, [company_b.id])],
    'groups_id': [(6, 0, [env.ref('base.group_user').id, env.ref('crm_clients.group_client_user').id])]}})
portal = Users.create({{'name': 'Feed Portal {tag}', 'login': 'feed_portal_{tag}', 'password': 'feed_portal_{tag}',
    'groups_id': [(6, 0, [env.ref('base.group_portal').id])]}})
until = datetime.datetime.now() + datetime.timedelta(hours=12)
def key(user):
    return env['res.users.apikeys'].with_user(user)._generate('rpc', 'feed tests', until)
print('FEED=' + json.dumps({{'company_b': company_b.id, 'main_company': env.ref('base.main_company').id,
    'admin_key': key(admin), 'b_key': key(user_b), 'portal_key': key(portal), 'tag': '{tag}'}}))
env.cr.commit()
env.registry.signal_changes()  # the served registry reloads its caches (admin's companies)
"""
    return odoo_shell(live_odoo.db, script, "FEED")


def http_reader(server, key):
    def read(cursor, limit=200):
        status, headers, body = get_json(server, CHANGES, key, cursor=cursor or "", limit=limit)
        check_answer(CHANGES, "GET", status, body, headers)
        assert status == 200, body
        return body

    return read


def xmlrpc_reader(session):
    def read(cursor, limit=200):
        return session.call("res.partner", "client_changes", cursor, limit)

    return read


def feed_end(read):
    """The cursor of the current end of the feed."""
    cursor = False
    while True:
        page = read(cursor, 10_000)
        cursor = page["cursor"]
        if not page["more"]:
            return cursor


def follow(read, cursor, until, limit=200):
    """Page from ``cursor`` until ``until(changes)`` holds and the feed is read to its end."""
    changes, deadline = [], time.monotonic() + WAIT
    while True:
        page = read(cursor, limit)
        changes += page["changes"]
        cursor = page["cursor"]
        if not page["more"]:
            if until(changes):
                return changes, cursor
            assert time.monotonic() < deadline, f"the feed did not bring what was expected in {WAIT} s: {changes}"
            time.sleep(0.2)


def seen(kind, partner_id):
    return lambda changes: any(c["id"] == partner_id and c["kind"] == kind for c in changes)


def test_every_kind_of_change_exactly_once_in_order(admin):
    read = xmlrpc_reader(admin)
    start = feed_end(read)
    x = admin.call("res.partner", "create", {"name": "Feed X", "is_company": True, "external_ref": f"FEED-E2E-X-{RUN}"})
    admin.call("res.partner", "write", [x], {"name": "Feed X Renamed"})
    admin.call("res.partner", "write", [x], {"email_ids": [(0, 0, {"email": "x@feed.example"})]})
    admin.call("res.partner", "write", [x], {"active": False})
    admin.call("res.partner", "write", [x], {"active": True})
    admin.call("res.partner", "create", {"name": "Feed X Person", "parent_id": x})
    y = admin.call(
        "res.partner", "create", {"name": "Feed Y", "external_ref": f"FEED-E2E-Y-{RUN}", "email": "y@feed.example"}
    )
    admin.call("res.partner", "client_merge", [y], x)
    z = admin.call("res.partner", "create", {"name": "Feed Z", "external_ref": f"FEED-E2E-Z-{RUN}"})
    admin.call("res.partner", "unlink", [z])
    changes, _cursor = follow(read, start, seen("deleted", z))
    ours = [c for c in changes if c["id"] in (x, y, z)]
    assert [(c["id"], c["kind"]) for c in ours] == [
        (x, "created"),
        (x, "updated"),
        (x, "updated"),
        (x, "archived"),
        (x, "restored"),
        (x, "updated"),
        (y, "created"),
        (y, "merged"),
        (x, "updated"),
        (z, "created"),
        (z, "deleted"),
    ]
    assert ours[1]["fields"] == ["name"]
    assert "email_ids" in ours[2]["fields"]
    assert ours[3]["fields"] == ours[4]["fields"] == ["active"]
    assert ours[5]["fields"] == ["child_ids"]
    assert ours[7]["into_id"] == x and ours[7]["external_ref"] == f"FEED-E2E-Y-{RUN}"
    assert "email_ids" in ours[8]["fields"]  # the merged client's line moved to x
    assert ours[10]["external_ref"] == f"FEED-E2E-Z-{RUN}"
    assert {c["external_ref"] for c in ours[:6]} == {f"FEED-E2E-X-{RUN}"}
    assert all(AT.match(c["at"]) for c in ours)
    assert all("into_id" not in c for c in ours if c["kind"] != "merged")


def test_http_answers_as_xmlrpc_does_and_as_documented(live_odoo, admin, feed_setup):
    start = feed_end(xmlrpc_reader(admin))
    marker = admin.call("res.partner", "create", {"name": "Feed HTTP", "external_ref": f"FEED-E2E-HTTP-{RUN}"})
    admin.call("res.partner", "write", [marker], {"city": "Poznań"})
    http = http_reader(live_odoo, feed_setup["admin_key"])
    changes, _cursor = follow(http, start, seen("updated", marker), limit=1)
    assert [(c["id"], c["kind"], c["fields"]) for c in changes if c["id"] == marker] == [
        (marker, "created", []),
        (marker, "updated", ["city"]),
    ]
    # The same cursor, the same answer, whichever way it is asked.
    assert http(start, 50) == xmlrpc_reader(admin)(start, 50)


def test_http_errors_are_json_as_documented(live_odoo, feed_setup):
    key = feed_setup["admin_key"]
    cases = [
        ({}, None, "GET", 401, "unauthorized"),
        ({}, "not-a-key", "GET", 401, "unauthorized"),
        ({"cursor": "nonsense"}, key, "GET", 400, "invalid_cursor"),
        ({"cursor": "999999999999.1"}, key, "GET", 410, "cursor_expired"),
        ({"limit": "many"}, key, "GET", 400, "invalid_limit"),
        ({"limit": "0"}, key, "GET", 400, "invalid_limit"),
        ({"limit": "10001"}, key, "GET", 400, "invalid_limit"),
        ({"since": "yesterday"}, key, "GET", 400, "unknown_parameter"),
        ({}, key, "POST", 405, "method_not_allowed"),
        ({}, feed_setup["portal_key"], "GET", 403, "forbidden"),
    ]
    for params, auth, method, status, code in cases:
        answer_status, headers, body = get_json(live_odoo, CHANGES, auth, method=method, **params)
        assert (answer_status, body["error"]["code"]) == (status, code), (params, method, body)
        assert body["error"]["message"]
        check_answer(CHANGES, method, answer_status, body, headers)
    _status, _headers, body = get_json(live_odoo, CHANGES, key, cursor="999999999999.1")
    assert "Start again from a full read" in body["error"]["message"]


def test_the_openapi_document_is_served_and_valid(live_odoo):
    status, _headers, served = get_json(live_odoo, "/crm_clients/api/v1/openapi.json")
    check_answer("/crm_clients/api/v1/openapi.json", "GET", status, served)
    assert served["servers"] == [{"url": live_odoo.url}]
    assert {**served, "servers": document()["servers"]} == document()
    from openapi_spec_validator import validate

    validate(served)
    # Every route of the HTTP API is documented.
    sources = "\n".join(path.read_text() for path in (ROOT / "crm_clients" / "controllers").glob("*.py"))
    routes = set(re.findall(r'"(/crm_clients/api/[^"]+)"', sources))
    assert routes <= set(served["paths"]), routes - set(served["paths"])


def test_the_reader_sees_only_what_it_may_read(live_odoo, admin, feed_setup):
    """Another company's clients, created, changed or deleted, are not in a reader's feed;
    shared clients (no company) and its own company's are. Portal users get nothing."""
    b_user = live_odoo.login(f"feed_b_{feed_setup['tag']}", f"feed_b_{feed_setup['tag']}")
    start = feed_end(xmlrpc_reader(b_user))
    main_client = admin.call("res.partner", "create", {"name": "Feed Main", "company_id": feed_setup["main_company"]})
    b_client = admin.call("res.partner", "create", {"name": "Feed B", "company_id": feed_setup["company_b"]})
    shared = admin.call("res.partner", "create", {"name": "Feed Shared", "company_id": False})
    admin.call("res.partner", "write", [main_client, b_client, shared], {"comment": "changed"})
    admin.call("res.partner", "unlink", [main_client, b_client])
    marker = admin.call("res.partner", "create", {"name": "Feed Marker", "company_id": False})
    changes, _cursor = follow(xmlrpc_reader(b_user), start, seen("created", marker))

    def by_client(changes):
        kinds = {}
        for change in changes:
            if change["id"] in (main_client, b_client, shared):
                kinds.setdefault(change["id"], []).append(change["kind"])
        return kinds

    kinds = by_client(changes)
    assert kinds == {b_client: ["created", "updated", "deleted"], shared: ["created", "updated"]}
    # The administrator (both companies) sees them all.
    everything, _cursor = follow(xmlrpc_reader(admin), start, seen("created", marker))
    assert {(c["id"], c["kind"]) for c in everything} >= {(main_client, "created"), (main_client, "deleted")}
    # Over HTTP, the same.
    over_http, _cursor = follow(http_reader(live_odoo, feed_setup["b_key"]), start, seen("created", marker))
    assert by_client(over_http) == kinds
    portal = live_odoo.login(f"feed_portal_{feed_setup['tag']}", f"feed_portal_{feed_setup['tag']}")
    assert "Only internal users" in fault_of(portal.call, "res.partner", "client_changes")


def connect(database):
    config = configparser.ConfigParser()
    config.read(CONFIG)
    options = config["options"]
    return psycopg2.connect(
        dbname=database,
        host=options.get("db_host") or None,
        port=options.get("db_port") or None,
        user=options.get("db_user") or None,
    )


def test_a_transaction_that_commits_late_is_not_skipped(live_odoo, admin):
    """Writer A begins and writes, writer B begins, writes and commits, a reader pages, A
    commits, the reader pages again: both changes come, once each, A's first."""
    p, q = admin.call("res.partner", "create", [{"name": "Feed Late P"}, {"name": "Feed Late Q"}])
    read = xmlrpc_reader(admin)
    cursor = feed_end(read)
    writer_a, writer_b = connect(live_odoo.db), connect(live_odoo.db)
    try:
        with writer_a.cursor() as cr:
            cr.execute("UPDATE res_partner SET comment = 'written by A' WHERE id = %s", [p])
            cr.execute("SELECT txid_current()")
            xact_a = cr.fetchone()[0]
        with writer_b.cursor() as cr:
            cr.execute("UPDATE res_partner SET comment = 'written by B' WHERE id = %s", [q])
            cr.execute("SELECT txid_current()")
            xact_b = cr.fetchone()[0]
        writer_b.commit()
        assert xact_a < xact_b
        [row] = admin.call("res.partner", "read", [q], ["comment"])
        assert "written by B" in row["comment"]  # committed and readable...
        early = []
        for _ in range(3):  # ...but not in the feed while A, older, may still commit
            page = read(cursor, 1000)
            early += page["changes"]
            cursor = page["cursor"]
            time.sleep(0.3)
        assert not [c for c in early if c["id"] in (p, q) and c["kind"] == "updated"]
        writer_a.commit()
    finally:
        writer_a.close()
        writer_b.close()
    changes, _cursor = follow(read, cursor, seen("updated", q))
    updates = [(c["id"], c["fields"]) for c in early + changes if c["id"] in (p, q) and c["kind"] == "updated"]
    assert updates == [(p, ["comment"]), (q, ["comment"])]


def test_concurrent_writers_committing_in_any_order(live_odoo, admin):
    """6 writers on their own PostgreSQL connections, each transaction changing its own
    client and committing (or rolling back) after a random delay, while a reader pages
    the feed: every committed change seen exactly once, no rolled back one."""
    clients = admin.call("res.partner", "create", [{"name": f"Feed Writer {i}"} for i in range(72)])
    read = xmlrpc_reader(admin)
    start = feed_end(read)
    committed, rolled_back, lock = [], [], threading.Lock()
    writers_done = threading.Event()

    def writer(number):
        rng = random.Random(number)
        cnx = connect(live_odoo.db)
        try:
            for client in clients[number::6]:
                with cnx.cursor() as cr:
                    cr.execute("UPDATE res_partner SET comment = %s WHERE id = %s", [f"writer {number}", client])
                time.sleep(rng.uniform(0, 0.3))
                if rng.random() < 0.2:
                    cnx.rollback()
                    with lock:
                        rolled_back.append(client)
                else:
                    cnx.commit()
                    with lock:
                        committed.append(client)
        finally:
            cnx.close()

    pages = []

    def reader():
        cursor = start
        while not writers_done.is_set():
            page = read(cursor, random.randint(1, 50))
            pages.append(page["changes"])
            cursor = page["cursor"]
        pages.append(cursor)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    reading = threading.Thread(target=reader)
    reading.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    writers_done.set()
    reading.join()
    marker = admin.call("res.partner", "create", {"name": "Feed Writers Done"})
    cursor = pages.pop()
    changes, _cursor = follow(read, cursor, seen("created", marker))
    updates = [c["id"] for page in pages for c in page if c["kind"] == "updated" and c["id"] in clients]
    updates += [c["id"] for c in changes if c["kind"] == "updated" and c["id"] in clients]
    assert sorted(updates) == sorted(committed)
    assert not set(updates) & set(rolled_back)
    assert len(pages) > 5  # the reader paged while the writers wrote


def test_reads_run_on_a_read_only_replica_connection(live_odoo, feed_setup):
    """A server with a replica configured serves the feed from it (JSON-RPC and HTTP):
    no write is attempted, so Odoo never falls back to the primary."""
    config = configparser.ConfigParser()
    config.read(CONFIG)
    options = config["options"]
    port = free_port()
    log_path = ROOT / ".local" / "logs" / f"e2e-replica-{port}.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, str(ODOO_BIN), "-c", CONFIG, "-d", live_odoo.db, "--db-filter", f"^{live_odoo.db}$"]
            + ["--http-port", str(port), "--workers", "0", "--max-cron-threads", "0", "--log-level", "info"]
            + ["--db_replica_host", options["db_host"], "--db_replica_port", options["db_port"]],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common").version()
                break
            except OSError:
                assert time.monotonic() < deadline and process.poll() is None, log_path.read_text()[-2000:]
                time.sleep(0.5)
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())

        def json_rpc(path, params):
            body = json.dumps({"jsonrpc": "2.0", "method": "call", "params": params, "id": 1}).encode()
            request = urllib.request.Request(url + path, body, {"Content-Type": "application/json"})
            with opener.open(request, timeout=60) as response:
                answer = json.load(response)
            assert "error" not in answer, answer
            return answer["result"]

        json_rpc("/web/session/authenticate", {"db": live_odoo.db, "login": "admin", "password": "admin"})
        kwargs = {"cursor": False, "limit": 50}
        page = json_rpc(
            "/web/dataset/call_kw/res.partner/client_changes",
            {"model": "res.partner", "method": "client_changes", "args": [], "kwargs": kwargs},
        )
        assert set(page) == {"changes", "cursor", "more"}
        request = urllib.request.Request(
            f"{url}{CHANGES}?limit=50", headers={"Authorization": f"Bearer {feed_setup['admin_key']}"}
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            assert set(json.load(response)) == {"changes", "cursor", "more"}
    finally:
        process.terminate()
        process.wait(30)
    log_text = log_path.read_text()
    assert "client_changes" in log_text or CHANGES in log_text  # the requests reached this server
    assert "retrying with a read/write cursor" not in log_text
