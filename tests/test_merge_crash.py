"""A merge killed in the middle (the server process dies) leaves the database exactly as
it was: the merge is one transaction. Shown against a running multi-worker server."""

import os
import signal
import subprocess
import sys
import threading
import time

import psycopg2

from .conftest import CONFIG
from .conftest import ODOO_BIN
from .conftest import start_server

SOURCES, MESSAGES, CONTACTS = 20, 400, 10

PREPARE = f"""
Partner = env['res.partner']
target = Partner.create({{'name': 'Crash Target', 'is_company': True}})
sources = Partner.create([{{'name': f'Crash Source {{i}}', 'is_company': True}} for i in range({SOURCES})])
Partner.create([{{'name': f'Crash Contact {{s.id}} {{j}}', 'parent_id': s.id}} for s in sources for j in range({CONTACTS})])
env['mail.message'].create([
    {{'model': 'res.partner', 'res_id': s.id, 'body': f'Message {{k}}', 'message_type': 'comment'}}
    for s in sources for k in range({MESSAGES})
])
env.cr.commit()
print('IDS=' + repr((target.id, sources.ids)))
"""


def snapshot(db, target, sources):
    with psycopg2.connect(dbname=db) as conn, conn.cursor() as cr:
        cr.execute("SELECT count(*) FROM res_partner WHERE id IN %s", [tuple(sources)])
        alive = cr.fetchone()[0]
        cr.execute(
            "SELECT res_id, count(*) FROM mail_message WHERE model = 'res.partner' AND res_id IN %s GROUP BY res_id ORDER BY res_id",
            [(target, *sources)],
        )
        messages = cr.fetchall()
        cr.execute(
            "SELECT parent_id, count(*) FROM res_partner WHERE parent_id IN %s GROUP BY parent_id ORDER BY parent_id",
            [(target, *sources)],
        )
        contacts = cr.fetchall()
    return alive, messages, contacts


def test_a_merge_killed_midway_changes_nothing(live_odoo):
    db = live_odoo.db
    output = subprocess.run(
        [sys.executable, str(ODOO_BIN), "shell", "-c", CONFIG, "-d", db, "--no-http", "--log-level", "warn"],
        input=PREPARE,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout
    target, sources = eval(next(line for line in output.splitlines() if line.startswith("IDS="))[4:])
    before = snapshot(db, target, sources)
    assert before[0] == SOURCES

    server = start_server(db, workers=2, new_session=True)
    admin = server.login("admin", "admin")
    outcome = []
    thread = threading.Thread(target=lambda: outcome.append(_call(admin, sources, target)), daemon=True)
    thread.start()
    # Wait until the merge is writing, then kill the whole server (master and workers).
    deadline, seen = time.monotonic() + 60, False
    while time.monotonic() < deadline and not seen:
        with psycopg2.connect(dbname=db) as conn, conn.cursor() as cr:
            cr.execute(
                "SELECT 1 FROM pg_stat_activity WHERE datname = %s AND state = 'active' "
                "AND query ILIKE ANY (ARRAY['%%UPDATE%%', '%%DELETE%%', '%%INSERT%%']) AND pid != pg_backend_pid()",
                [db],
            )
            seen = bool(cr.rowcount)
        time.sleep(0.005)
    os.killpg(server.process.pid, signal.SIGKILL)
    server.process.wait(30)
    thread.join(30)
    assert seen, "the merge was caught while writing"
    assert outcome and isinstance(outcome[0], Exception), "the call did not complete"
    time.sleep(1)  # PostgreSQL ends the killed connections and rolls their transaction back
    assert snapshot(db, target, sources) == before


def _call(session, sources, target):
    try:
        return session.call("res.partner", "client_merge", sources, target)
    except Exception as exc:  # noqa: BLE001 - the server is killed on purpose
        return exc


def test_two_merges_of_the_same_source_at_once(live_odoo):
    """Two users merge the same source into two different clients at the same moment on
    a 2-worker server: one merge wins, the other is refused, and nothing is lost."""
    server = start_server(live_odoo.db, workers=2)
    try:
        admin = server.login("admin", "admin")
        made = admin.call(
            "res.partner",
            "client_upsert",
            [{"external_ref": f"RACE-{name}", "name": f"Race {name}", "is_company": True} for name in ("A", "B", "S")],
        )
        target_a, target_b, source = (r["id"] for r in made)
        admin.call("res.partner", "create", [{"name": f"Race contact {i}", "parent_id": source} for i in range(30)])
        for i in range(30):
            admin.call("res.partner", "message_post", [source], body=f"note {i}")
        barrier = threading.Barrier(2)
        outcomes = {}

        def merge(target):
            session = server.login("admin", "admin")
            barrier.wait(30)
            try:
                outcomes[target] = session.call("res.partner", "client_merge", [source], target)
            except Exception as exc:  # noqa: BLE001 - one of the two must be refused
                outcomes[target] = exc

        threads = [threading.Thread(target=merge, args=(t,)) for t in (target_a, target_b)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        winners = [t for t, outcome in outcomes.items() if isinstance(outcome, dict)]
        losers = [outcome for outcome in outcomes.values() if not isinstance(outcome, dict)]
        assert len(winners) == 1 and len(losers) == 1, outcomes
        assert "do not exist" in str(losers[0])
        [winner] = winners
        assert admin.call("res.partner", "search_count", [("id", "=", source)]) == 0
        assert admin.call("res.partner", "search_count", [("parent_id", "=", winner)]) == 30
        notes = admin.call(
            "mail.message",
            "search_count",
            [("model", "=", "res.partner"), ("res_id", "=", winner), ("body", "ilike", "note ")],
        )
        assert notes == 30
    finally:
        server.stop()
