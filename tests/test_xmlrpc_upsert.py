"""client_upsert over real XML-RPC, the HTTP API with a user API key, and concurrent
upserts of the same references against a multi-worker server."""

import contextlib
import hashlib
import http.client
import http.cookiejar
import json
import os
import socket
import threading
import time
import urllib.error
import urllib.request
import xmlrpc.client

import psycopg2
import pytest

from .bench import fuzz_http
from .conftest import CONFIG
from .conftest import ODOO_BIN
from .conftest import fault_of
from .conftest import start_server
from .openapi_check import check_answer


def test_upsert_over_xmlrpc(admin):
    records = [
        {
            "external_ref": "RPC-UP-1",
            "name": "Upsert One",
            "is_company": True,
            "country_code": "PL",
            "vat": "PL 526-104-08-28",
            "status": "VIP",
            "tags": ["RPC"],
            "emails": [{"email": "Biuro@One.pl"}],
        },
        {"external_ref": "RPC-UP-2", "name": "Person", "parent_external_ref": "RPC-UP-1"},
        {"external_ref": "RPC-UP-3", "name": "Bad", "status": "no such status"},
    ]
    first = admin.call("res.partner", "client_upsert", records)
    assert [r.get("created") for r in first] == [True, True, None]
    assert "no such status" in first[2]["error"]
    second = admin.call("res.partner", "client_upsert", records[:2])
    assert second == [
        {"external_ref": "RPC-UP-1", "id": first[0]["id"], "created": False},
        {"external_ref": "RPC-UP-2", "id": first[1]["id"], "created": False},
    ]
    [client] = admin.call("res.partner", "read", [first[0]["id"]], ["vat", "client_status_id", "email", "child_ids"])
    assert client["vat"] == "5261040828" and client["client_status_id"][1] == "VIP"
    assert client["email"] == "biuro@one.pl" and client["child_ids"] == [first[1]["id"]]


def test_upsert_needs_rights(live_odoo):
    portal_less = live_odoo.login("demo", "demo")
    result = portal_less.call("res.partner", "client_upsert", [{"external_ref": "RPC-UP-DEMO", "name": "By demo"}])
    assert result[0].get("created") is True or "error" in result[0]


@pytest.fixture(scope="module")
def fuzz_setup(live_odoo):
    """API keys of an administrator, an integrator of the main company and an employee
    without rights on contacts, made with Odoo's own generator (see fuzz_http.prepare)."""
    return fuzz_http.prepare(live_odoo.db, CONFIG, ODOO_BIN)


@pytest.fixture(scope="module")
def api_key(fuzz_setup):
    return fuzz_setup["keys"]["admin"]


def post(url, body, key=None, raw=None):
    data = raw if raw is not None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, answer, headers = response.status, json.loads(response.read()), response.headers
    except urllib.error.HTTPError as error:
        status, answer, headers = error.code, json.loads(error.read()), error.headers
    check_answer(API, "POST", status, answer, headers)
    return status, answer


def test_http_api(live_odoo, api_key):
    url = f"{live_odoo.url}/crm_clients/api/v1/clients/upsert"
    status, body = post(
        url, {"clients": [{"external_ref": "HTTP-1", "name": "Over HTTP", "country_code": "PL"}]}, api_key
    )
    assert status == 200 and body["results"][0]["created"] is True
    status, body = post(
        url, {"clients": [{"external_ref": "HTTP-1", "name": "Over HTTP", "country_code": "PL"}]}, api_key
    )
    assert status == 200 and body["results"][0]["created"] is False
    status, body = post(url, {"clients": []}, "wrong-key")
    assert status == 401 and body["error"]["code"] == "unauthorized"
    status, body = post(url, {"clients": []})
    assert status == 401 and "error" in body
    status, body = post(url, None, api_key, raw=b"{not json")
    assert status == 400 and body["error"]["code"] == "malformed_body"
    status, body = post(url, {"customers": []}, api_key)
    assert status == 400 and body["error"]["code"] == "malformed_body"


def test_http_api_bad_rows(live_odoo, api_key):
    """Rows the database would refuse fail alone (200, the others saved); when every row
    is refused the answer is 422 with each row's reason, and nothing is saved. A created
    client names the clients it likely duplicates."""
    url = f"{live_odoo.url}{API}"
    offset = len(live_odoo.log_text())
    clients = [
        {"external_ref": "HTTP-BAD-1", "name": "Saved", "vat": "PL 952-345-67-86", "is_company": True},
        {"external_ref": "HTTP-BAD-2", "name": "Bad country", "country_id": 999999},
        {"external_ref": "HTTP-BAD-3", "name": "Out of range", "color": 2**40},
        {"external_ref": "HTTP-BAD-4"},
        ["not", "a", "client"],
        {"external_ref": "HTTP-BAD-5", "name": "Bad type", "is_company": "yes"},
        {"external_ref": "HTTP-BAD-6", "name": "Bad choice", "type": "bogus"},
        {"external_ref": "HTTP-BAD-7", "name": "Too long", "city": "x" * 1001},
        {"external_ref": "HTTP-BAD-8", "name": "Same tax ID", "vat": "PL9523456786", "is_company": True},
    ]
    status, body = post(url, {"clients": clients}, api_key)
    results = body["results"]
    assert status == 200 and [("id" in r) for r in results] == [True, *[False] * 7, True], results
    # created in the same call with the same tax ID: each names the other
    assert results[0]["possible_duplicate_ids"] == [results[8]["id"]], results
    assert results[8]["possible_duplicate_ids"] == [results[0]["id"]], results
    for result, fragment in zip(
        results[1:8],
        ["Unknown Country id 999999", "color must be between", "name is required", "dictionary",
         "is_company must be true or false", "bogus is not a valid value for type", "city is longer than 1000"],
        strict=True,
    ):  # fmt: skip
        assert fragment in result["error"], (fragment, result)
    status, body = post(url, {"clients": clients[1:8]}, api_key)
    assert status == 422 and all("error" in r for r in body["results"]), body
    status, body = post(url, {"clients": []}, api_key)
    assert (status, body) == (200, {"results": []})
    refs = [f"HTTP-BAD-{i}" for i in range(2, 8)]
    with psycopg2.connect(dbname=live_odoo.db) as db, db.cursor() as cr:
        cr.execute("SELECT count(*) FROM res_partner WHERE external_ref = ANY(%s)", [refs])
        assert cr.fetchone()[0] == 0, "nothing of a refused row was saved"
    assert not server_errors(live_odoo, offset)


def advisory_locks(cr, wait=5):
    """The advisory locks held on this database (a closed connection's backend gives
    its locks back as it exits: waited for, up to ``wait`` seconds)."""
    deadline = time.monotonic() + wait
    while True:
        cr.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database"
            " WHERE l.locktype = 'advisory' AND d.datname = current_database()"
        )
        held = cr.fetchone()[0]
        if not held or time.monotonic() > deadline:
            return held
        time.sleep(0.1)


def test_concurrent_upserts_wait_for_each_other(live_odoo, api_key):
    """4 integrators upsert the same references at the same moment, two over XML-RPC and
    two over the HTTP API: first creating them, then each writing its own name. A call
    waits for the calls upserting the same references and sees what they committed: one
    client per reference, every call answered, none replayed, and a batch's references
    all carry the name of one call. Then each writes all of them and 30 more in one call
    (more references than a call takes lanes for): met by row locks and Odoo's replays,
    as without lanes, and still one client per reference, every call answered."""
    server = start_server(live_odoo.db)  # threaded: the 4 calls run at once
    try:
        session = server.login("admin", "admin")
        refs = [f"CONC-{i}" for i in range(40)]
        batches = [refs[offset : offset + 5] for offset in range(0, len(refs), 5)]
        rounds = [("create", batch) for batch in batches] + [("update", batch) for batch in batches]
        rounds += [(f"bulk {n}", refs + [f"CONC-BULK-{n}-{i}" for i in range(30)]) for n in range(2)]
        barrier = threading.Barrier(4)
        errors, results, replays = [], [], []

        def worker(number):
            own = server.login("admin", "admin")
            for round_, batch in rounds:
                barrier.wait(120)  # every round starts together: the same references race
                if round_ == "bulk 0" and number == 0:
                    replays.append(server.log_text().count(" tries left"))
                records = [{"external_ref": r, "name": f"Concurrent {round_} by {number}"} for r in batch]
                try:
                    if number % 2:
                        status, answer = post(f"{server.url}{API}", {"clients": records}, api_key)
                        assert status == 200, answer
                        results.extend(answer["results"])
                    else:
                        results.extend(own.call("res.partner", "client_upsert", records))
                except Exception as exc:  # noqa: BLE001 - reported below
                    errors.append(exc)

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(600)
        assert not errors, errors
        assert not [r for r in results if "error" in r], [r for r in results if "error" in r][:3]
        every = refs + [f"CONC-BULK-{n}-{i}" for n in range(2) for i in range(30)]
        counts = session.call(
            "res.partner", "read_group", [("external_ref", "in", every)], ["external_ref"], ["external_ref"], lazy=False
        )
        assert len(counts) == 100 and all(group["__count"] == 1 for group in counts)
        assert sum(1 for r in results if r["created"]) == 100
        assert len(results) == 4 * (2 * 40 + 2 * 70)
        kept = {
            row["external_ref"]: row["name"]
            for row in session.call(
                "res.partner", "search_read", [("external_ref", "in", every)], ["external_ref", "name"]
            )
        }
        for batch in batches:
            assert kept[batch[0]].startswith("Concurrent bulk 1 by "), "the last round wrote them all"
        for n in range(2):
            bulk = refs + [f"CONC-BULK-{n}-{i}" for i in range(30)]
            assert (
                len({kept[r] for r in bulk[40 * (1 - n) :]}) == 1
            ), "one call's name on a whole call: none interleaved"
        with psycopg2.connect(dbname=live_odoo.db) as db, db.cursor() as cr:
            assert advisory_locks(cr) == 0, "every call gave its lanes back"
    finally:
        server.stop()
    assert replays == [0], "no call of 5 references was replayed"


def test_find_duplicates_over_xmlrpc(admin):
    results = admin.call(
        "res.partner",
        "client_upsert",
        [
            {"external_ref": "DUP-1", "name": "Duplikat Sp. z o.o.", "country_code": "PL", "vat": "7740001454"},
            {"external_ref": "DUP-2", "name": "DUPLIKAT spółka z o.o.", "country_code": "PL", "vat": "PL774-000-14-54"},
        ],
    )
    ids = sorted(r["id"] for r in results)
    groups = admin.call("res.partner", "client_find_duplicates", [("id", "in", ids)])
    assert {"reason": "vat", "key": "7740001454", "partner_ids": ids} in groups
    assert {"reason": "name", "key": "duplikat", "partner_ids": ids} in groups
    assert admin.call("res.partner", "client_find_duplicates") is not None  # no domain: every client


def test_merge_over_xmlrpc(live_odoo, admin):
    results = admin.call(
        "res.partner",
        "client_upsert",
        [
            {"external_ref": "MRG-T", "name": "Merge Target", "emails": [{"email": "one@merge.pl"}]},
            {"external_ref": "MRG-S1", "name": "Merge Source 1", "emails": [{"email": "ONE@merge.pl"}]},
            {"external_ref": "MRG-S2", "name": "Merge Source 2", "phones": [{"number": "+48 22 999 88 77"}]},
        ],
    )
    target, source1, source2 = (r["id"] for r in results)
    demo = live_odoo.login("demo", "demo")
    with pytest.raises(Exception, match="Only client administrators"):
        demo.call("res.partner", "client_merge", [source1, source2], target)
    preview = admin.call("res.partner", "client_merge_preview", [source1, source2], target)
    assert preview["target_id"] == target and preview["merged_ids"] == [source1, source2]
    assert preview["moved"]["crm.client.email"] == 1 and preview["moved"]["crm.client.phone"] == 1
    assert admin.call("res.partner", "search_count", [("id", "in", [source1, source2])]) == 2
    merged = admin.call("res.partner", "client_merge", [source1, source2], target)
    summary = ("target_id", "merged_ids", "moved")
    assert {key: merged[key] for key in summary} == {key: preview[key] for key in summary}
    assert admin.call("res.partner", "search_count", [("id", "in", [source1, source2])]) == 0
    [row] = admin.call("res.partner", "read", [target], ["email_ids", "phone_ids", "external_ref"])
    assert len(row["email_ids"]) == 1 and len(row["phone_ids"]) == 1 and row["external_ref"] == "MRG-T"
    [again] = admin.call("res.partner", "client_upsert", [{"external_ref": "MRG-S2", "name": "Merge Target"}])
    assert again == {"external_ref": "MRG-S2", "id": target, "created": False}


API = "/crm_clients/api/v1/clients/upsert"
MB = 1024 * 1024


def call_api(live_odoo, method, body=b"", headers=None):
    """(status, headers, parsed JSON answer) of a raw request to the HTTP API."""
    connection = http.client.HTTPConnection("127.0.0.1", live_odoo.port, timeout=120)
    try:
        connection.request(method, API, body=body, headers=headers or {})
        response = connection.getresponse()
        raw = response.read()
    finally:
        connection.close()
    assert response.getheader("Content-Type", "").startswith("application/json"), (response.status, raw[:300])
    answer = json.loads(raw)
    check_answer(API, method, response.status, answer, response.headers)
    return response.status, response, answer


def server_errors(live_odoo, offset):
    log = live_odoo.log_text()[offset:]
    return [line for line in log.splitlines() if " ERROR " in line or "Traceback" in line]


def test_http_api_every_refusal_is_json(live_odoo, fuzz_setup):
    keys = fuzz_setup["keys"]
    json_type = {"Content-Type": "application/json"}
    admin = {"Authorization": f"Bearer {keys['admin']}", **json_type}
    offset = len(live_odoo.log_text())
    too_many = json.dumps({"clients": [{"external_ref": f"MANY-{i}"} for i in range(1001)]}).encode()
    cases = [
        ("GET", b"", admin, 405, "method_not_allowed"),
        ("PUT", b"{}", admin, 405, "method_not_allowed"),
        ("POST", b'{"clients": []}', json_type, 401, "unauthorized"),
        ("POST", b'{"clients": []}', {"Authorization": "Bearer not-a-key", **json_type}, 401, "unauthorized"),
        ("POST", b'{"clients": []}', {"Authorization": "Basic YWRtaW46YWRtaW4=", **json_type}, 401, "unauthorized"),
        (
            "POST",
            b"clients=x",
            {**admin, "Content-Type": "application/x-www-form-urlencoded"},
            415,
            "unsupported_media_type",
        ),
        ("POST", b"{}", {**admin, "Content-Type": "text/plain"}, 415, "unsupported_media_type"),
        ("POST", b'{"clients": [{"name": "\xff"}]}', admin, 400, "invalid_encoding"),
        ("POST", b'{"clients": [{"external_ref": "\\ud800"}]}', admin, 400, "invalid_encoding"),
        ("POST", b"[" * 33 + b"]" * 33, admin, 400, "too_deep"),
        ("POST", b"[" * 200000 + b"]" * 200000, admin, 400, "too_deep"),
        ("POST", b"{not json", admin, 400, "malformed_body"),
        ("POST", b"", admin, 400, "malformed_body"),
        ("POST", b'{"clients": [{"external_ref": "NAN-1", "partner_latitude": NaN}]}', admin, 400, "malformed_body"),
        ("POST", b"[]", admin, 400, "malformed_body"),
        ("POST", b'{"clients": {}}', admin, 400, "malformed_body"),
        ("POST", too_many, admin, 413, "too_many_records"),
        (
            "POST",
            b'{"clients": [{"external_ref": "READER-1", "name": "No"}]}',
            {"Authorization": f"Bearer {keys['reader']}", **json_type},
            403,
            "forbidden",
        ),
    ]
    for method, body, headers, expected, code in cases:
        status, response, answer = call_api(live_odoo, method, body, headers)
        assert (status, answer["error"]["code"]) == (expected, code), (method, body[:60], answer)
        assert answer["error"]["message"], answer
        if status == 405:
            assert response.getheader("Allow") == "POST"
        if status == 401:
            assert response.getheader("WWW-Authenticate") == "Bearer"
    assert not server_errors(live_odoo, offset)


def test_http_api_nesting_limit_is_32_levels(live_odoo, api_key):
    headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
    # {"clients": [{"deep": [[...]]}]}: 3 levels, then the value's 29 → 32 in all
    body = '{"clients": [{"external_ref": "DEEP-1", "name": "Deep", "deep": ' + "[" * 29 + "]" * 29 + "}]}"
    status, _response, answer = call_api(live_odoo, "POST", body.encode(), headers)
    # parsed and checked: its only row is refused, so 422
    assert status == 422 and "Unknown field deep" in answer["results"][0]["error"], answer
    body = '{"clients": [{"external_ref": "DEEP-1", "name": "Deep", "deep": ' + "[" * 30 + "]" * 30 + "}]}"
    status, _response, answer = call_api(live_odoo, "POST", body.encode(), headers)
    assert (status, answer["error"]["code"]) == (400, "too_deep")


def test_http_api_body_size_is_checked_before_reading(live_odoo, api_key):
    offset = len(live_odoo.log_text())
    # A Content-Length over 5 MB, and only the first bytes sent: the answer comes at once,
    # so the server did not wait for (nor read) the body.
    head = (
        f"POST {API} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {api_key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {5 * MB + 1}\r\nConnection: close\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", live_odoo.port), timeout=20) as sock:
        sock.sendall(head.encode() + b'{"clients": [')
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    assert b" 413 " in status_line, answer[:300]
    assert json.loads(rest.partition(b"\r\n\r\n")[2])["error"]["code"] == "body_too_large"
    # Chunked, without Content-Length: read up to the limit, not further.
    connection = http.client.HTTPConnection("127.0.0.1", live_odoo.port, timeout=120)
    try:
        headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
        # the server may answer before the last chunk: the answer is waiting all the same
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            connection.request("POST", API, body=iter([b" " * MB] * 5 + [b" " * 1024]), headers=headers)
        response = connection.getresponse()
        assert response.status == 413, response.status
        assert json.loads(response.read())["error"]["code"] == "body_too_large"
    finally:
        connection.close()
    # Just under the limit, chunked or not: served.
    padding = 5 * MB - 200
    body = json.dumps({"clients": [{"external_ref": "BIG-1", "name": "Big", "comment": "x" * padding}]}).encode()
    assert len(body) <= 5 * MB
    status, _response, answer = call_api(
        live_odoo, "POST", body, {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
    )
    assert status == 200 and answer["results"][0]["created"] is True, answer
    connection = http.client.HTTPConnection("127.0.0.1", live_odoo.port, timeout=120)
    try:
        connection.request("POST", API, body=iter([body[:MB], body[MB:]]), headers=headers)
        response = connection.getresponse()
        assert response.status == 200 and json.loads(response.read())["results"][0]["created"] is False
    finally:
        connection.close()
    assert not server_errors(live_odoo, offset)


def test_rows_the_database_refuses_over_json_rpc(live_odoo, fuzz_setup):
    """JSON-RPC carries what XML-RPC cannot (2**40, NaN, unpaired surrogates, NUL): each
    such row gets its error, the good ones are saved."""
    offset = len(live_odoo.log_text())
    rows = [
        {"external_ref": "JR-1", "name": "Good before"},
        {"external_ref": "JR-2", "name": "Huge", "color": 2**40},
        {"external_ref": "JR-3", "name": "Not a number", "partner_latitude": float("nan")},
        {"external_ref": "JR-4", "name": "Surrogate \ud800"},
        {"external_ref": "JR-5", "name": "NUL \x00"},
        {"external_ref": "JR-6"},
        {"external_ref": "JR-7", "name": "Bad country", "country_id": 999999},
        ["a", "list"],
        "a string",
        None,
        5,
        {"external_ref": "JR-8", "name": "Good after"},
    ]
    call = {
        "jsonrpc": "2.0",
        "method": "call",
        "id": 1,
        "params": {
            "service": "object",
            "method": "execute_kw",
            "args": [
                live_odoo.db,
                fuzz_setup["uids"]["admin"],
                fuzz_setup["keys"]["admin"],
                "res.partner",
                "client_upsert",
                [rows],
            ],
        },
    }
    request = urllib.request.Request(
        f"{live_odoo.url}/jsonrpc", data=json.dumps(call).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        results = json.loads(response.read())["result"]
    assert [("id" in r, r["external_ref"]) for r in results] == [
        (True, "JR-1"),
        (False, "JR-2"),
        (False, "JR-3"),
        (False, "JR-4"),
        (False, "JR-5"),
        (False, "JR-6"),
        (False, "JR-7"),
        (False, False),
        (False, False),
        (False, False),
        (False, False),
        (True, "JR-8"),
    ]
    assert "color must be between" in results[1]["error"]
    assert "partner_latitude must be a finite number" in results[2]["error"]
    assert "cannot be stored" in results[3]["error"] and "cannot be stored" in results[4]["error"]
    assert "name is required" in results[5]["error"]
    assert "Unknown Country id 999999 for country_id" in results[6]["error"]
    assert not server_errors(live_odoo, offset)


def lane_key(company, ref):
    """The advisory lock a call takes for ``ref`` in ``company`` (0: none), as
    crm_clients computes it."""
    digest = hashlib.blake2b(f"{company}:{ref}".encode(), digest_size=8, person=b"crm_upsert").digest()
    return int.from_bytes(digest, "big", signed=True)


@contextlib.contextmanager
def holding_lane(database, company, ref):
    """The lane of ``ref`` held by another session (as a call upserting it holds it)."""
    connection = psycopg2.connect(dbname=database)
    connection.autocommit = True
    try:
        with connection.cursor() as cr:
            cr.execute("SELECT pg_advisory_lock(%s)", [lane_key(company, ref)])
        yield
    finally:
        connection.close()


def lane_waiters(database, wait=15):
    """How many sessions wait for a lane on ``database``, once one does (or 0 after
    ``wait`` seconds). (objsubid 1: a bigint key, a lane; the lanes' sessions of calls
    under way wait for their calls' own locks, of two integers.)"""
    with psycopg2.connect(dbname=database) as db, db.cursor() as cr:
        deadline = time.monotonic() + wait
        while True:
            cr.execute(
                "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database"
                " WHERE l.locktype = 'advisory' AND l.objsubid = 1 AND NOT l.granted AND d.datname = %s",
                [database],
            )
            waiting = cr.fetchone()[0]
            if waiting or time.monotonic() > deadline:
                return waiting
            time.sleep(0.05)


def in_thread(call, *args):
    """``call(*args)`` started in a thread: (the thread, the list its answer goes to)."""
    answers = []
    thread = threading.Thread(target=lambda: answers.extend(call(*args)))
    thread.start()
    return thread, answers


def json_post(url, params, opener=None):
    request = urllib.request.Request(
        url,
        data=json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1, "params": params}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with (opener or urllib.request.build_opener()).open(request, timeout=120) as response:
        answer = json.loads(response.read())
    assert "error" not in answer, answer
    return answer["result"]


def upsert_entry_points(live_odoo, admin, api_key):
    """{entry point: upsert(records) -> results}: the ways into client_upsert. The web
    session has made its first call: Odoo logs a session's device in the transaction of
    its first request (then hourly), and a call that has written takes no lanes."""
    web = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    json_post(
        f"{live_odoo.url}/web/session/authenticate",
        {"db": live_odoo.db, "login": "admin", "password": "admin"},
        web,
    )
    json_post(
        f"{live_odoo.url}/web/dataset/call_kw/res.partner/search_count",
        {"model": "res.partner", "method": "search_count", "args": [[]], "kwargs": {}},
        web,
    )

    def http_api(records):
        status, answer = post(f"{live_odoo.url}{API}", {"clients": records}, api_key)
        assert status == 200, answer
        return answer["results"]

    return {
        "XML-RPC": lambda records: admin.call("res.partner", "client_upsert", records),
        "JSON-RPC": lambda records: json_post(
            f"{live_odoo.url}/jsonrpc",
            {
                "service": "object",
                "method": "execute_kw",
                "args": [live_odoo.db, admin.uid, "admin", "res.partner", "client_upsert", [records]],
            },
        ),
        "web client": lambda records: json_post(
            f"{live_odoo.url}/web/dataset/call_kw/res.partner/client_upsert",
            {"model": "res.partner", "method": "client_upsert", "args": [records], "kwargs": {}},
            web,
        ),
        "HTTP API": http_api,
    }


def test_every_entry_point_waits_for_the_lanes(live_odoo, admin, api_key):
    """A reference's lane held by another call: an upsert of it waits, over XML-RPC,
    JSON-RPC, the web client's call_kw and the HTTP API alike, and goes on once the lane
    is free."""
    for name, upsert in upsert_entry_points(live_odoo, admin, api_key).items():
        ref = f"LANE-{name}"
        with holding_lane(live_odoo.db, 0, ref):
            thread, answers = in_thread(upsert, [{"external_ref": ref, "name": name}])
            assert lane_waiters(live_odoo.db) == 1, f"{name}: the call waits for the lane"
            assert not answers
        thread.join(60)
        assert [answer.get("created") for answer in answers] == [True], (name, answers)
    with psycopg2.connect(dbname=live_odoo.db) as db, db.cursor() as cr:
        assert advisory_locks(cr) == 0, "every call gave its lanes back"


@pytest.fixture(scope="module")
def override_odoo():
    """A live server of the database where tools/test.sh installed
    tests/addons/crm_clients_test_upsert_override: an integrator's addon overriding
    client_upsert and calling super()."""
    database = os.environ.get("CRM_OVERRIDE_DB")
    if not database:
        pytest.fail("CRM_OVERRIDE_DB names the database with the override installed: run the tests with `make test`.")
    server = start_server(database, test_addons=True)
    yield server
    server.stop()


def test_an_override_calling_super_takes_the_lanes(override_odoo):
    """An addon's override of client_upsert calling super(): its calls over XML-RPC wait
    for their references' lanes as crm_clients' own calls do, and give them back."""
    admin = override_odoo.login("admin", "admin")
    ref = "LANE-OVERRIDE"
    with holding_lane(override_odoo.db, 0, ref):
        thread, answers = in_thread(
            admin.call, "res.partner", "client_upsert", [{"external_ref": ref, "name": "Through An Override"}]
        )
        assert lane_waiters(override_odoo.db) == 1, "the call waits for the lane"
        assert not answers
    thread.join(60)
    assert [answer.get("created") for answer in answers] == [True], answers
    [client] = admin.call("res.partner", "search_read", [("external_ref", "=", ref)], ["comment"])
    assert "mapped by an override" in client["comment"], "the override ran"
    with psycopg2.connect(dbname=override_odoo.db) as db, db.cursor() as cr:
        assert advisory_locks(cr) == 0, "the call gave its lanes back"


def test_no_lane_in_a_company_not_the_callers(live_odoo, fuzz_setup):
    """An integrator of the main company naming another company gets no lane there (the
    record fails alone, at once, never waiting for that company's calls); in its own
    company its record waits for the lane."""
    with psycopg2.connect(dbname=live_odoo.db) as db, db.cursor() as cr:
        cr.execute("SELECT id FROM res_company WHERE name = 'Fuzz B'")
        [(foreign,)] = cr.fetchall()
        cr.execute("SELECT company_id FROM res_users WHERE login = 'fuzz_integrator'")
        [(own,)] = cr.fetchall()
    integrator = live_odoo.login("fuzz_integrator", fuzz_setup["keys"]["integrator"])
    with holding_lane(live_odoo.db, foreign, "LANE-FOREIGN"):
        start = time.monotonic()
        [answer] = integrator.call(
            "res.partner", "client_upsert", [{"external_ref": "LANE-FOREIGN", "name": "F", "company_id": foreign}]
        )
        assert "error" in answer, answer
        assert time.monotonic() - start < 8, "answered without waiting for the lane"
    with holding_lane(live_odoo.db, own, "LANE-OWN"):
        records = [{"external_ref": "LANE-OWN", "name": "Own", "company_id": own}]
        thread, answers = in_thread(integrator.call, "res.partner", "client_upsert", records)
        assert lane_waiters(live_odoo.db) == 1, "its own company's lane is waited for"
    thread.join(60)
    assert [answer.get("created") for answer in answers] == [True], answers


@contextlib.contextmanager
def partner_trigger(database, name, body, at_commit=False):
    """For the block, a trigger ``name`` running ``body`` (PL/pgSQL, NEW is the row)
    before each insert or update of a partner (``at_commit``: at the commit of the
    transaction that inserted or updated it); yields an autocommit connection to
    ``database``."""
    db = psycopg2.connect(dbname=database)
    db.autocommit = True
    when = (
        "CONSTRAINT TRIGGER {name} AFTER INSERT OR UPDATE ON res_partner DEFERRABLE INITIALLY DEFERRED"
        if at_commit
        else "TRIGGER {name} BEFORE INSERT OR UPDATE ON res_partner"
    ).format(name=name)
    with db.cursor() as cr:
        cr.execute(
            f"""CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    {body}
                    RETURN NEW;
                END $$;
                CREATE {when} FOR EACH ROW EXECUTE FUNCTION {name}();"""
        )
    try:
        yield db
    finally:
        with db.cursor() as cr:
            cr.execute(f"DROP TRIGGER {name} ON res_partner; DROP FUNCTION {name}();")
        db.close()


def test_a_call_that_loses_its_connection_gives_its_lanes_back(live_odoo, admin, api_key):
    """PostgreSQL ends a call's connection while the call holds its lanes (a trigger
    terminates its own backend): Odoo then closes the request's cursor without rolling it
    back, nor running the hooks that would give the lanes back. The call gives them back
    itself: the next call of the same reference goes on at once. Over XML-RPC, JSON-RPC,
    the web client's call_kw and the HTTP API alike."""
    lost = """IF NEW.name = 'Lost' THEN
                  -- the lanes held at that moment (a sequence outlives the rollback;
                  -- objsubid 1: bigint keys, not the call's own lock of two integers)
                  PERFORM setval('crm_test_lost_lanes', (SELECT count(*) FROM pg_locks
                                  WHERE locktype = 'advisory' AND objsubid = 1 AND granted AND database =
                                        (SELECT oid FROM pg_database WHERE datname = current_database())),
                                 false);
                  PERFORM pg_terminate_backend(pg_backend_pid());
              END IF;"""
    with partner_trigger(live_odoo.db, "crm_test_lost", lost) as db:
        with db.cursor() as cr:
            cr.execute("CREATE SEQUENCE crm_test_lost_lanes MINVALUE 0")
        try:
            for name, upsert in upsert_entry_points(live_odoo, admin, api_key).items():
                ref = f"LOST-{name}"
                offset = len(live_odoo.log_text())
                with contextlib.suppress(Exception):  # each entry point fails its own way
                    upsert([{"external_ref": ref, "name": "Lost"}])
                log = live_odoo.log_text()[offset:]
                assert "server closed the connection" in log, f"{name}: the connection was lost"
                with db.cursor() as cr:
                    cr.execute("SELECT nextval('crm_test_lost_lanes')")
                    assert cr.fetchone()[0] == 1, f"{name}: the call held its lane when its connection was lost"
                    assert advisory_locks(cr, wait=3) == 0, f"{name}: its lanes were given back"
                    cr.execute("SELECT count(*) FROM res_partner WHERE external_ref = %s", [ref])
                    assert cr.fetchone()[0] == 0, f"{name}: nothing of the call was kept"
                start = time.monotonic()
                [answer] = upsert([{"external_ref": ref, "name": "Found"}])
                assert answer["created"] is True, (name, answer)
                assert time.monotonic() - start < 5, f"{name}: the next call did not wait"
        finally:
            with db.cursor() as cr:
                cr.execute("DROP SEQUENCE crm_test_lost_lanes")


def test_a_call_that_loses_its_connection_at_the_commit_frees_its_lanes(live_odoo, admin):
    """PostgreSQL ends a call's connection at its very commit (a deferred trigger
    terminates its own backend): no hook of Odoo's or ours runs then, and Odoo keeps the
    lost request's cursor (and with it the lanes' connection) until Python's garbage
    collector frees it. Nothing of the call is kept, and its lanes are freed at once: the
    lanes' session was waiting for the call's transaction to end. (Before, they were
    held until that session had been idle for 180 s.)"""
    lost = """IF NEW.name = 'Lost At Commit' THEN
                  -- what the call holds at its commit (sequences outlive the rollback):
                  -- its lane (a bigint key), and its lanes' session waiting for it
                  PERFORM setval('crm_test_commit_lanes', (SELECT count(*) FROM pg_locks
                                  WHERE locktype = 'advisory' AND objsubid = 1 AND granted
                                    AND database = (SELECT oid FROM pg_database WHERE datname = current_database())),
                                 false);
                  PERFORM setval('crm_test_commit_watch', (SELECT count(*) FROM pg_locks
                                  WHERE locktype = 'advisory' AND objsubid = 2 AND NOT granted
                                    AND database = (SELECT oid FROM pg_database WHERE datname = current_database())),
                                 false);
                  PERFORM pg_terminate_backend(pg_backend_pid());
              END IF;"""
    ref = "LOST-AT-COMMIT"
    with partner_trigger(live_odoo.db, "crm_test_lost_commit", lost, at_commit=True) as db:
        with db.cursor() as cr:
            cr.execute(
                "CREATE SEQUENCE crm_test_commit_lanes MINVALUE 0; CREATE SEQUENCE crm_test_commit_watch MINVALUE 0"
            )
        try:
            offset = len(live_odoo.log_text())
            with pytest.raises(xmlrpc.client.Fault):
                admin.call("res.partner", "client_upsert", [{"external_ref": ref, "name": "Lost At Commit"}])
            log = live_odoo.log_text()[offset:]
            assert "terminating connection" in log or "closed the connection" in log, "the connection was lost"
            with db.cursor() as cr:
                cr.execute("SELECT nextval('crm_test_commit_lanes'), nextval('crm_test_commit_watch')")
                assert cr.fetchone() == (1, 1), "at its commit the call held its lane, its lanes' session waiting"
                assert advisory_locks(cr, wait=5) == 0, "the lanes were freed, the lanes' session waits no more"
                cr.execute("SELECT count(*) FROM res_partner WHERE external_ref = %s", [ref])
                assert cr.fetchone()[0] == 0, "nothing of the call was kept"
        finally:
            with db.cursor() as cr:
                cr.execute("DROP SEQUENCE crm_test_commit_lanes; DROP SEQUENCE crm_test_commit_watch")
    start = time.monotonic()
    [answer] = admin.call("res.partner", "client_upsert", [{"external_ref": ref, "name": "Found"}])
    assert answer["created"] is True, answer
    assert time.monotonic() - start < 5, "the next call did not wait"


def lanes_held(database):
    """How many lanes (advisory locks of a bigint key) are held on ``database``."""
    with psycopg2.connect(dbname=database) as db, db.cursor() as cr:
        cr.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database"
            " WHERE l.locktype = 'advisory' AND l.objsubid = 1 AND l.granted AND d.datname = %s",
            [database],
        )
        return cr.fetchone()[0]


def test_a_call_holding_its_lanes_past_the_hold_goes_on_without_them(live_odoo, admin):
    """A call holds its lanes crm_clients.upsert_lane_hold seconds at most (180 by
    default, 2 here). A call still running then gives them up and goes on; the next call
    of the same reference takes the lane at once, then meets the first one's row lock and
    Odoo's replay, as without lanes: one client, both calls answered, the last one's
    name kept."""
    ref = "LANE-HOLD"
    [created] = admin.call("res.partner", "client_upsert", [{"external_ref": ref, "name": "Before"}])
    slow = "IF NEW.name = 'Slow' THEN PERFORM pg_sleep(8); END IF;"
    admin.call("ir.config_parameter", "set_param", "crm_clients.upsert_lane_hold", "2")
    try:
        with partner_trigger(live_odoo.db, "crm_test_slow", slow):
            offset = len(live_odoo.log_text())
            first, first_answers = in_thread(
                live_odoo.login("admin", "admin").call,
                "res.partner",
                "client_upsert",
                [{"external_ref": ref, "name": "Slow"}],
            )
            deadline = time.monotonic() + 5
            while not lanes_held(live_odoo.db) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert lanes_held(live_odoo.db) == 1, "the slow call holds its lane"
            start = time.monotonic()
            while lanes_held(live_odoo.db) and time.monotonic() < start + 10:
                time.sleep(0.05)
            given_up = time.monotonic() - start
            assert (
                given_up < 4 and first.is_alive()
            ), f"the lane given up after the hold ({given_up:.1f} s), the call still running"
            [second] = admin.call("res.partner", "client_upsert", [{"external_ref": ref, "name": "After"}])
            first.join(60)
        log = live_odoo.log_text()[offset:]
    finally:
        admin.call("ir.config_parameter", "set_param", "crm_clients.upsert_lane_hold", False)
    assert first_answers == [{"external_ref": ref, "id": created["id"], "created": False}], first_answers
    assert second == {"external_ref": ref, "id": created["id"], "created": False}, second
    assert "SERIALIZATION_FAILURE" in log, "the second call met the first one's row lock and was replayed"
    assert admin.call("res.partner", "search_read", [("external_ref", "=", ref)], ["name"]) == [
        {"id": created["id"], "name": "After"}
    ], "one client, the last call's name"
    with psycopg2.connect(dbname=live_odoo.db) as db, db.cursor() as cr:
        assert advisory_locks(cr) == 0, "nothing left held"


def test_a_call_goes_on_without_lanes_when_no_connection_is_left(live_odoo, admin):
    """PostgreSQL refuses the connection that holds a call's lanes (here: the database
    takes no new connection; the server's pool has its own): the call goes on without
    lanes, as it would without them, never waiting for the reference's lane, and the log
    says so."""
    admin.call("res.partner", "search_count", [])  # the server's pooled connection exists
    db = psycopg2.connect(dbname="postgres")  # a database's connections are closed from another
    db.autocommit = True
    offset = len(live_odoo.log_text())
    with holding_lane(live_odoo.db, 0, "NO-LANES-1"), db.cursor() as cr:
        cr.execute(f'ALTER DATABASE "{live_odoo.db}" WITH ALLOW_CONNECTIONS false')
        try:
            start = time.monotonic()
            [answer] = admin.call("res.partner", "client_upsert", [{"external_ref": "NO-LANES-1", "name": "No lanes"}])
            elapsed = time.monotonic() - start
        finally:
            cr.execute(f'ALTER DATABASE "{live_odoo.db}" WITH ALLOW_CONNECTIONS true')
    db.close()
    assert answer["created"] is True, answer
    assert elapsed < 5, "it did not wait for the lane it could not take"
    assert "no connection for the lanes, the call goes without them" in live_odoo.log_text()[offset:]


def test_a_wrong_lanes_setting_reads_as_on(admin):
    """crm_clients.upsert_lanes holding something that is not a yes or a no never breaks
    upserts (it reads as on), nor does crm_clients.upsert_lane_hold holding something
    that is not a number of seconds from 1 to 86400: over XML-RPC, where the lanes are
    taken."""
    admin.call("ir.config_parameter", "set_param", "crm_clients.upsert_lanes", "maybe")
    try:
        for n, hold in enumerate(("soon", "0", "-5", "1e3", "90000")):
            admin.call("ir.config_parameter", "set_param", "crm_clients.upsert_lane_hold", hold)
            records = [{"external_ref": f"LANES-SETTING-{n}", "name": "Lanes"}]
            [result] = admin.call("res.partner", "client_upsert", records)
            assert result["created"] is True, (hold, result)
    finally:
        admin.call("ir.config_parameter", "set_param", "crm_clients.upsert_lanes", False)
        admin.call("ir.config_parameter", "set_param", "crm_clients.upsert_lane_hold", False)


def test_rows_limit_over_xmlrpc(admin):
    message = fault_of(
        admin.call, "res.partner", "client_upsert", [{"external_ref": f"LIMIT-{i}", "name": "L"} for i in range(1001)]
    )
    assert "at most 1000 records" in message
    assert admin.call("res.partner", "search_count", [("external_ref", "=like", "LIMIT-%")]) == 0
    results = admin.call(
        "res.partner", "client_upsert", [{"external_ref": f"LIMIT-{i}", "name": "L"} for i in range(1000)]
    )
    assert len(results) == 1000 and all(r["created"] for r in results)
    with pytest.raises(xmlrpc.client.Fault, match="list of records"):
        admin.call("res.partner", "client_upsert", {"external_ref": "LIMIT-X"})


def test_serialization_failures_are_replayed_then_answered_busy(live_odoo, api_key):
    """A serialization failure is never one row's error: Odoo replays the request, and
    when every try fails the API answers 503 in JSON and keeps nothing of the request.
    The failure is PostgreSQL's own (SQLSTATE 40001), raised here by a trigger."""
    busy = """IF NEW.external_ref = 'BUSY-1' THEN
                  RAISE EXCEPTION 'concurrent update' USING ERRCODE = '40001';
              END IF;"""
    with partner_trigger(live_odoo.db, "crm_test_busy", busy) as db:
        offset = len(live_odoo.log_text())
        body = {"clients": [{"external_ref": "BUSY-0", "name": "Fine"}, {"external_ref": "BUSY-1", "name": "Busy"}]}
        status, response, answer = call_api(
            live_odoo,
            "POST",
            json.dumps(body).encode(),
            {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"},
        )
        assert (status, answer["error"]["code"]) == (503, "busy"), answer
        assert response.getheader("Retry-After") == "1"
        # Odoo tried 5 times (4 replays logged), the fifth answered by the API
        assert live_odoo.log_text()[offset:].count("SERIALIZATION_FAILURE") == 4, "replayed, never a row's error"
        with db.cursor() as cr:
            cr.execute("SELECT count(*) FROM res_partner WHERE external_ref LIKE 'BUSY-%%'")
            assert cr.fetchone()[0] == 0, "nothing of the request was kept"
            # Each try took the references' lanes; each rollback gave them back.
            assert advisory_locks(cr) == 0
