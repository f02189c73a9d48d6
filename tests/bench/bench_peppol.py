"""Benchmark: checking 1,000 clients on PEPPOL with a bounded pool of parallel lookups
versus one by one, in the same run, against a local SML (DNS) and SMP whose every HTTP
answer takes 10 ms. One client in ten shares its identifier with another (billing
entities of one company): answers are cached per SMP and participant within a run.

Goal: the pool is at least 5 times faster, with the same results."""

import subprocess
import sys

from common import CONFIG
from common import ODOO_BIN
from common import fresh_database
from common import load_standin

DB = "crm_bench_peppol"
CLIENTS, DELAY, WORKERS = 1000, 0.010, 16

SCRIPT = """
import time
params = env['ir.config_parameter'].sudo()
for key, value in {'crm_clients_peppol.sml_zone': 'test', 'crm_clients_peppol.dns_server': DNS,
                   'crm_clients_peppol.timeout': '5',
                   # the stand-ins listen on 127.0.0.1: a private network, reached only when allowed
                   'crm_clients_peppol.allow_private_networks': 'True'}.items():
    params.set_param(key, value)
pl = env.ref('base.pl')
Partner = env['res.partner']
partners = Partner.create([{'name': f'Klient {i}', 'is_company': True, 'country_id': pl.id, 'vat': nip}
                           for i, nip in enumerate(NIPS)])
env.cr.commit()
timings = {}
statuses = {}
for label, workers in (('one by one', 1), ('pool', WORKERS)):
    partners.write({'peppol_status': 'unknown', 'peppol_checked_at': False})
    params.set_param('crm_clients_peppol.parallel_lookups', str(workers))
    env.cr.commit()
    start = time.perf_counter()
    partners.action_peppol_check()
    env.cr.commit()
    timings[label] = time.perf_counter() - start
    statuses[label] = partners.mapped('peppol_status')
same = statuses['one by one'] == statuses['pool']
registered = statuses['pool'].count('registered')
print(f"RESULT {timings['one by one']} {timings['pool']} {int(same)} {registered}", flush=True)
"""


def nips(count):
    out, n = [], 100000000
    while len(out) < count:
        n += 1
        digits = str(n)[:9]
        total = sum(w * int(d) for w, d in zip((6, 5, 7, 2, 3, 4, 5, 6, 7), digits, strict=True)) % 11
        if total != 10:
            out.append(digits + str(total))
    return out


def main():
    print(f"installing crm_clients_peppol in {DB}...", flush=True)
    fresh_database(DB, "crm_clients_peppol")
    standin = load_standin("crm_clients_peppol", "peppol_standin", tools=("peppol",))
    distinct = nips(CLIENTS * 9 // 10)
    identifiers = distinct + distinct[: CLIENTS - len(distinct)]  # one in ten shared
    dns = standin.SmlDns(zone="test")
    address = dns.start()
    smp = standin.Smp()
    smp.start()
    for nip in distinct[: len(distinct) * 8 // 10]:  # 80 % registered
        participant = f"9945:PL{nip}"
        smp.add(participant)
        dns.register(participant, smp.url)
    smp.delay = DELAY
    script = SCRIPT.replace("DNS", repr(address)).replace("NIPS", repr(identifiers)).replace("WORKERS", str(WORKERS))
    output = subprocess.run(
        [sys.executable, str(ODOO_BIN), "shell", "-c", CONFIG, "-d", DB, "--no-http", "--log-level", "warn"],
        input=script,
        capture_output=True,
        text=True,
        check=False,
    )
    smp.stop()
    dns.stop()
    line = next((row for row in output.stdout.splitlines() if row.startswith("RESULT ")), None)
    if line is None:
        print(output.stdout[-3000:], output.stderr[-3000:])
        raise SystemExit("the PEPPOL benchmark script failed")
    sequential, pooled, same, registered = line.split()[1:]
    sequential, pooled = float(sequential), float(pooled)
    speedup = sequential / pooled
    print(f"{CLIENTS} clients ({registered} registered), SMP answers after {DELAY * 1000:.0f} ms")
    print(f"one by one: {sequential:.1f} s; pool of {WORKERS}: {pooled:.1f} s; {speedup:.1f}x faster")
    print(f"SMP requests {smp.calls['requests']}, DNS queries {sum(dns.calls.values())} (both runs)")
    failed = []
    if same != "1":
        failed.append("the two runs found different statuses")
    if speedup < 5:
        failed.append(f"speed-up {speedup:.1f}x below 5x")
    if failed:
        raise SystemExit("PEPPOL benchmark goals missed: " + "; ".join(failed))
    print("goals met")


if __name__ == "__main__":
    main()
