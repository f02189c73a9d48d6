"""Benchmark: refreshing 500 clients from GUS through the scheduled action's batches,
against a local BIR 1.1 stand-in answering each request after 5 ms.

Goals: one login for the whole run, at most 4 requests per client (the search plus the
reports its entity type needs), and our own time per client (the run minus the stand-in's
delay) at most 3 times the time plain Odoo takes to write the same values on the same
clients, measured in the same run."""

import subprocess
import sys

from common import CONFIG
from common import ODOO_BIN
from common import fresh_database
from common import load_standin

DB = "crm_bench_gus"
CLIENTS, DELAY, BATCH = 500, 0.005, 100

SCRIPT = """
import time
from odoo import fields
from odoo.addons.crm_clients_gus.tools import bir

pairs = PAIRS
params = env['ir.config_parameter'].sudo()
for key, value in {'crm_clients_gus.url': URL, 'crm_clients_gus.environment': 'test',
                   'crm_clients_gus.requests_per_second': '0', 'crm_clients_gus.cache_hours': '0'}.items():
    params.set_param(key, value)
pl = env.ref('base.pl')
Partner = env['res.partner']
partners = Partner.create([{'name': f'Klient {i}', 'is_company': True, 'vat': nip, 'country_id': pl.id}
                           for i, (nip, regon) in enumerate(pairs)])
env.cr.commit()

start = time.perf_counter()
remaining, batches = None, 0
while remaining != 0:
    remaining = Partner._cron_gus_refresh(batch_size=BATCH)
    env.cr.commit()  # what the cron framework does after each batch
    batches += 1
elapsed = time.perf_counter() - start
refreshed = Partner.search_count([('id', 'in', partners.ids), ('registry_source', '=', 'GUS'), ('krs', '!=', False)])

# Plain Odoo writing the same values on as many clients, with a chatter note each.
baseline_partners = Partner.create([{'name': f'Baseline {i}', 'is_company': True, 'vat': nip, 'country_id': pl.id,
                                     'registry_checked_at': fields.Datetime.now()}
                                    for i, (nip, regon) in enumerate(pairs)])
env.cr.commit()
start = time.perf_counter()
for partner, source in zip(baseline_partners, partners):
    partner.write({'street': source.street, 'zip': source.zip, 'city': source.city, 'state_id': source.state_id.id,
                   'regon': source.regon, 'krs': source.krs, 'email': source.email, 'legal_name': source.legal_name,
                   'registry_industry_code': source.registry_industry_code,
                   'registry_industry_name': source.registry_industry_name,
                   'registry_legal_form': source.registry_legal_form,
                   'registry_registered_on': source.registry_registered_on})
    partner.message_post(body='Updated', message_type='notification')
env.cr.commit()
baseline = time.perf_counter() - start
print(f'RESULT {refreshed} {batches} {elapsed} {baseline}', flush=True)
"""


def nip_check(digits):
    total = sum(w * int(d) for w, d in zip((6, 5, 7, 2, 3, 4, 5, 6, 7), digits, strict=True)) % 11
    return None if total == 10 else str(total)


def regon_check(digits):
    total = sum(w * int(d) for w, d in zip((8, 9, 2, 3, 4, 5, 6, 7), digits, strict=True)) % 11
    return str(total % 10)


def identifiers(count):
    out, n = [], 100000000
    while len(out) < count:
        n += 1
        digit = nip_check(str(n)[:9])
        if digit is not None:
            out.append((str(n)[:9] + digit, str(n)[:8] + regon_check(str(n)[:8])))
    return out


def main():
    print(f"installing crm_clients_gus in {DB}...", flush=True)
    fresh_database(DB, "crm_clients_gus")
    bir_standin = load_standin("crm_clients_gus", "bir_standin")
    pairs = identifiers(CLIENTS)
    # The stand-in runs in this process, Odoo in its own: like GUS, remote from Odoo.
    standin = bir_standin.BirStandin()
    for i, (nip, regon) in enumerate(pairs):
        standin.add(
            bir_standin.legal_person(
                regon, nip, f"SPÓŁKA TESTOWA {i} SP. Z O.O.", krs=str(i + 1).zfill(10), number=str(i % 90 + 1),
                email=f"biuro{i}@example.pl",
            )
        )  # fmt: skip
    standin.start()
    script = SCRIPT.replace("PAIRS", repr(pairs)).replace("URL", repr(standin.url)).replace("BATCH", str(BATCH))
    # Creating the clients calls nothing: every request the stand-in counts is the refresh's.
    standin.delay = DELAY
    output = subprocess.run(
        [sys.executable, str(ODOO_BIN), "shell", "-c", CONFIG, "-d", DB, "--no-http", "--log-level", "warn"],
        input=script,
        capture_output=True,
        text=True,
        check=False,
    )
    stdout, stderr = output.stdout, output.stderr
    standin.stop()
    line = next((row for row in stdout.splitlines() if row.startswith("RESULT ")), None)
    if line is None:
        print(stdout[-3000:], stderr[-3000:])
        raise SystemExit("the GUS benchmark script failed")
    refreshed, batches = (int(x) for x in line.split()[1:3])
    elapsed, baseline = (float(x) for x in line.split()[3:5])
    logins, logouts, requests = standin.calls["Zaloguj"], standin.calls["Wyloguj"], standin.calls["requests"]
    ours = elapsed - requests * DELAY
    per_client = ours / CLIENTS * 1000
    ratio = ours / baseline
    print(f"refreshed {refreshed}/{CLIENTS} clients in {batches} batches of {BATCH}: {elapsed:.1f} s")
    print(f"logins {logins}, logouts {logouts}, requests {requests} ({requests / CLIENTS:.2f} per client)")
    print(f"our time per client (stand-in delay of {DELAY * 1000:.0f} ms x {requests} requests excluded): "
          f"{per_client:.1f} ms; plain Odoo writing the same values: {baseline / CLIENTS * 1000:.1f} ms "
          f"(ratio {ratio:.2f})")  # fmt: skip
    failed = []
    if refreshed != CLIENTS:
        failed.append(f"{CLIENTS - refreshed} clients not refreshed")
    if logins != 1:
        failed.append(f"{logins} logins (goal 1)")
    if (requests - logins - logouts) / CLIENTS > 4:
        failed.append("more than 4 requests per client")
    if ratio > 3:
        failed.append(f"ratio {ratio:.2f} above 3")
    if failed:
        raise SystemExit("GUS benchmark goals missed: " + "; ".join(failed))
    print("goals met")


if __name__ == "__main__":
    main()
