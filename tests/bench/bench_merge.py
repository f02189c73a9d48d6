"""Benchmark: merging 20 sources, each with 500 messages and 20 contacts, into one target
with client_merge, and the same volume with Odoo's own merge wizard (3 partners at a time),
in the same run. Goal: client_merge is not slower than the core wizard."""

import subprocess
import sys
import time

from common import CONFIG
from common import ODOO_BIN
from common import Server
from common import free_port
from common import fresh_database

DB = "crm_bench_merge"
SOURCES, MESSAGES, CONTACTS = 20, 500, 20

PREPARE = f"""
Partner = env['res.partner']
out = []
for label in ('ours', 'core'):
    target = Partner.create({{'name': 'Target ' + label, 'is_company': True}})
    sources = Partner.create([{{'name': f'Source {{label}} {{i}}', 'is_company': True}} for i in range({SOURCES})])
    Partner.create([{{'name': f'Contact {{s.id}} {{j}}', 'parent_id': s.id}} for s in sources for j in range({CONTACTS})])
    env['mail.message'].create([
        {{'model': 'res.partner', 'res_id': s.id, 'body': f'Message {{k}}', 'message_type': 'comment'}}
        for s in sources for k in range({MESSAGES})
    ])
    out.append((target.id, sources.ids))
env.cr.commit()
print('IDS=' + repr(out))
"""


def main():
    print(f"installing crm_clients in {DB}...", flush=True)
    fresh_database(DB, "crm_clients")
    output = subprocess.run(
        [sys.executable, str(ODOO_BIN), "shell", "-c", CONFIG, "-d", DB, "--no-http", "--log-level", "warn"],
        input=PREPARE,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    [(ours_target, ours_sources), (core_target, core_sources)] = eval(
        next(line for line in output.splitlines() if line.startswith("IDS="))[4:]
    )
    server = Server(free_port())
    try:
        call = server.session(DB)
        start = time.perf_counter()
        result = call("res.partner", "client_merge", ours_sources, ours_target)
        t_ours = time.perf_counter() - start
        start = time.perf_counter()
        for offset in range(0, len(core_sources), 2):
            group = core_sources[offset : offset + 2]
            wizard = call(
                "base.partner.merge.automatic.wizard",
                "create",
                {"partner_ids": [(6, 0, [core_target, *group])], "dst_partner_id": core_target},
            )
            call("base.partner.merge.automatic.wizard", "action_merge", [wizard])
        t_core = time.perf_counter() - start
        moved = call("mail.message", "search_count", [("model", "=", "res.partner"), ("res_id", "=", ours_target)])
        contacts = call("res.partner", "search_count", [("parent_id", "=", ours_target)])
        assert moved >= SOURCES * MESSAGES and contacts == SOURCES * CONTACTS, (moved, contacts)
        assert result["merged_ids"] == ours_sources
    finally:
        server.stop()
    print(f"client_merge: {SOURCES} sources x ({MESSAGES} messages, {CONTACTS} contacts) in one call: {t_ours:.2f} s")
    print(f"core wizard, 3 partners at a time, same volume: {t_core:.2f} s; ratio {t_ours / t_core:.2f} (goal <= 1.0)")
    if t_ours > t_core:
        print("GOAL MISSED")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
