"""Benchmark (robustness): thousands of fuzzed requests against a live server, in a
database with crm_clients.

1. The HTTP API (POST /crm_clients/api/v1/clients/upsert) with raw bodies of any shape,
   as an administrator, an integrator of one company and an employee without rights.
2. client_upsert over JSON-RPC with records of any type (NaN, huge integers, unpaired
   surrogates included).

Goal: every invariant of tests/bench/fuzz_http.py holds for every example (JSON answers,
one result per record or a 4xx, nothing unnamed changes, no error in the server log).
`make test` runs the same checks with a few hundred derandomized examples; here the seed
changes each run (printed; CRM_BENCH_FUZZ_SEED replays one) and CRM_BENCH_FUZZ_EXAMPLES
sets the number of examples per part (default 3,000). CRM_BENCH_FUZZ_TEMPLATE names a
database with crm_clients to copy instead of installing a fresh one.
"""

import collections
import os
import random
import subprocess
import sys
import time
import xmlrpc.client

import fuzz_http
from common import CONFIG
from common import LOGS
from common import ODOO_BIN
from common import free_port
from common import fresh_database
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import seed
from hypothesis import settings
from hypothesis import strategies as st

DB = "crm_bench_fuzz"
EXAMPLES = int(os.environ.get("CRM_BENCH_FUZZ_EXAMPLES", "3000"))
SEED = int(os.environ.get("CRM_BENCH_FUZZ_SEED") or random.randrange(2**32))
TEMPLATE = os.environ.get("CRM_BENCH_FUZZ_TEMPLATE")


def start_server(port):
    """A threaded server serving only the fuzzed database (the HTTP API needs to know it)."""
    LOGS.mkdir(parents=True, exist_ok=True)
    log_path = LOGS / "bench-fuzz-server.log"
    log = open(log_path, "w")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        [sys.executable, str(ODOO_BIN), "-c", CONFIG, "-d", DB, "--db-filter", f"^{DB}$",
         "--http-port", str(port), "--workers", "0", "--max-cron-threads", "0", "--log-level", "info"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    proxy = xmlrpc.client.ServerProxy(f"http://127.0.0.1:{port}/xmlrpc/2/common")
    deadline = time.monotonic() + 120
    while True:
        try:
            proxy.version()
            return process, log_path
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise SystemExit(f"the benchmark server did not start, see {log_path}") from None
            time.sleep(0.5)


def main():
    if TEMPLATE:
        print(f"copying {TEMPLATE} to {DB}...", flush=True)
        subprocess.run(["dropdb", "--if-exists", "--force", DB], check=False, capture_output=True)
        subprocess.run(["createdb", "-T", TEMPLATE, DB], check=True)
    else:
        print(f"installing crm_clients in {DB}...", flush=True)
        fresh_database(DB, "crm_clients")
    port = free_port()
    process, log_path = start_server(port)
    failures = []
    try:
        setup = fuzz_http.prepare(DB, CONFIG, ODOO_BIN)
        checker = fuzz_http.Checker(f"http://127.0.0.1:{port}", DB, setup, log_path)
        strategies = fuzz_http.load_strategies()
        users = st.sampled_from(["admin", "admin", "integrator", "reader"])
        options = settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
        )
        print(f"seed {SEED} (CRM_BENCH_FUZZ_SEED={SEED} replays this run), {EXAMPLES} examples per part", flush=True)
        statuses = collections.Counter()

        @seed(SEED)
        @options
        @given(body=strategies.http_bodies(setup["ids"]), user=users)
        def http_api(body, user):
            statuses[checker.check_http(body, user)] += 1

        @seed(SEED)
        @options
        @given(
            records=st.one_of(strategies.calls(setup["ids"], max_records=8), strategies.any_values(setup["ids"])),
            user=users,
        )
        def json_rpc(records, user):
            statuses["json-rpc"] += 1
            checker.check_jsonrpc(records, user)

        for name, part in (("HTTP API", http_api), ("client_upsert over JSON-RPC", json_rpc)):
            start = time.perf_counter()
            try:
                part()
            except Exception as exc:  # noqa: BLE001 - Hypothesis printed the falsifying example
                print(f"{name}: FAILED: {exc}", flush=True)
                failures.append(name)
            elapsed = time.perf_counter() - start
            print(f"{name}: {elapsed:.1f} s, answers so far: {dict(sorted(statuses.items(), key=str))}", flush=True)
        checker.close()
    finally:
        process.terminate()
        process.wait(30)
    for failure in failures:
        print(f"GOAL MISSED: {failure} (seed {SEED})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
