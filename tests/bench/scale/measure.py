"""One measuring run of `make bench-scale` at one size: ``python measure.py SIZE``.

A copy of the template ``crm_scale_tpl_<size>`` (templates.py) is served by a live Odoo
(threaded, like `odoo-bin` without workers) and every operation is called over XML-RPC as
the web client or an integrator calls it: a warm-up pass, then the median of ``RUNS``
calls, each on another client (spread over the whole table). Plain Odoo's figure is
measured in the same database, on core's own fields and methods:

- searches (``search``, limit 80) by name (without its legal form), email, phone, each Polish ID typed with
  formatting, client number and external reference; plain: ``ref =`` (core's indexed
  internal reference);
- the Clients kanban's first load: ``web_read_group`` by status with the column counts,
  then ``web_search_read`` of the first 40 cards of every unfolded column (one after the
  other: the browser sends them together); plain: the Contacts kanban (40 cards, count);
- the Clients list's first page (80 rows) with its count (``count_limit`` 10,001, as the
  web client sends it); plain: the Contacts list;
- ``client_find_duplicates`` on the whole database (one run);
- ``client_upsert`` of 10,000 rows (5,000 new references, 5,000 existing clients
  changed) in batches of 500; plain: ``create`` of 10,000 partners in batches of 500 (the
  issue's yardstick), and Odoo's own create-or-update: the import (``load``, what the
  Import button calls) of the same kind of rows by external ID, 5,000 changes of existing
  partners and 5,000 new ones, in batches of 500;
- the first Timeline page of the client with 10,000 entries; plain: the 40 newest
  messages of the client and its contact persons (what the chatter reads);
- ``client_merge`` of 20 sources into one client (median of 3); plain: core's merge
  wizard, 2 sources at a time (its limit is 3 partners), 10 times.

The results go to .local/bench_scale/<size>.json for report.py; the copy is dropped.
"""

import json
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from common import CONFIG  # noqa: E402
from common import ODOO_BIN  # noqa: E402
from common import ROOT  # noqa: E402
from common import Server  # noqa: E402
from common import free_port  # noqa: E402
from common import valid_nip  # noqa: E402
from common import varied_name  # noqa: E402
from templates import TIMELINE_REF  # noqa: E402
from templates import connect  # noqa: E402
from templates import dropdb  # noqa: E402
from templates import say  # noqa: E402
from templates import template_name  # noqa: E402

RESULTS = ROOT / ".local" / "bench_scale"
RUNS = 9
# A company name's legal form, left out of the search by name (as users type names).
LEGAL_FORM = re.compile(r"\s+(Sp\. z o\.o\.|S\.A\.|Sp\. k\.|Sp\. j\.)$")
BATCH, UPSERT_ROWS = 500, 10_000
MERGE_SOURCES, MERGE_RUNS = 20, 3
CLIENTS = [("is_client", "=", True)]
WEB_CONTEXT = {"lang": "en_US", "tz": "UTC", "bin_size": True}

KANBAN_SPEC = {
    "client_status_id": {"fields": {"display_name": {}}},
    "is_company": {},
    "active": {},
    "display_name": {},
    "client_number": {},
    "is_buyer": {},
    "is_supplier": {},
    "is_workshop": {},
    "category_id": {"fields": {"display_name": {}, "color": {}}},
    "comment": {},
    "priority": {},
    "activity_ids": {},
    "activity_state": {},
    "assigned_user_ids": {"fields": {"display_name": {}}},
    "user_id": {"fields": {"display_name": {}}},
    "write_date": {},
}
LIST_SPEC = {
    "client_number": {},
    "complete_name": {},
    "client_status_id": {"fields": {"display_name": {}}},
    "priority": {},
    "is_buyer": {},
    "is_supplier": {},
    "email": {},
    "phone": {},
    "vat": {},
    "country_id": {"fields": {"display_name": {}}},
    "category_id": {"fields": {"display_name": {}, "color": {}}},
    "user_id": {"fields": {"display_name": {}}},
    "assigned_user_ids": {"fields": {"display_name": {}}},
}
# Odoo's Contacts views (contacts.action_contacts: kanban, then list), as core sends them.
PLAIN_KANBAN_SPEC = {
    "id": {},
    "color": {},
    "display_name": {},
    "title": {"fields": {"display_name": {}}},
    "email": {},
    "parent_id": {"fields": {"display_name": {}}},
    "is_company": {},
    "function": {},
    "phone": {},
    "street": {},
    "street2": {},
    "zip": {},
    "city": {},
    "country_id": {"fields": {"display_name": {}}},
    "mobile": {},
    "state_id": {"fields": {"display_name": {}}},
    "category_id": {"fields": {"display_name": {}, "color": {}}},
    "type": {},
    "active": {},
    "write_date": {},
}
PLAIN_LIST_SPEC = {
    "complete_name": {},
    "phone": {},
    "email": {},
    "user_id": {"fields": {"display_name": {}}},
    "city": {},
    "state_id": {"fields": {"display_name": {}}},
    "country_id": {"fields": {"display_name": {}}},
    "vat": {},
    "category_id": {"fields": {"display_name": {}, "color": {}}},
    "company_id": {"fields": {"display_name": {}}},
    "is_company": {},
    "parent_id": {"fields": {"display_name": {}}},
    "active": {},
}


def median_time(func, samples):
    """Warm-up pass over ``samples``, then the median of RUNS timed calls (a new sample each)."""
    for sample in samples:
        func(sample)
    times = []
    for run in range(RUNS):
        start = time.perf_counter()
        func(samples[run % len(samples)])
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def pick_samples(db):
    """RUNS company clients spread over the table with every kind of identifier, RUNS
    persons with a PESEL: (id, name, ref, client number, external ref, vat, regon, krs,
    second email, second phone) and (id, pesel)."""
    with connect(db) as conn, conn.cursor() as cr:
        cr.execute(
            """WITH c AS (SELECT p.id, p.name, p.ref, p.client_number, p.external_ref, p.vat, p.regon, p.krs,
                                 row_number() OVER (ORDER BY p.id) AS n, count(*) OVER () AS total
                            FROM res_partner p
                           WHERE p.is_client AND p.is_company AND p.active AND p.vat ~ '^[0-9]{10}$'
                             AND p.regon IS NOT NULL AND p.krs IS NOT NULL AND p.external_ref LIKE 'EXT-%%'
                             AND EXISTS (SELECT 1 FROM crm_client_email e WHERE e.partner_id = p.id AND NOT e.is_primary)
                             AND EXISTS (SELECT 1 FROM crm_client_phone l WHERE l.partner_id = p.id
                                            AND l.number LIKE '+4858%%'))
               SELECT c.id, c.name, c.ref, c.client_number, c.external_ref, c.vat, c.regon, c.krs,
                      (SELECT email FROM crm_client_email e WHERE e.partner_id = c.id AND NOT e.is_primary LIMIT 1),
                      (SELECT number FROM crm_client_phone l WHERE l.partner_id = c.id AND l.number LIKE '+4858%%'
                        LIMIT 1)
                 FROM c WHERE c.n %% GREATEST(c.total / %s, 1) = 0 ORDER BY c.id LIMIT %s""",
            [RUNS + 1, RUNS],
        )
        companies = cr.fetchall()
        cr.execute(
            """SELECT id, pesel FROM (SELECT id, pesel, row_number() OVER (ORDER BY id) AS n, count(*) OVER () AS total
                                        FROM res_partner WHERE is_client AND pesel IS NOT NULL) t
                WHERE n %% GREATEST(total / %s, 1) = 0 ORDER BY id LIMIT %s""",
            [RUNS + 1, RUNS],
        )
        persons = cr.fetchall()
    return companies, persons


def typed_nip(vat):
    return f"PL {vat[:3]}-{vat[3:6]}-{vat[6:8]}-{vat[8:]}"


def typed_phone(number):  # +48581234567 -> "+48 58 123 45 67"
    return f"{number[:3]} {number[3:5]} {number[5:8]} {number[8:10]} {number[10:]}"


def searches(call, db, companies, persons):
    def search(domain):
        return call("res.partner", "search", domain, limit=80)

    def name_words(name):
        """The name as a user types it: without its legal form."""
        return LEGAL_FORM.sub("", name)

    domains = {
        "name": lambda c: [("name", "ilike", name_words(c[1]))],
        "email": lambda c: [("email", "ilike", c[8].capitalize())],
        "phone": lambda c: [("phone", "ilike", typed_phone(c[9]))],
        "NIP": lambda c: [("vat", "ilike", typed_nip(c[5]))],
        "REGON": lambda c: [("regon", "ilike", f"{c[6][:3]}-{c[6][3:6]}-{c[6][6:]}")],
        "KRS": lambda c: [("krs", "ilike", f"{c[7][:4]} {c[7][4:7]} {c[7][7:]}")],
        "client number": lambda c: [("client_number", "=", c[3])],
        "external reference": lambda c: [("external_ref", "=", c[4])],
    }
    pesel_domain = lambda p: [("pesel", "ilike", f"{p[1][:6]}-{p[1][6:]}")]  # noqa: E731
    missing = [label for label, domain in domains.items() if companies[0][0] not in search(domain(companies[0]))]
    if persons[0][0] not in search(pesel_domain(persons[0])):
        missing.append("PESEL")
    if missing:
        raise SystemExit(f"searches that did not find their client: {missing}")
    plain = median_time(lambda c: search([("ref", "=", c[2])]), companies)
    results = {"search: plain ref =": {"ours": plain, "plain": plain}}
    for label, domain in domains.items():
        results[f"search: {label}"] = {
            "ours": median_time(lambda c, domain=domain: search(domain(c)), companies),
            "plain": plain,
        }
    results["search: PESEL"] = {"ours": median_time(lambda p: search(pesel_domain(p)), persons), "plain": plain}
    # Why a search misses its goal: its plan (the ORM's SQL, EXPLAIN ANALYZE).
    slow = {
        label: domains[label](companies[0]) if label in domains else pesel_domain(persons[0])
        for label in [*domains, "PESEL"]
        if not (results[f"search: {label}"]["ours"] <= 2 * plain and results[f"search: {label}"]["ours"] < 0.05)
    }
    plans = explain(db, {"plain ref =": [("ref", "=", companies[0][2])], **slow}) if slow else {}
    for label, plan in plans.items():
        print(f"plan of the search by {label}:\n" + "\n".join("    " + row for row in plan), flush=True)
    for label in slow:
        results[f"search: {label}"]["plan"] = plans.get(label)
    return results


_EXPLAIN = """
import json

def _plans(domains):
    out = {}
    for label, domain in domains.items():
        sql = env["res.partner"].with_user(2)._search(domain, limit=80).select()
        env.cr.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql.code, sql.params)
        out[label] = [row[0] for row in env.cr.fetchall()]
    return out

"""


def explain(db, domains):
    """EXPLAIN ANALYZE of each search's SQL as the ORM writes it (for the admin user):
    printed for the searches that miss their goal, to say why."""
    output = subprocess.run(
        [sys.executable, str(ODOO_BIN), "shell", "-c", CONFIG, "-d", db, "--no-http", "--log-level", "warn"],
        input=_EXPLAIN + f"print('PLANS=' + json.dumps(_plans(json.loads({json.dumps(json.dumps(domains))}))))\n",
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    line = next((line for line in output.splitlines() if line.startswith("PLANS=")), None)
    return json.loads(line[6:]) if line else {}


def web_views(call):
    def kanban(_sample):
        groups = call(
            "res.partner",
            "web_read_group",
            CLIENTS,
            ["client_status_id"],
            ["client_status_id"],
            lazy=True,
            context=WEB_CONTEXT,
        )["groups"]
        cards = 0
        for group in groups:
            if not group.get("__fold") and group["client_status_id_count"]:
                cards += len(
                    call(
                        "res.partner", "web_search_read", group["__domain"], KANBAN_SPEC, limit=40,
                        context=WEB_CONTEXT,
                    )["records"]
                )  # fmt: skip
        return cards

    def plain_kanban(_sample):
        return call("res.partner", "web_search_read", [], PLAIN_KANBAN_SPEC, limit=40, count_limit=10001,
                    context=WEB_CONTEXT)  # fmt: skip

    def listing(_sample):
        return call("res.partner", "web_search_read", CLIENTS, LIST_SPEC, limit=80, count_limit=10001,
                    context=WEB_CONTEXT)  # fmt: skip

    def plain_listing(_sample):
        return call("res.partner", "web_search_read", [], PLAIN_LIST_SPEC, limit=80, count_limit=10001,
                    context=WEB_CONTEXT)  # fmt: skip

    samples = [None]
    return {
        "kanban first load": {"ours": median_time(kanban, samples), "plain": median_time(plain_kanban, samples)},
        "list first page + count": {
            "ours": median_time(listing, samples),
            "plain": median_time(plain_listing, samples),
        },
    }


def timeline(call):
    [client] = call("res.partner", "search", [("external_ref", "=", TIMELINE_REF)])
    contacts = call("res.partner", "search", [("parent_id", "=", client)])
    page = call("res.partner", "client_timeline_read", [client])
    if page["total"] < 10_000:
        raise SystemExit(f"the timeline client has {page['total']} entries")
    ours = median_time(lambda _s: call("res.partner", "client_timeline_read", [client]), [None])
    plain = median_time(
        lambda _s: call(
            "mail.message",
            "search_read",
            [("model", "=", "res.partner"), ("res_id", "in", [client, *contacts])],
            fields=["date", "body", "author_id", "message_type", "subtype_id"],
            limit=40,
            order="id desc",
        ),
        [None],
    )
    return {"timeline page (10,000 entries)": {"ours": ours, "plain": plain, "entries": page["total"]}}


def duplicates(call):
    start = time.perf_counter()
    groups = call("res.partner", "client_find_duplicates")
    elapsed = time.perf_counter() - start
    return {"duplicates, whole database": {"ours": elapsed, "plain": None, "groups": len(groups)}}


def upsert(call, db, size):
    with connect(db) as conn, conn.cursor() as cr:
        cr.execute(
            """SELECT external_ref, name FROM res_partner WHERE external_ref LIKE 'EXT-%%' AND active
                ORDER BY md5(id::text) LIMIT %s""",
            [UPSERT_ROWS // 2],
        )
        existing = cr.fetchall()
    [poland] = call("res.country", "search", [("code", "=", "PL")])
    new = [
        {
            "name": varied_name(f"new {i}"),
            "is_company": True,
            "email": f"new{i}@scale.example.com",
            "phone": f"+48 12 {i:07d}",
            "city": "Kraków",
            "vat": valid_nip(7_000_000 + i),
        }
        for i in range(UPSERT_ROWS)
    ]
    plain_rows = [{**row, "country_id": poland} for row in new]
    changed = [
        {"external_ref": ref, "name": f"{name} (renamed)", "phone": f"+48 71 {i:07d}", "city": "Wrocław"}
        for i, (ref, name) in enumerate(existing)
    ]
    fresh = [
        {
            **row,
            "external_ref": f"SCALE-NEW-{i}",
            "name": varied_name(f"upserted {i}"),
            "email": row["email"].replace("new", "upserted"),
            "vat": valid_nip(8_000_000 + i),
            "country_code": "PL",
        }
        for i, row in enumerate(new[len(changed) :])
    ]

    def batches(method, rows):
        start = time.perf_counter()
        answers = []
        for offset in range(0, len(rows), BATCH):
            answer = call("res.partner", method, rows[offset : offset + BATCH])
            if method == "client_upsert":
                answers += answer
        return time.perf_counter() - start, answers

    call("res.partner", "create", [{"name": "warm-up"}])
    call("res.partner", "client_upsert", [{"external_ref": "SCALE-WARM-UP", "name": "warm-up"}])
    plain_first, _ = batches("create", plain_rows[: len(changed)])
    plain_second, _ = batches("create", plain_rows[len(changed) :])
    # The changed clients, then the new ones (timed apart: where the time goes).
    ours_changed, answers = batches("client_upsert", changed)
    ours_new, created_answers = batches("client_upsert", fresh)
    answers += created_answers
    errors = [a for a in answers if "error" in a]
    created = sum(1 for a in answers if a.get("created"))
    if errors or created != len(fresh):
        raise SystemExit(f"upsert: {len(errors)} errors ({errors[:2]}), {created} created of {len(fresh)}")
    imported_changed, imported_new = odoo_import(call, db, existing, new[len(changed) :])
    return {
        "upsert 10,000 (half new)": {"ours": ours_changed + ours_new, "plain": plain_first + plain_second},
        "upsert 10,000 vs Odoo's import": {"ours": ours_changed + ours_new, "plain": imported_changed + imported_new},
        f"upsert: {len(changed):,} changed": {"ours": ours_changed, "plain": imported_changed},
        f"upsert: {len(fresh):,} new": {"ours": ours_new, "plain": plain_second},
    }


def odoo_import(call, db, existing, new):
    """Odoo's own create-or-update of the same kind of rows: the import (``load``, what
    the Import button calls) by external ID, in batches of 500. The clients changed are
    those the upsert changed, given an external ID first (``__import__.scale_<id>``), with
    other values (a write that changes nothing would cost nothing); the new rows are new
    partners with their own external IDs. Returns (seconds for the changes, for the new)."""
    refs = [ref for ref, _name in existing]
    with connect(db) as conn, conn.cursor() as cr:
        cr.execute(
            """INSERT INTO ir_model_data (module, name, model, res_id, noupdate)
                 SELECT '__import__', 'scale_' || id, 'res.partner', id, false
                   FROM res_partner WHERE external_ref = ANY(%s)
              RETURNING name, res_id""",
            [refs],
        )
        xmlids = dict(cr.fetchall())
        conn.commit()
    if len(xmlids) != len(refs):
        raise SystemExit(f"import: {len(xmlids)} external IDs made for {len(refs)} clients")
    changes = [
        [f"__import__.{name}", f"Imported {i} Sp. z o.o.", f"+48 61 {i:07d}", "Poznań"]
        for i, name in enumerate(sorted(xmlids))
    ]
    creations = [
        [
            f"__import__.scale_new_{i}",
            f"Imported New {i} Sp. z o.o.",
            "1",
            row["email"].replace("new", "imported"),
            row["phone"],
            "Gdańsk",
            valid_nip(9_000_000 + i),
            "base.pl",
        ]
        for i, row in enumerate(new)
    ]

    def load(fields, rows):
        start = time.perf_counter()
        for offset in range(0, len(rows), BATCH):
            answer = call("res.partner", "load", fields, rows[offset : offset + BATCH])
            if answer["messages"] or len(answer["ids"]) != len(rows[offset : offset + BATCH]):
                raise SystemExit(f"import: {answer['messages'][:2]}")
        return time.perf_counter() - start

    changed = load(["id", "name", "phone", "city"], changes)
    created = load(["id", "name", "is_company", "email", "phone", "city", "vat", "country_id/id"], creations)
    return changed, created


def merge(call, db):
    with connect(db) as conn, conn.cursor() as cr:
        cr.execute(
            """SELECT id FROM res_partner WHERE is_client AND is_company AND active AND external_ref LIKE 'EXT-%%'
                ORDER BY md5(id::text || 'merge') LIMIT %s""",
            [2 * MERGE_RUNS * (MERGE_SOURCES + 1)],
        )
        ids = [row[0] for row in cr.fetchall()]
    groups = [ids[k : k + MERGE_SOURCES + 1] for k in range(0, len(ids), MERGE_SOURCES + 1)]
    ours_times, plain_times = [], []
    for run in range(MERGE_RUNS):
        target, *sources = groups[2 * run]
        start = time.perf_counter()
        result = call("res.partner", "client_merge", sources, target)
        ours_times.append(time.perf_counter() - start)
        if sorted(result["merged_ids"]) != sorted(sources):
            raise SystemExit(f"client_merge merged {result['merged_ids']}")
        target, *sources = groups[2 * run + 1]
        start = time.perf_counter()
        for offset in range(0, len(sources), 2):
            wizard = call(
                "base.partner.merge.automatic.wizard",
                "create",
                {"partner_ids": [(6, 0, [target, *sources[offset : offset + 2]])], "dst_partner_id": target},
            )
            call("base.partner.merge.automatic.wizard", "action_merge", [wizard])
        plain_times.append(time.perf_counter() - start)
    return {"merge 20 sources": {"ours": statistics.median(ours_times), "plain": statistics.median(plain_times)}}


def measure(size):
    template, db = template_name(size), f"crm_scale_run_{size}"
    dropdb(db)
    subprocess.run(["createdb", "-T", template, db], check=True)
    say(f"{db}: copy of {template} ready")
    results = {}
    server = Server(free_port())
    try:
        call = server.session(db)
        companies, persons = pick_samples(db)
        for step in (
            lambda: searches(call, db, companies, persons),
            lambda: web_views(call),
            lambda: timeline(call),
            lambda: duplicates(call),
            lambda: upsert(call, db, size),
            lambda: merge(call, db),
        ):
            part = step()
            for label, figures in part.items():
                plain = f" (plain {figures['plain'] * 1000:.1f} ms)" if figures.get("plain") else ""
                say(f"{size:,}: {label}: {figures['ours'] * 1000:.1f} ms{plain}")
            results.update(part)
    finally:
        server.stop()
        dropdb(db)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{size}.json").write_text(json.dumps({"size": size, "measured": time.time(), "results": results}))
    return results


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        measure(int(arg))
