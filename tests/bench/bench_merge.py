"""Benchmark: merging 20 sources, each with 500 messages and 20 contacts, into one target
with client_merge (the field values chosen, every row recorded for an undo), and the same
volume with Odoo's own merge wizard (3 partners at a time), in the same run; then the undo
of the 20-source merge (client_merge_undo), checked to put every message and contact
back. Goals: client_merge is not slower than the core wizard; its undo neither.

Then the whole-database clean-up: two databases of 100,000 partners made the same way
(tests/install/existing_partners.py), one with crm_clients installed over them and one
with plain Odoo (`contacts`), each given the same duplicate groups (two companies, a
contact and five messages each); ours merged in the background (client_merge_duplicates
and its scheduled action), plain Odoo's with its merge wizard, one group a call, as its
"Deduplicate Contacts" screen does. Every message and contact is counted before and
after. Goal: at least 10x faster than plain Odoo's wizard.
CRM_BENCH_MERGE_GROUPS sets the number of groups (default 4,000, as in issue 18).
"""

import os
import subprocess
import sys
import time
from pathlib import Path

from common import CONFIG
from common import ODOO_BIN
from common import Server
from common import free_port
from common import fresh_database
from common import odoo

DB = "crm_bench_merge"
PLAIN_DB = "crm_bench_merge_plain"
SOURCES, MESSAGES, CONTACTS = 20, 500, 20
# The background clean-up: groups of two duplicates, each with a few messages and a
# contact, among PARTNERS partners; the same groups for plain Odoo's wizard.
PARTNERS = 100_000
GROUPS, GROUP_MESSAGES = int(os.environ.get("CRM_BENCH_MERGE_GROUPS", "4000")), 5

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

# The same duplicate groups, in either database.
GROUPS_PREPARE = f"""
Partner = env['res.partner']
pairs = Partner.create([{{'name': f'Dup {{i}}{{c}}', 'is_company': True}} for i in range({GROUPS}) for c in 'ab'])
Partner.create([{{'name': f'Dup contact {{p.id}}', 'parent_id': p.id}} for p in pairs])
env['mail.message'].create([
    {{'model': 'res.partner', 'res_id': p.id, 'body': f'Dup message {{k}}', 'message_type': 'comment'}}
    for p in pairs for k in range({GROUP_MESSAGES})
])
env.cr.commit()
print('IDS=' + repr([pairs[i : i + 2].ids for i in range(0, len(pairs), 2)]))
"""


def counts(call, ids):
    messages = call("mail.message", "search_count", [("model", "=", "res.partner"), ("res_id", "in", ids)])
    contacts = call("res.partner", "search_count", [("parent_id", "in", ids)])
    return messages, contacts


def run_shell(db, script):
    output = subprocess.run(
        [sys.executable, str(ODOO_BIN), "shell", "-c", CONFIG, "-d", db, "--no-http", "--log-level", "warn"],
        input=script,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return eval(next(line for line in output.splitlines() if line.startswith("IDS="))[4:])


def background(call, groups):
    """Merge ``groups`` in the background; the messages and contacts of every group end
    up on its kept client (and each merge logs one message there)."""
    ids = [i for group in groups for i in group]
    before = counts(call, ids)
    start = time.perf_counter()
    run_id = call("res.partner", "client_merge_duplicates", groups)["run_id"]
    [xmlid] = call(
        "ir.model.data",
        "search_read",
        [("module", "=", "crm_clients"), ("name", "=", "ir_cron_crm_client_duplicate_run")],
        ["res_id"],
    )
    while call("crm.client.duplicate.run", "read", [run_id], ["state"])[0]["state"] != "done":
        call("ir.cron", "method_direct_trigger", [xmlid["res_id"]])
    elapsed = time.perf_counter() - start
    [run] = call("crm.client.duplicate.run", "read", [run_id], ["merged_count", "failed_count"])
    assert (run["merged_count"], run["failed_count"]) == (len(groups), 0), run
    assert counts(call, ids) == (before[0] + len(groups), before[1]), (counts(call, ids), before)
    return elapsed


def plain_wizard(call, groups):
    """Merge ``groups`` with plain Odoo's wizard, one group a call; nothing is lost."""
    ids = [i for group in groups for i in group]
    before = counts(call, ids)
    start = time.perf_counter()
    for group in groups:
        wizard_id = call(
            "base.partner.merge.automatic.wizard",
            "create",
            {"partner_ids": [(6, 0, group)], "dst_partner_id": group[0]},
        )
        call("base.partner.merge.automatic.wizard", "action_merge", [wizard_id])
    elapsed = time.perf_counter() - start
    after = counts(call, ids)
    assert after[0] >= before[0] and after[1] == before[1], (after, before)
    return elapsed


def partners_database(name, modules):
    """``modules`` installed over PARTNERS partners made by SQL (plain Odoo first: the
    partners exist before crm_clients, as in a live database)."""
    fresh_database(name, "contacts")
    fill = Path(__file__).resolve().parents[1] / "install" / "existing_partners.py"
    subprocess.run([sys.executable, str(fill), name, str(PARTNERS)], check=True, capture_output=True)
    if modules != "contacts" and odoo(
        "-d", name, "-i", modules, "--stop-after-init", "--log-level", "warn", log_name=f"bench-install-{name}.log"
    ):
        raise SystemExit(f"installing {modules} in {name} failed, see .local/logs/bench-install-{name}.log")


def main():
    print(f"{PARTNERS:,} partners with crm_clients in {DB}, with plain Odoo in {PLAIN_DB}...", flush=True)
    partners_database(DB, "crm_clients")
    partners_database(PLAIN_DB, "contacts")
    [(ours_target, ours_sources), (core_target, core_sources)] = run_shell(DB, PREPARE)
    print(f"{GROUPS:,} duplicate groups in each...", flush=True)
    ours_groups = run_shell(DB, GROUPS_PREPARE)
    plain_groups = run_shell(PLAIN_DB, GROUPS_PREPARE)
    server = Server(free_port())
    try:
        call = server.session(DB)
        start = time.perf_counter()
        result = call("res.partner", "client_merge", ours_sources, ours_target, {"name": ours_sources[3]})
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
        start = time.perf_counter()
        undone = call("res.partner", "client_merge_undo", result["merge_id"])
        t_undo = time.perf_counter() - start
        assert undone["restored_ids"] == ours_sources
        for source in ours_sources:
            back = call("mail.message", "search_count", [("model", "=", "res.partner"), ("res_id", "=", source)])
            people = call("res.partner", "search_count", [("parent_id", "=", source)])
            assert back >= MESSAGES and people == CONTACTS, (source, back, people)
        assert call("res.partner", "search_count", [("parent_id", "=", ours_target)]) == 0
        t_background = background(call, ours_groups)
        t_wizard = plain_wizard(server.session(PLAIN_DB), plain_groups)
    finally:
        server.stop()
    print(f"client_merge: {SOURCES} sources x ({MESSAGES} messages, {CONTACTS} contacts) in one call: {t_ours:.2f} s")
    print(f"core wizard, 3 partners at a time, same volume: {t_core:.2f} s; ratio {t_ours / t_core:.2f} (goal <= 1.0)")
    print(
        f"client_merge_undo of that merge: {t_undo:.2f} s, every message and contact back on its source "
        f"(goal <= the core wizard's merge: ratio {t_undo / t_core:.2f})"
    )
    print(
        f"background merge of {GROUPS:,} groups among {PARTNERS:,} clients (client_merge_duplicates + its scheduled "
        f"action): {t_background:.2f} s ({t_background / GROUPS * 1000:.0f} ms a group); plain Odoo's wizard, one "
        f"group a call, among {PARTNERS:,} partners: {t_wizard:.2f} s ({t_wizard / GROUPS * 1000:.0f} ms a group); "
        f"{t_wizard / t_background:.1f}x faster; every message and contact kept (goal >= 10x)"
    )
    if t_ours > t_core or t_undo > t_core or t_wizard / t_background < 10:
        print("GOAL MISSED")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
