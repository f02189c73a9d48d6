"""Benchmark: create 10,000 clients over XML-RPC in batches of 500, in a database with
crm_clients and in one with only `contacts`, in the same run and on the same server.

Prints the times and the ratio; exits non-zero when the ratio is above the goal (1.15).
Five rounds alternate between the two databases (plain, then crm_clients, five times), each
round with the same payload in both (only the round number in names, emails and NIPs
differs). The ratio is of the median rounds: a best round would hide how slow a create
usually is, and a passing hiccup of the 2-core machine (another process) moves one round,
not the median. Each round's ratio to the plain round just before it is printed too.

``CRM_BENCH_CREATE_DB_PREFIX`` (default ``crm_bench``) names the two databases
(``<prefix>_plain``, ``<prefix>_clients``): they are dropped and installed again.
"""

import os
import socket
import statistics
import sys
import time

from common import Server
from common import fresh_database
from common import valid_nip

GOAL = 1.15
TOTAL, BATCH, ROUNDS = 10_000, 500, 5
PREFIX = os.environ.get("CRM_BENCH_CREATE_DB_PREFIX", "crm_bench")
DATABASES = {"plain": (f"{PREFIX}_plain", "contacts"), "crm_clients": (f"{PREFIX}_clients", "crm_clients")}


def payload(call, round_no):
    poland = call("res.country", "search", [("code", "=", "PL")])[0]
    return [
        {
            "name": f"Bench Client {round_no}-{i}",
            "is_company": True,
            "email": f"client{round_no}-{i}@example.com",
            "phone": f"+48 22 {i:07d}",
            "street": f"ul. Testowa {i}",
            "city": "Warszawa",
            "zip": "00-001",
            "country_id": poland,
            "vat": valid_nip(round_no * TOTAL + i),
        }
        for i in range(TOTAL)
    ]


def run_round(call, records):
    start = time.perf_counter()
    for offset in range(0, len(records), BATCH):
        call("res.partner", "create", records[offset : offset + BATCH])
    return time.perf_counter() - start


def main():
    for db, modules in DATABASES.values():
        print(f"installing {modules} in {db}...", flush=True)
        fresh_database(db, modules)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = Server(port)
    try:
        sessions = {label: server.session(db) for label, (db, _modules) in DATABASES.items()}
        # Warm-up: load registries and caches outside the measure.
        for call in sessions.values():
            call("res.partner", "create", [{"name": "warm-up"}])
        times = {label: [] for label in sessions}
        for round_no in range(ROUNDS):
            for label, call in sessions.items():
                elapsed = run_round(call, payload(call, round_no))
                times[label].append(elapsed)
                print(
                    f"round {round_no + 1} {label:12s} {TOTAL} clients in {elapsed:6.2f} s "
                    f"({TOTAL / elapsed:6.0f}/s)",
                    flush=True,
                )
            print(f"round {round_no + 1} ratio {times['crm_clients'][-1] / times['plain'][-1]:.3f}", flush=True)
        clients = sessions["crm_clients"]
        numbered = clients(
            "res.partner", "search_count", [("client_number", "!=", False), ("name", "like", "Bench Client")]
        )
        assert numbered == TOTAL * ROUNDS, f"{numbered} clients got a number"
    finally:
        server.stop()
    median = {label: statistics.median(values) for label, values in times.items()}
    ratio = median["crm_clients"] / median["plain"]
    print(
        f"create 10,000 clients over XML-RPC, batches of {BATCH}, median of {ROUNDS} alternating rounds: "
        f"plain {median['plain']:.2f} s, crm_clients {median['crm_clients']:.2f} s, ratio {ratio:.3f} "
        f"(goal <= {GOAL}; rounds: plain {', '.join(f'{t:.2f}' for t in times['plain'])}; "
        f"crm_clients {', '.join(f'{t:.2f}' for t in times['crm_clients'])})"
    )
    if ratio > GOAL:
        print("GOAL MISSED")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
