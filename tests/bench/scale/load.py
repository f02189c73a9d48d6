"""`make bench-load`: many users at once on 100,000 clients (``python load.py [SIZE]``).

A copy of the template ``crm_scale_tpl_<size>`` (templates.py; 100,000 by default) is served
by Odoo with 4 workers on 127.0.0.1, and for ``CRM_LOAD_SECONDS`` (300 by default):

- 8 integrators call ``client_upsert`` in batches of 50 over one pool of 400 external
  references (every batch overlaps the others'), each record carrying a value of its own
  (integrator, sequence) in ``comment``;
- 20 web users, one after the other: the Clients kanban's first load (grouped by status,
  then the first cards of each column), a client's form (``web_read``) and its Timeline.

Reported: requests per second, p50 / p95 / p99 latency per operation, and how many
requests Odoo replayed after a serialization failure or a deadlock. Goals: 0 server
errors (faults, HTTP errors, error results, tracebacks in the server's log), 0 duplicate
clients (one client per reference), no lost update: each reference's value is the value
of a request that no other request for it followed (one that started after it ended).
Non-zero exit when a goal is missed.
"""

import collections
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import xmlrpc.client
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from common import Server  # noqa: E402
from common import free_port  # noqa: E402
from measure import CLIENTS  # noqa: E402
from measure import KANBAN_SPEC  # noqa: E402
from measure import WEB_CONTEXT  # noqa: E402
from templates import connect  # noqa: E402
from templates import dropdb  # noqa: E402
from templates import say  # noqa: E402
from templates import template_name  # noqa: E402

SECONDS = float(os.environ.get("CRM_LOAD_SECONDS", 300))
INTEGRATORS, WEB_USERS, WORKERS = 8, 20, 4
REFERENCES, BATCH = 400, 50
FORM_SPEC = {
    "name": {},
    "client_number": {},
    "client_status_id": {"fields": {"display_name": {}}},
    "email": {},
    "phone": {},
    "vat": {},
    "email_ids": {"fields": {"email": {}, "is_primary": {}}},
    "phone_ids": {"fields": {"number": {}, "is_primary": {}}},
    "child_ids": {"fields": {"display_name": {}}, "limit": 40},
    "category_id": {"fields": {"display_name": {}, "color": {}}},
}


class Workers(Server):
    """Odoo with worker processes (prefork), like a production server."""

    def __init__(self, db):
        super().__init__(
            free_port(),
            # Odoo's default time limits; its replays are logged at info ("tries left").
            options=["--gevent-port", str(free_port()), "--workers", str(WORKERS), "--db-filter", f"^{db}$",
                     "--log-level", "info"],
            log_name="bench-load-server.log",
        )  # fmt: skip
        self.uid = xmlrpc.client.ServerProxy(f"http://127.0.0.1:{self.port}/xmlrpc/2/common").authenticate(
            db, "admin", "admin", {}
        )
        self.db = db

    def connection(self):
        """A connection of its own (one per simulated user)."""
        models = xmlrpc.client.ServerProxy(f"http://127.0.0.1:{self.port}/xmlrpc/2/object", allow_none=True)
        return lambda model, method, *args, **kw: models.execute_kw(
            self.db, self.uid, "admin", model, method, list(args), kw
        )

    def stop(self, timeout=60):
        super().stop(timeout)


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies = collections.defaultdict(list)
        self.errors = []
        self.sends = collections.defaultdict(list)  # ref -> [(start, end, value)]

    def timed(self, operation, func):
        start = time.perf_counter()
        try:
            result = func()
        except Exception as exc:  # noqa: BLE001 - every failure is counted and reported
            with self.lock:
                self.errors.append(f"{operation}: {str(exc)[:300]}")
            return None
        end = time.perf_counter()
        with self.lock:
            self.latencies[operation].append(end - start)
        return start, end, result


def integrator(server, recorder, number, stop):
    call = server.connection()
    rng = random.Random(number)
    sequence = 0
    while not stop.is_set():
        refs = rng.sample(range(REFERENCES), BATCH)
        values = {}
        records = []
        for ref in refs:
            sequence += 1
            values[f"LOAD-{ref}"] = f"integrator {number} send {sequence}"
            records.append(
                {"external_ref": f"LOAD-{ref}", "name": f"Load Client {ref}", "comment": values[f"LOAD-{ref}"]}
            )
        outcome = recorder.timed("upsert 50", lambda records=records: call("res.partner", "client_upsert", records))
        if outcome is None:
            continue
        start, end, answers = outcome
        with recorder.lock:
            for answer in answers:
                if "error" in answer:
                    recorder.errors.append(f"upsert: {answer}")
                else:
                    recorder.sends[answer["external_ref"]].append((start, end, values[answer["external_ref"]]))


def web_user(server, recorder, number, clients, timeline_client, stop):
    call = server.connection()
    rng = random.Random(1000 + number)

    def kanban():
        groups = call(
            "res.partner", "web_read_group", CLIENTS, ["client_status_id"], ["client_status_id"], lazy=True,
            context=WEB_CONTEXT,
        )["groups"]  # fmt: skip
        for group in groups:
            if not group.get("__fold") and group["client_status_id_count"]:
                call("res.partner", "web_search_read", group["__domain"], KANBAN_SPEC, limit=40, context=WEB_CONTEXT)

    while not stop.is_set():
        recorder.timed("kanban first load", kanban)
        client = rng.choice(clients)
        recorder.timed(
            "client form", lambda c=client: call("res.partner", "web_read", [c], FORM_SPEC, context=WEB_CONTEXT)
        )
        target = timeline_client if rng.random() < 0.2 else client
        recorder.timed("timeline page", lambda t=target: call("res.partner", "client_timeline_read", [t]))


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main(size):
    template, db = template_name(size), f"crm_scale_load_{size}"
    dropdb(db)
    subprocess.run(["createdb", "-T", template, db], check=True)
    with connect(db) as conn, conn.cursor() as cr:
        cr.execute("SELECT id FROM res_partner WHERE is_client AND active ORDER BY md5(id::text) LIMIT 500")
        clients = [row[0] for row in cr.fetchall()]
        cr.execute("SELECT id FROM res_partner WHERE external_ref = 'SCALE-TIMELINE'")
        [timeline_client] = cr.fetchone()
    server = Workers(db)
    recorder = Recorder()
    stop = threading.Event()
    threads = [threading.Thread(target=integrator, args=(server, recorder, k, stop)) for k in range(INTEGRATORS)]
    threads += [
        threading.Thread(target=web_user, args=(server, recorder, k, clients, timeline_client, stop))
        for k in range(WEB_USERS)
    ]
    say(f"{db}: {INTEGRATORS} integrators and {WEB_USERS} web users for {SECONDS:.0f} s on {WORKERS} workers")
    started = time.perf_counter()
    try:
        for thread in threads:
            thread.start()
        time.sleep(SECONDS)
        stop.set()
        for thread in threads:
            thread.join(900)
        elapsed = time.perf_counter() - started
        call = server.connection()
        final = {
            row["external_ref"]: row
            for row in call(
                "res.partner",
                "search_read",
                [("external_ref", "like", "LOAD-%")],
                ["external_ref", "comment"],
                context={"active_test": False},
            )  # fmt: skip
        }
    finally:
        server.stop()
    with connect(db) as conn, conn.cursor() as cr:
        cr.execute(
            """SELECT count(*) FROM (SELECT external_ref FROM res_partner WHERE external_ref LIKE 'LOAD-%%'
                GROUP BY COALESCE(company_id, 0), external_ref HAVING count(*) > 1) t"""
        )
        [duplicated] = cr.fetchone()
    dropdb(db)
    log = server.log_path.read_text(errors="replace")
    # requests that failed on the server (serialization failures Odoo replayed are not)
    tracebacks = log.count("Exception during request handling")
    replays = log.count(" tries left, try again in ")
    lost = []
    for ref, sends in recorder.sends.items():
        # the value of a send that no later-started send for the reference followed
        possible = {value for start, end, value in sends if not any(other[0] > end for other in sends)}
        html = (final.get(ref) or {}).get("comment") or ""
        if not any(value in html for value in possible):
            lost.append((ref, html, sorted(possible)[:3]))
    total = sum(len(values) for values in recorder.latencies.values())
    print(f"load test on {size:,} clients, {elapsed:.0f} s: {total / elapsed:.1f} requests/s")
    print("| Operation | Requests | p50 | p95 | p99 |\n|---|---|---|---|---|")
    for operation, values in sorted(recorder.latencies.items()):
        print(
            f"| {operation} | {len(values)} | {statistics.median(values) * 1000:.0f} ms | "
            f"{percentile(values, 0.95) * 1000:.0f} ms | {percentile(values, 0.99) * 1000:.0f} ms |"
        )
    missing = [ref for ref in recorder.sends if ref not in final]
    print(
        f"server errors: {len(recorder.errors)} (server log: {tracebacks} failed requests, {replays} replayed after a "
        f"serialization failure or deadlock); duplicate clients: "
        f"{duplicated}; references upserted: {len(recorder.sends)}, missing: {len(missing)}; lost updates: {len(lost)}"
    )
    for error in recorder.errors[:5]:
        print(f"  {error}")
    for ref, html, possible in lost[:5]:
        print(f"  lost update on {ref}: {html!r} instead of one of {possible}")
    failed = recorder.errors or tracebacks or duplicated or lost or missing
    if failed:
        print("GOAL MISSED")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000))
