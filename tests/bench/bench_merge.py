"""Benchmark: merging 20 sources, each with 500 messages and 20 contacts, into one target
with client_merge (the field values chosen, every row recorded for an undo), and the same
volume with Odoo's own merge wizard (3 partners at a time), in the same run; then the undo
of the 20-source merge (client_merge_undo), checked to put every message and contact
back. Goals: client_merge is not slower than the core wizard; its undo neither."""

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
# The background clean-up: groups of two duplicates, each source with a few messages and
# a contact; the same groups (in number and volume) for Odoo's wizard, one group a call.
GROUPS, GROUP_MESSAGES = 200, 5

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
groups = []
for label in ('ours', 'core'):
    pairs = Partner.create([{{'name': f'Dup {{label}} {{i}}{{c}}', 'is_company': True}} for i in range({GROUPS}) for c in 'ab'])
    Partner.create([{{'name': f'Dup contact {{p.id}}', 'parent_id': p.id}} for p in pairs])
    env['mail.message'].create([
        {{'model': 'res.partner', 'res_id': p.id, 'body': f'Dup message {{k}}', 'message_type': 'comment'}}
        for p in pairs for k in range({GROUP_MESSAGES})
    ])
    groups.append([pairs[i : i + 2].ids for i in range(0, len(pairs), 2)])
out.append(groups)
env.cr.commit()
print('IDS=' + repr(out))
"""


def counts(call, ids):
    messages = call("mail.message", "search_count", [("model", "=", "res.partner"), ("res_id", "in", ids)])
    contacts = call("res.partner", "search_count", [("parent_id", "in", ids)])
    return messages, contacts


def background_vs_wizard(call, ours, core):
    """Merge the groups ``ours`` in the background and ``core`` with Odoo's wizard; the
    messages and contacts of every group end up on its kept client."""
    ids = [i for group in ours for i in group]
    before = counts(call, ids)
    start = time.perf_counter()
    run_id = call("res.partner", "client_merge_duplicates", ours)["run_id"]
    [xmlid] = call(
        "ir.model.data",
        "search_read",
        [("module", "=", "crm_clients"), ("name", "=", "ir_cron_crm_client_duplicate_run")],
        ["res_id"],
    )
    while call("crm.client.duplicate.run", "read", [run_id], ["state"])[0]["state"] != "done":
        call("ir.cron", "method_direct_trigger", [xmlid["res_id"]])
    t_ours = time.perf_counter() - start
    [run] = call("crm.client.duplicate.run", "read", [run_id], ["merged_count", "failed_count"])
    assert (run["merged_count"], run["failed_count"]) == (len(ours), 0), run
    # Every message and contact kept; each merge logs one message on its kept client.
    assert counts(call, ids) == (before[0] + len(ours), before[1]), (counts(call, ids), before)
    ids = [i for group in core for i in group]
    before = counts(call, ids)
    start = time.perf_counter()
    for group in core:
        wizard = call(
            "base.partner.merge.automatic.wizard",
            "create",
            {"partner_ids": [(6, 0, group)], "dst_partner_id": group[0]},
        )
        call("base.partner.merge.automatic.wizard", "action_merge", [wizard])
    t_core = time.perf_counter() - start
    after = counts(call, ids)
    assert after[0] >= before[0] and after[1] == before[1], (after, before)
    return t_ours, t_core


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
    [(ours_target, ours_sources), (core_target, core_sources), (ours_groups, core_groups)] = eval(
        next(line for line in output.splitlines() if line.startswith("IDS="))[4:]
    )
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
        t_background, t_wizard = background_vs_wizard(call, ours_groups, core_groups)
    finally:
        server.stop()
    print(f"client_merge: {SOURCES} sources x ({MESSAGES} messages, {CONTACTS} contacts) in one call: {t_ours:.2f} s")
    print(f"core wizard, 3 partners at a time, same volume: {t_core:.2f} s; ratio {t_ours / t_core:.2f} (goal <= 1.0)")
    print(
        f"client_merge_undo of that merge: {t_undo:.2f} s, every message and contact back on its source "
        f"(goal <= the core wizard's merge: ratio {t_undo / t_core:.2f})"
    )
    print(
        f"background merge of {GROUPS} groups (client_merge_duplicates + its scheduled action): {t_background:.2f} s; "
        f"Odoo's wizard, one group a call: {t_wizard:.2f} s; ratio {t_wizard / t_background:.1f}x; "
        "every message and contact kept (goal >= 10x)"
    )
    if t_ours > t_core or t_undo > t_core or t_wizard / t_background < 10:
        print("GOAL MISSED")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
