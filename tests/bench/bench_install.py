"""Benchmark: install crm_clients into a database that already holds partners.

For each size (100,000 by default; ``CRM_BENCH_INSTALL_SIZES=100000,1000000`` adds the
million, which takes about half an hour in all, most of it Odoo's own `contacts` install):
- a database with `base` only gets that many partners by SQL (tests/install/
  existing_partners.py: emails and phones as people type them, Polish tax IDs, some
  invalid), as a company running Odoo for years would have;
- reference line: installing Odoo's `contacts` into it (timed);
- then installing `crm_clients` into that database (timed, with the peak memory of the
  installing process), and a check that every partner got its lines, every client its
  number and status, and that the Data Quality report was built.

Exits non-zero when an install takes longer than its goal or uses 2 GB or more.
"""

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg2
from common import CONFIG
from common import LOGS
from common import ODOO_BIN
from common import ROOT

sys.path.insert(0, str(ROOT / "tests" / "install"))
from existing_partners import fill

GOALS = {100_000: 3 * 60, 1_000_000: 30 * 60}  # seconds, for crm_clients
MEMORY_GOAL = 2 * 1024**3  # bytes, peak resident memory of the installing process
SIZES = [int(size) for size in os.environ.get("CRM_BENCH_INSTALL_SIZES", "100000").split(",") if size.strip()]
DB_BASE, DB_CONTACTS = "crm_bench_install_base", "crm_bench_install_contacts"


def dropdb(name):
    subprocess.run(["dropdb", "--if-exists", "--force", name], check=False, capture_output=True)


def install(db, modules, log_name):
    """Install ``modules`` in ``db``: (seconds, peak resident memory in bytes)."""
    LOGS.mkdir(parents=True, exist_ok=True)
    with open(LOGS / log_name, "w") as log:
        start = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, str(ODOO_BIN), "-c", CONFIG, "-d", db, "-i", modules, "--without-demo", "all",
             "--stop-after-init", "--log-level", "warn"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        _pid, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    text = Path(LOGS / log_name).read_text(errors="replace")
    if process.returncode or " ERROR " in text or " CRITICAL " in text:
        raise SystemExit(f"installing {modules} in {db} failed, see .local/logs/{log_name}")
    return elapsed, usage.ru_maxrss * 1024  # Linux reports kilobytes


def connect(db):
    """A connection closed on exit (psycopg2's own context manager only commits)."""
    return contextlib.closing(psycopg2.connect(dbname=db))


def query(db, sql):
    with connect(db) as conn, conn.cursor() as cr:
        cr.execute(sql)
        return cr.fetchone()


def check(db, size):
    """What every existing partner must have after the install."""
    missing_email, missing_phone, missing_mobile = query(
        db,
        """
        SELECT count(*) FILTER (WHERE btrim(p.email) <> ''
                                  AND NOT EXISTS (SELECT 1 FROM crm_client_email e WHERE e.partner_id = p.id)),
               count(*) FILTER (WHERE btrim(p.phone) <> ''
                                  AND NOT EXISTS (SELECT 1 FROM crm_client_phone l WHERE l.partner_id = p.id
                                                     AND l.is_primary)),
               count(*) FILTER (WHERE btrim(p.mobile) <> ''
                                  AND NOT EXISTS (SELECT 1 FROM crm_client_phone l WHERE l.partner_id = p.id))
          FROM res_partner p
        """,
    )
    clients, numbered, with_status = query(
        db,
        "SELECT count(*), count(client_number), count(client_status_id) FROM res_partner WHERE is_client",
    )
    (findings,) = query(db, "SELECT count(*) FROM crm_client_data_quality WHERE problem <> 'reformatted'")
    problems = []
    if missing_email or missing_phone or missing_mobile:
        problems.append(
            f"partners without lines: {missing_email} emails, {missing_phone} phones, {missing_mobile} mobiles"
        )
    if clients < size / 2 or numbered != clients or with_status != clients:
        problems.append(f"{clients} clients, {numbered} numbered, {with_status} with a status")
    if not findings:
        problems.append("the Data Quality report is empty")
    return problems, f"{clients} clients, {findings} findings"


def run_size(size):
    db_crm = f"crm_bench_install_{size}"
    for db in (DB_BASE, DB_CONTACTS, db_crm):
        dropdb(db)
    try:
        print(f"{size:,} partners: database with base...", flush=True)
        install(DB_BASE, "base", f"bench-install-{size}-base.log")
        start = time.perf_counter()
        with connect(DB_BASE) as conn, conn, conn.cursor() as cr:
            fill(cr, size, known=False)
        print(f"{size:,} partners: made by SQL in {time.perf_counter() - start:.0f} s", flush=True)
        subprocess.run(["createdb", "-T", DB_BASE, DB_CONTACTS], check=True)
        contacts_time, contacts_rss = install(DB_CONTACTS, "contacts", f"bench-install-{size}-contacts.log")
        print(
            f"{size:,} partners: contacts installed in {contacts_time:.0f} s, {contacts_rss / 1024**2:.0f} MB",
            flush=True,
        )
        subprocess.run(["createdb", "-T", DB_CONTACTS, db_crm], check=True)
        crm_time, crm_rss = install(db_crm, "crm_clients", f"bench-install-{size}-crm_clients.log")
        problems, summary = check(db_crm, size)
    finally:
        for db in (DB_BASE, DB_CONTACTS, db_crm):
            dropdb(db)
    goal = GOALS.get(size, GOALS[1_000_000] * size / 1_000_000)
    print(
        f"install into {size:,} existing partners: contacts (reference) {contacts_time:.0f} s "
        f"{contacts_rss / 1024**2:.0f} MB; crm_clients {crm_time:.0f} s (goal < {goal:.0f} s) "
        f"{crm_rss / 1024**2:.0f} MB (goal < {MEMORY_GOAL / 1024**2:.0f} MB); {summary}",
        flush=True,
    )
    if crm_time >= goal:
        problems.append(f"crm_clients took {crm_time:.0f} s")
    if crm_rss >= MEMORY_GOAL:
        problems.append(f"crm_clients used {crm_rss / 1024**2:.0f} MB")
    return problems


def main():
    failed = False
    for size in SIZES:
        problems = run_size(size)
        for problem in problems:
            print(f"GOAL MISSED ({size:,}): {problem}")
        failed = failed or bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
