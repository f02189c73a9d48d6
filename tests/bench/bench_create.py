"""Benchmark: create 10,000 clients over XML-RPC in batches of 500, in a database with
crm_clients and in one with only `contacts`, in the same run and on the same server.

Prints the times and the ratio; exits non-zero when the ratio is above the goal (1.25).
Rounds alternate between the two databases and the best round of each counts, so that a
passing hiccup of the machine does not decide the result.
"""

import socket
import sys
import time

from common import Server
from common import fresh_database
from common import valid_nip

GOAL = 1.25
TOTAL, BATCH, ROUNDS = 10_000, 500, 3
DATABASES = {"plain": ("crm_bench_plain", "contacts"), "crm_clients": ("crm_bench_clients", "crm_clients")}


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
        best = {label: float("inf") for label in sessions}
        for round_no in range(ROUNDS):
            for label, call in sessions.items():
                elapsed = run_round(call, payload(call, round_no))
                best[label] = min(best[label], elapsed)
                print(
                    f"round {round_no + 1} {label:12s} {TOTAL} clients in {elapsed:6.2f} s "
                    f"({TOTAL / elapsed:6.0f}/s)",
                    flush=True,
                )
        clients = sessions["crm_clients"]
        numbered = clients(
            "res.partner", "search_count", [("client_number", "!=", False), ("name", "like", "Bench Client")]
        )
        assert numbered == TOTAL * ROUNDS, f"{numbered} clients got a number"
    finally:
        server.stop()
    ratio = best["crm_clients"] / best["plain"]
    print(
        f"create 10,000 clients over XML-RPC, batches of {BATCH}: plain {best['plain']:.2f} s, "
        f"crm_clients {best['crm_clients']:.2f} s, ratio {ratio:.3f} (goal <= {GOAL})"
    )
    if ratio > GOAL:
        print("GOAL MISSED")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
