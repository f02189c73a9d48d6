"""Benchmark: the read paths on a PostgreSQL streaming replica (README, "Primary and
replicas").

2 writers upsert clients over XML-RPC alone (10 s: the primary's CPU time per client
upserted, subtracted from the next phases' to get the reads' share). Then web-client
sessions (JSON-RPC to /web/dataset/call_kw: what Odoo sends to a replica) call, in a loop, client_timeline_read of a client with 3,000 entries (8 sessions, 20 s), then
client_find_duplicates on 20,000 clients (2 sessions, 20 s), while 2 writers upsert
clients over XML-RPC (batches of 20, the primary's work): once with Odoo on the primary
alone, once with Odoo started with --db_replica_host / --db_replica_port on a streaming
replica of the same cluster (tests/pg_replica.py). Each phase reports the reads and
upserts per second, their median and 95th percentile, and the CPU time each PostgreSQL
server spent (the primary's processes, the replica's).

client_find_duplicates is not marked read-only yet (it keys the names in a temporary
table, which a hot standby refuses): it runs on the primary in both runs, and its figures
show what the replica does not take yet.

Both PostgreSQL servers run on this machine and share its cores: the replica adds no
hardware here, so the figures show where the work goes (off the primary) rather than a
speed-up; on a replica of its own machine the primary keeps the CPU the reads took.

Goals: no failed call; with the replica, the primary spends at most half the CPU time per
timeline read it spends without, and the upserts keep at least 70% of their throughput
(the replica's replay and reads take CPU from the primary on this shared machine; on a
machine of its own the upserts keep theirs)."""

import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
import xmlrpc.client
from pathlib import Path

from common import CONFIG
from common import LOGS
from common import ODOO_BIN
from common import ROOT
from common import free_port
from common import fresh_database

sys.path.insert(0, str(ROOT / "tests"))
from pg_replica import Replica

DB = "crm_bench_replica"
CLIENTS, ENTRIES = 20_000, 3_000
# phase: (web sessions, seconds)
PHASES = {"upserts": (0, 10), "timeline": (8, 20), "duplicates": (2, 20)}
READS = ("timeline", "duplicates")
WRITERS, BATCH = 2, 20
CPU_GOAL, UPSERT_GOAL = 0.5, 0.7
TICKS = os.sysconf("SC_CLK_TCK")
BASE = "initcap(substr(md5(({k})::text), 1, 8)) || ' ' || initcap(substr(md5(({k} + 1)::text), 1, 7)) || ' Sp. z o.o.'"


def prepare():
    template = os.environ.get("CRM_BENCH_TEMPLATE")
    if template:  # a copy of a database that has crm_clients (updated), instead of an install
        print(f"copying {template} to {DB}...", flush=True)
        subprocess.run(["dropdb", "--if-exists", "--force", DB], check=False, capture_output=True)
        subprocess.run(["createdb", "-T", template, DB], check=True)
    else:
        print(f"installing crm_clients in {DB}...", flush=True)
        fresh_database(DB, "crm_clients")
    server = start(None)
    try:
        call = xmlrpc_session(server["port"])
        [template] = call("res.partner", "create", [{"name": "Template", "is_company": True}])
        [client] = call("res.partner", "create", [{"name": "Timeline Replica Sp. z o.o.", "is_company": True}])
    finally:
        stop(server)
    import psycopg2

    with psycopg2.connect(dbname=DB) as conn, conn.cursor() as cr:
        cr.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'res_partner' AND column_name != 'id'"
        )
        columns = [row[0] for row in cr.fetchall()]
        name = f"CASE WHEN n %% 10 = 0 THEN {BASE.format(k='n - 1')} ELSE {BASE.format(k='n')} END"
        overrides = {
            "name": name,
            "complete_name": name,
            "vat": "CASE WHEN n %% 50 = 0 THEN 'PL' || lpad((n %% 1000)::text, 10, '0') ELSE lpad(n::text, 10, '0') END",
            "email": "'c' || (n %% 19000) || '@example.com'",
            "email_normalized": "'c' || (n %% 19000) || '@example.com'",
            "phone_sanitized": "'+4822' || lpad((n %% 19500)::text, 7, '0')",
            "client_number": "'R' || n",
            "external_ref": "NULL",
        }
        select = ", ".join(overrides.get(c, f't."{c}"') for c in columns)
        cr.execute(
            f'INSERT INTO res_partner ({", ".join(f"{chr(34)}{c}{chr(34)}" for c in columns)}) '
            f"SELECT {select} FROM res_partner t, generate_series(1, %s) n WHERE t.id = %s",
            [CLIENTS, template],
        )
        cr.execute("SELECT id FROM mail_message_subtype WHERE internal ORDER BY id LIMIT 1")
        [note] = cr.fetchone()
        cr.execute(
            """INSERT INTO mail_message (model, res_id, message_type, subtype_id, body, date, author_id,
                                         create_date, write_date)
               SELECT 'res.partner', %s, CASE WHEN n %% 5 = 0 THEN 'email' ELSE 'comment' END, %s,
                      '<p>Entry ' || n || ' about the offer</p>', now() - (n || ' minutes')::interval, 3, now(), now()
                 FROM generate_series(1, %s) n""",
            [client, note, ENTRIES],
        )
        cr.execute("ANALYZE res_partner; ANALYZE mail_message")
    return client


def start(replica):
    port = free_port()
    log_name = f"bench-replica-server-{'replica' if replica else 'primary'}.log"
    log = open(LOGS / log_name, "w")  # noqa: SIM115
    options = ["--db_replica_host", replica.host, "--db_replica_port", str(replica.port)] if replica else []
    process = subprocess.Popen(
        [
            sys.executable,
            str(ODOO_BIN),
            "-c",
            CONFIG,
            "-d",
            DB,
            "--db-filter",
            f"^{DB}$",
            "--http-port",
            str(port),
            "--workers",
            "4",
            "--max-cron-threads",
            "0",
            "--limit-time-real",
            "600",
            "--limit-time-cpu",
            "600",
            "--log-level",
            "warn",
            *options,
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    proxy = xmlrpc.client.ServerProxy(f"http://127.0.0.1:{port}/xmlrpc/2/common")
    deadline = time.monotonic() + 120
    while True:
        try:
            proxy.version()
            return {"port": port, "process": process, "log": log}
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit(f"the benchmark server did not start, see .local/logs/{log_name}") from None
            time.sleep(0.5)


def stop(server):
    os.killpg(server["process"].pid, 15)
    server["process"].wait(60)
    server["log"].close()


def xmlrpc_session(port):
    uid = xmlrpc.client.ServerProxy(f"http://127.0.0.1:{port}/xmlrpc/2/common").authenticate(DB, "admin", "admin", {})
    models = xmlrpc.client.ServerProxy(f"http://127.0.0.1:{port}/xmlrpc/2/object")
    return lambda model, method, *args, **kw: models.execute_kw(DB, uid, "admin", model, method, list(args), kw)


class WebSession:
    def __init__(self, port):
        self.url = f"http://127.0.0.1:{port}"
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        self.post("/web/session/authenticate", {"db": DB, "login": "admin", "password": "admin"})

    def post(self, path, params):
        body = json.dumps({"jsonrpc": "2.0", "method": "call", "params": params}).encode()
        request = urllib.request.Request(self.url + path, body, {"Content-Type": "application/json"})
        with self.opener.open(request, timeout=600) as response:
            answer = json.load(response)
        if "error" in answer:
            raise RuntimeError(answer["error"]["data"]["message"])
        return answer["result"]

    def call(self, model, method, *args, **kwargs):
        params = {"model": model, "method": method, "args": list(args), "kwargs": kwargs}
        return self.post(f"/web/dataset/call_kw/{model}/{method}", params)


def cpu_seconds(data_directory):
    """CPU time of a PostgreSQL server: its postmaster, the children it reaped, and the
    ones still running (backends, WAL sender or receiver, startup process)."""
    postmaster = int(Path(data_directory, "postmaster.pid").read_text().split()[0])
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(stat.parent.name), int(fields[1])
        if pid == postmaster:
            total += sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
        elif ppid == postmaster:
            total += int(fields[11]) + int(fields[12])
    return total / TICKS


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] if ordered else float("nan")


def reader(session, kind, client, results, done):
    while not done.is_set():
        started = time.perf_counter()
        try:
            if kind == "duplicates":
                session.call("res.partner", "client_find_duplicates")
            else:
                offset = random.randrange(0, 2_000)
                session.call("res.partner", "client_timeline_read", [client], offset=offset, limit=40)
        except Exception as exc:  # noqa: BLE001 - counted and reported
            results["errors"].append(f"{kind}: {exc}")
            continue
        results[kind].append(time.perf_counter() - started)


def writer(call, tag, results, done):
    n = 0
    while not done.is_set():
        batch = [
            {
                "external_ref": f"BENCH-{tag}-{n + i}",
                "name": f"Upserted {tag}-{n + i}",
                "email": f"u-{tag}-{n + i}@x.pl",
            }
            for i in range(BATCH)
        ]
        n += BATCH
        started = time.perf_counter()
        try:
            errors = [answer["error"] for answer in call("res.partner", "client_upsert", batch) if "error" in answer]
        except Exception as exc:  # noqa: BLE001 - counted and reported
            errors = [exc]
        if errors:
            results["errors"].append(f"upsert: {errors[0]}")
            continue
        results["upsert"].append(time.perf_counter() - started)


def run(label, replica, client, primary_data):
    """One timed run, a phase per kind of read; {kind: figures}."""
    server = start(replica)
    replica_data = replica.folder / "data" if replica else None
    figures = {}
    try:
        sessions = [WebSession(server["port"]) for _ in range(max(readers for readers, _seconds in PHASES.values()))]
        writers = [xmlrpc_session(server["port"]) for _ in range(WRITERS)]
        # warm up: every session's first call, and the caches of both servers
        for session in sessions:
            session.call("res.partner", "client_timeline_read", [client], limit=40)
        sessions[0].call("res.partner", "client_find_duplicates")
        for kind, (readers, seconds) in PHASES.items():
            results = {kind: [], "upsert": [], "errors": []}
            done = threading.Event()
            cpu_before = cpu_seconds(primary_data), cpu_seconds(replica_data) if replica else 0.0
            threads = [
                threading.Thread(target=reader, args=(session, kind, client, results, done))
                for session in sessions[:readers]
            ]
            threads += [
                threading.Thread(target=writer, args=(w, f"{label}-{kind}-{i}", results, done))
                for i, w in enumerate(writers)
            ]
            started = time.monotonic()
            for thread in threads:
                thread.start()
            time.sleep(seconds)
            done.set()
            for thread in threads:
                thread.join(600)
            elapsed = time.monotonic() - started
            cpu_after = cpu_seconds(primary_data), cpu_seconds(replica_data) if replica else 0.0
            figures[kind] = {
                "reads": len(results[kind]),
                "upserted": len(results["upsert"]) * BATCH,
                "upserts_per_s": len(results["upsert"]) * BATCH / elapsed,
                "primary_cpu": cpu_after[0] - cpu_before[0],
                "replica_cpu": cpu_after[1] - cpu_before[1],
                "errors": results["errors"],
            }
            if kind == "upserts":
                per_upsert = figures[kind]["primary_cpu"] / max(figures[kind]["upserted"], 1)
            else:
                figures[kind]["reads_cpu"] = max(
                    figures[kind]["primary_cpu"] - figures[kind]["upserted"] * per_upsert, 0.0
                )
            report(f"{label}, {kind}", replica, kind, readers, results, figures[kind], elapsed)
    finally:
        stop(server)
    return figures


def report(label, replica, kind, readers, results, figures, elapsed):
    print(f"== {label}: {elapsed:.0f} s, {readers} readers, {WRITERS} writers")
    for name in (kind, "upsert") if kind in READS else ("upsert",):
        times = results[name]
        if not times:
            print(f"   {name:10s}: no call completed")
            continue
        rate = len(times) * (BATCH if name == "upsert" else 1) / elapsed
        unit = "clients upserted" if name == "upsert" else "calls"
        print(
            f"   {name:10s}: {len(times):5d} calls, {rate:7.1f} {unit}/s, "
            f"median {statistics.median(times) * 1000:7.1f} ms, p95 {percentile(times, 0.95) * 1000:7.1f} ms"
        )
    print(
        f"   PostgreSQL CPU: primary {figures['primary_cpu']:.1f} s"
        + (f", replica {figures['replica_cpu']:.1f} s" if replica else "")
        + (
            f"; primary CPU per read (upserts' share taken off) {per_read(figures) * 1000:.1f} ms"
            if kind in READS
            else f"; per client upserted {figures['primary_cpu'] / max(figures['upserted'], 1) * 1000:.1f} ms"
        )
    )
    if results["errors"]:
        print(f"   {len(results['errors'])} failed calls, first: {results['errors'][0]}")


def per_read(figures):
    return figures["reads_cpu"] / max(figures["reads"], 1)


def main():
    client = prepare()
    import psycopg2

    with psycopg2.connect(dbname=DB) as conn, conn.cursor() as cr:
        cr.execute("SHOW data_directory")
        [primary_data] = cr.fetchone()
    alone = run("primary", None, client, primary_data)
    print("making a streaming replica of the cluster (pg_basebackup)...", flush=True)
    started = time.monotonic()
    replica = Replica().start()
    print(f"replica on port {replica.port} in {time.monotonic() - started:.0f} s")
    try:
        with_replica = run("replica", replica, client, primary_data)
    finally:
        replica.stop()
    ratios = {
        kind: per_read(with_replica[kind]) / per_read(alone[kind]) if per_read(alone[kind]) else float("inf")
        for kind in READS
    }
    upsert_ratio = min(
        with_replica[kind]["upserts_per_s"] / alone[kind]["upserts_per_s"] if alone[kind]["upserts_per_s"] else 0.0
        for kind in READS
    )
    print(
        "primary CPU per read with the replica / without: "
        + ", ".join(f"{kind} {ratio:.2f}" for kind, ratio in ratios.items())
        + f" (goal for timeline <= {CPU_GOAL}); upserts per second with / without: {upsert_ratio:.2f} "
        f"(goal >= {UPSERT_GOAL})"
    )
    errors = [
        error
        for figures_by_kind in (alone, with_replica)
        for figures in figures_by_kind.values()
        for error in figures["errors"]
    ]
    if errors or ratios["timeline"] > CPU_GOAL or upsert_ratio < UPSERT_GOAL:
        print("GOAL MISSED")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
