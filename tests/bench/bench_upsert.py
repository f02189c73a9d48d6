"""Benchmark: client_upsert at integrator scale, in a database with crm_clients.

1. 10,000 new clients through client_upsert in batches of 500, versus plain `create` of
   the same data (other references) in the same run: goal ratio <= 1.3.
2. The same 10,000 again, unchanged: goal at least 3 times faster than the first run.
3. 4 parallel clients upserting the same 2,000 references on a 2-worker server: goal
   exactly 2,000 clients and no error.
"""

import sys
import threading
import time

from common import Server
from common import free_port
from common import fresh_database
from common import valid_nip
from common import varied_name

DB = "crm_bench_upsert"
TOTAL, BATCH = 10_000, 500
GOAL_RATIO, GOAL_SPEEDUP = 1.3, 3.0


def records(prefix, offset):
    return [
        {
            "external_ref": f"{prefix}-{i}",
            "name": varied_name(f"{prefix} {i}"),
            "is_company": True,
            "email": f"{prefix.lower()}{i}@example.com",
            "phone": f"+48 22 {i:07d}",
            "city": "Warszawa",
            "vat": valid_nip(offset + i),
        }
        for i in range(TOTAL)
    ]


def timed(call, method, payload):
    start = time.perf_counter()
    results = []
    for offset in range(0, len(payload), BATCH):
        answer = call("res.partner", method, payload[offset : offset + BATCH])
        if method == "client_upsert":
            results += answer
    return time.perf_counter() - start, results


def main():
    print(f"installing crm_clients in {DB}...", flush=True)
    fresh_database(DB, "crm_clients")
    server = Server(free_port(), workers=2)
    failures = []
    try:
        call = server.session(DB)
        poland = call("res.country", "search", [("code", "=", "PL")])[0]
        plain_payload = [{**r, "country_id": poland} for r in records("PLAIN", 0)]
        upsert_payload = [{**r, "country_code": "PL"} for r in records("UPS", TOTAL)]
        call("res.partner", "create", [{"name": "warm-up"}])
        t_create, _ = timed(call, "create", plain_payload)
        t_first, first = timed(call, "client_upsert", upsert_payload)
        t_second, second = timed(call, "client_upsert", upsert_payload)
        errors = [r for r in first + second if "error" in r]
        assert not errors, errors[:3]
        assert sum(r["created"] for r in first) == TOTAL and not any(r["created"] for r in second)
        ratio, speedup = t_first / t_create, t_first / t_second
        print(f"create      {TOTAL} clients: {t_create:6.2f} s ({TOTAL / t_create:5.0f}/s)")
        print(
            f"upsert new  {TOTAL} clients: {t_first:6.2f} s ({TOTAL / t_first:5.0f}/s)  ratio {ratio:.2f} (goal <= {GOAL_RATIO})"
        )
        print(
            f"upsert same {TOTAL} clients: {t_second:6.2f} s ({TOTAL / t_second:5.0f}/s)  {speedup:.1f}x faster (goal >= {GOAL_SPEEDUP})"
        )
        if ratio > GOAL_RATIO:
            failures.append("upsert of new clients too slow")
        if speedup < GOAL_SPEEDUP:
            failures.append("unchanged upsert not fast enough")

        refs = [f"PAR-{i}" for i in range(2000)]
        outcome, crashed = [], []

        def worker():
            own = server.session(DB)
            for offset in range(0, len(refs), BATCH):
                try:
                    outcome.extend(
                        own(
                            "res.partner",
                            "client_upsert",
                            [{"external_ref": r, "name": f"Parallel {r}"} for r in refs[offset : offset + BATCH]],
                        )
                    )
                except Exception as exc:  # noqa: BLE001 - counted as a failure
                    crashed.append(exc)

        start = time.perf_counter()
        threads = [threading.Thread(target=worker) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(900)
        elapsed = time.perf_counter() - start
        count = call("res.partner", "search_count", [("external_ref", "like", "PAR-%")])
        bad = [r for r in outcome if "error" in r]
        print(
            f"4 parallel upserts of the same 2,000 references: {count} clients, {len(bad) + len(crashed)} errors, {elapsed:.1f} s"
        )
        if count != 2000 or bad or crashed:
            failures.append("parallel upserts")
    finally:
        server.stop()
    for failure in failures:
        print(f"GOAL MISSED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
