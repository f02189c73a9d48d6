"""Benchmark: the client change feed, on a live server (threaded, like `odoo-bin`).

1. What the feed costs writers: 10,000 clients created over XML-RPC in batches of 500
   (the payload of bench_create.py), with the feed's triggers enabled and disabled, in
   the same database and run; rounds alternate, the best of each counts. Goal: ratio
   <= 1.05.
2. Exactly once under load: 8 writers (XML-RPC; each call one transaction: create 1-5
   clients, rename 1-3, archive, restore, add an email line, delete) and 2 readers paging
   the feed at the same time (one over XML-RPC, one over the HTTP API with an API key,
   random page sizes) for CRM_BENCH_FEED_SECONDS (default 60) seconds; then the readers
   catch up. Goal: each reader sees every change of every committed call exactly once,
   in the order of the calls for each client, and nothing else of those clients.

Exits non-zero when a goal is missed. Prints the figures, and how long a change took to
reach the readers after its call returned.
"""

import collections
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import xmlrpc.client

import psycopg2
from bench_create import payload
from bench_create import run_round
from common import CONFIG
from common import LOGS
from common import ODOO_BIN
from common import Server
from common import free_port
from common import fresh_database

DB = "crm_bench_changes"
GOAL_RATIO = 1.05
ROUNDS = 4
WRITERS, READERS = 8, 2
SECONDS = float(os.environ.get("CRM_BENCH_FEED_SECONDS", "60"))
CATCH_UP_SECONDS = 180
TRIGGERS = (
    "res_partner",
    "crm_client_email",
    "crm_client_phone",
    "crm_client_relation",
    "res_partner_res_partner_category_rel",
    "res_partner_crm_client_assigned_rel",
    "res_partner_crm_client_contact_role_rel",
)


def connect():
    import configparser

    config = configparser.ConfigParser()
    config.read(CONFIG)
    options = config["options"]
    return psycopg2.connect(
        dbname=DB,
        host=options.get("db_host") or None,
        port=options.get("db_port") or None,
        user=options.get("db_user") or None,
    )


def set_feed(enabled):
    """Enable or disable the feed's triggers (the server is idle between rounds)."""
    with connect() as cnx, cnx.cursor() as cr:
        for table in TRIGGERS:
            for event in ("insert", "update", "delete"):
                cr.execute(
                    f'ALTER TABLE "{table}" {"ENABLE" if enabled else "DISABLE"} TRIGGER "crm_client_change_{event}"'
                )
    cnx.close()


def feed_rows():
    with connect() as cnx, cnx.cursor() as cr:
        cr.execute("SELECT count(*) FROM crm_client_change")
        count = cr.fetchone()[0]
    cnx.close()
    return count


def cost_of_writing(server):
    call = server.session(DB)
    call("res.partner", "create", [{"name": "warm-up"}])
    best = {"feed": float("inf"), "no feed": float("inf")}
    for round_no in range(ROUNDS):
        order = ("feed", "no feed") if round_no % 2 == 0 else ("no feed", "feed")
        for label in order:
            set_feed(label == "feed")
            records = payload(call, 2 * round_no + (label == "feed"))
            rows_before = feed_rows()
            elapsed = run_round(call, records)
            rows = feed_rows() - rows_before
            best[label] = min(best[label], elapsed)
            print(
                f"round {round_no + 1} {label:8s} 10,000 clients in {elapsed:6.2f} s ({10_000 / elapsed:5.0f}/s), "
                f"{rows} feed rows",
                flush=True,
            )
    set_feed(True)
    ratio = best["feed"] / best["no feed"]
    print(
        f"create 10,000 clients: without the feed {best['no feed']:.2f} s, with it {best['feed']:.2f} s, "
        f"ratio {ratio:.3f} (goal <= {GOAL_RATIO})",
        flush=True,
    )
    return ratio <= GOAL_RATIO


class FeedServer(Server):
    """The benchmark server, serving only DB: the HTTP API has no database to pick
    otherwise (an API key carries none)."""

    def __init__(self, port):
        self.port = port
        self.log = open(LOGS / "bench-server.log", "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, str(ODOO_BIN), "-c", CONFIG, "--http-port", str(port), "--workers", "0"]
            + ["--max-cron-threads", "0", "--log-level", "warn", "-d", DB, "--db-filter", f"^{DB}$"],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        proxy = xmlrpc.client.ServerProxy(f"http://127.0.0.1:{port}/xmlrpc/2/common")
        deadline = time.monotonic() + 120
        while True:
            try:
                proxy.version()
                return
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise SystemExit("the benchmark server did not start, see .local/logs/bench-server.log") from None
                time.sleep(0.5)


def api_key():
    script = (
        "import datetime\n"
        "admin = env.ref('base.user_admin')\n"
        "key = env['res.users.apikeys'].with_user(admin)._generate("
        "'rpc', 'bench', datetime.date.today() + datetime.timedelta(days=1))\n"
        "env.cr.commit()\n"
        "print('APIKEY=' + key)\n"
    )
    output = subprocess.run(
        [sys.executable, str(ODOO_BIN), "shell", "-c", CONFIG, "-d", DB, "--no-http", "--log-level", "warn"],
        input=script,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout
    return next(line.split("=", 1)[1] for line in output.splitlines() if line.startswith("APIKEY="))


class Writer(threading.Thread):
    """Changes its own clients, one transaction per call; remembers what each committed
    call must show in the feed: [(client id, kind, time the call returned)]."""

    def __init__(self, server, number, stop):
        super().__init__(daemon=True)
        self.call = server.session(DB)
        self.number, self.stop, self.random = number, stop, random.Random(number)
        self.active, self.archived = [], []
        self.expected, self.calls, self.errors = [], 0, []

    def done(self, ids, kind):
        now = time.monotonic()
        self.expected += [(partner_id, kind, now) for partner_id in ids]
        self.calls += 1

    def run(self):
        counter = 0
        while not self.stop.is_set():
            op = self.random.choice(["create", "create", "rename", "rename", "archive", "restore", "email", "delete"])
            try:
                if op == "create" or len(self.active) < 3:
                    names = []
                    for _ in range(self.random.randint(1, 5)):
                        counter += 1
                        names.append({"name": f"Feed Bench {self.number}-{counter}", "is_company": True})
                    ids = self.call("res.partner", "create", names)
                    self.active += ids
                    self.done(ids, "created")
                elif op == "rename":
                    ids = self.random.sample(self.active, min(len(self.active), self.random.randint(1, 3)))
                    self.call("res.partner", "write", ids, {"comment": f"call {self.calls}"})
                    self.done(ids, "updated")
                elif op == "archive":
                    partner_id = self.active.pop(self.random.randrange(len(self.active)))
                    self.call("res.partner", "write", [partner_id], {"active": False})
                    self.archived.append(partner_id)
                    self.done([partner_id], "archived")
                elif op == "restore" and self.archived:
                    partner_id = self.archived.pop(0)
                    self.call("res.partner", "write", [partner_id], {"active": True})
                    self.active.append(partner_id)
                    self.done([partner_id], "restored")
                elif op == "email":
                    partner_id = self.random.choice(self.active)
                    counter += 1
                    line = {"email": f"bench{self.number}-{counter}@example.com"}
                    self.call("res.partner", "write", [partner_id], {"email_ids": [(0, 0, line)]})
                    self.done([partner_id], "updated")
                elif op == "delete":
                    partner_id = self.active.pop(self.random.randrange(len(self.active)))
                    self.call("res.partner", "unlink", [partner_id])
                    self.done([partner_id], "deleted")
            except xmlrpc.client.Fault as exc:  # nothing committed: nothing expected
                self.errors.append(exc.faultString.strip().splitlines()[-1])


class Reader(threading.Thread):
    """Pages the feed from ``cursor`` until the writers are done (``ready``: what they
    committed is known), then until it has caught up."""

    def __init__(self, name, read, cursor, ready, caught_up):
        super().__init__(daemon=True)
        self.name, self.read, self.cursor = name, read, cursor
        self.ready, self.caught_up = ready, caught_up
        self.seen, self.pages, self.random, self.error = [], 0, random.Random(name), None

    def run(self):
        try:
            self.page()
        except Exception as exc:  # noqa: BLE001 - reported by the main thread
            self.error = repr(exc)

    def page(self):
        while True:
            stopping = self.ready.is_set()
            answer = self.read(self.cursor, self.random.randint(50, 500))
            now = time.monotonic()
            self.pages += 1
            self.seen += [(change["id"], change["kind"], now) for change in answer["changes"]]
            self.cursor = answer["cursor"]
            if stopping and self.caught_up(self):
                return
            if not answer["more"]:
                time.sleep(0.05)


def feed_end(call):
    """The cursor of the current end of the feed."""
    cursor = False
    while True:
        answer = call("res.partner", "client_changes", cursor, 10_000)
        cursor = answer["cursor"]
        if not answer["more"]:
            return cursor


def readers_of(server, key, cursor, ready, expected_by_id):
    def caught_up(reader):
        seen = collections.Counter(partner_id for partner_id, _kind, _at in reader.seen)
        return all(seen[partner_id] >= len(kinds) for partner_id, kinds in expected_by_id.items())

    session = server.session(DB)

    def xmlrpc_read(cursor, limit):
        return session("res.partner", "client_changes", cursor, limit)

    def http_read(cursor, limit):
        query = urllib.parse.urlencode({"cursor": cursor, "limit": limit})
        request = urllib.request.Request(
            f"http://127.0.0.1:{server.port}/crm_clients/api/v1/clients/changes?{query}",
            headers={"Authorization": f"Bearer {key}"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.load(response)

    return [
        Reader("xmlrpc reader", xmlrpc_read, cursor, ready, caught_up),
        Reader("http reader", http_read, cursor, ready, caught_up),
    ]


def check(reader, expected_by_id, committed_at):
    """Whether ``reader`` saw exactly the expected changes, in order; prints the figures."""
    if reader.is_alive() or reader.error:
        print(f"{reader.name}: {reader.error or f'did not catch up within {CATCH_UP_SECONDS} s'}")
        return False
    seen_by_id, lags = {}, []
    for partner_id, kind, at in reader.seen:
        if partner_id in expected_by_id:
            position = len(seen_by_id.setdefault(partner_id, []))
            seen_by_id[partner_id].append(kind)
            if position < len(committed_at[partner_id]):
                lags.append(at - committed_at[partner_id][position])
    wrong = {pid: kinds for pid, kinds in expected_by_id.items() if seen_by_id.get(pid) != kinds}
    count = sum(len(kinds) for kinds in seen_by_id.values())
    lags.sort()
    lag = (
        f"delay after the call returned: median {statistics.median(lags) * 1000:.0f} ms, "
        f"95% {lags[int(len(lags) * 0.95)] * 1000:.0f} ms, max {lags[-1] * 1000:.0f} ms"
        if lags
        else "no change seen"
    )
    print(f"{reader.name}: {reader.pages} pages, {count} changes of the writers' clients; {lag}")
    if wrong:
        for partner_id, kinds in list(wrong.items())[:10]:
            print(f"  client {partner_id}: expected {kinds}, seen {seen_by_id.get(partner_id)}")
        print(f"  {len(wrong)} clients differ")
        return False
    print(f"  every change seen exactly once, in order ({len(expected_by_id)} clients)")
    return True


def exactly_once(server, key):
    start = feed_end(server.session(DB))
    stop, ready = threading.Event(), threading.Event()
    expected_by_id, committed_at = {}, collections.defaultdict(list)
    writers = [Writer(server, number, stop) for number in range(WRITERS)]
    readers = readers_of(server, key, start, ready, expected_by_id)
    for thread in writers + readers:
        thread.start()
    time.sleep(SECONDS)
    stop.set()
    for writer in writers:
        writer.join()
    expected = sorted((event for writer in writers for event in writer.expected), key=lambda event: event[2])
    for partner_id, kind, at in expected:
        expected_by_id.setdefault(partner_id, []).append(kind)
        committed_at[partner_id].append(at)
    ready.set()
    for reader in readers:
        reader.join(CATCH_UP_SECONDS)
    calls = sum(writer.calls for writer in writers)
    errors = [error for writer in writers for error in writer.errors]
    print(
        f"{WRITERS} writers, {READERS} readers, {SECONDS:.0f} s: {calls} committed calls ({calls / SECONDS:.0f}/s), "
        f"{len(expected)} changes expected, {len(errors)} calls refused{': ' + errors[0] if errors else ''}",
        flush=True,
    )
    results = [check(reader, expected_by_id, committed_at) for reader in readers]  # both print their figures
    return all(results)


def main():
    print(f"installing crm_clients in {DB}...", flush=True)
    fresh_database(DB, "crm_clients")
    key = api_key()
    server = FeedServer(free_port())
    try:
        cheap = cost_of_writing(server)
        once = exactly_once(server, key)
    finally:
        server.stop()
    if not (cheap and once):
        print("GOAL MISSED")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
