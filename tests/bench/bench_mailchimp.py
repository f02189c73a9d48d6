"""Benchmark: syncing 10,000 partners with a Mailchimp audience (a local stand-in of the
API in this process), then syncing again after 100 of them changed; same run.

The first sync goes through Mailchimp's batches end to end: each batch's results are an
archive behind a pre-signed URL of the stand-in's S3 (which refuses a request carrying
credentials, as S3 does), downloaded and read, and every partner's status stored.

Goals: at most 25 HTTP requests for the first sync and at most 3 after 100 changes; every
partner stored as subscribed without an error, from the archives; the first sync's time is
compared with plain Odoo reading the same partners' data."""

import subprocess
import sys

from common import CONFIG
from common import ODOO_BIN
from common import fresh_database
from common import load_standin

DB = "crm_bench_mailchimp"
PARTNERS, CHANGED = 10000, 100

SCRIPT = """
import time
sync = env['crm.client.mailchimp.sync']
for key, value in {'api_key': API_KEY, 'base_url': URL, 'list_id': LIST_ID, 'backoff': '0.05', 'batch_poll': '0.2',
                   'sync_domain': "[('email', '!=', False), ('is_blacklisted', '=', False), ('is_client', '=', True)]"}.items():
    sync._set_param(key, value)
tags = env['res.partner.category'].create([{'name': f'Tag {i}'} for i in range(5)])
Partner = env['res.partner']
partners = Partner.create([{'name': f'Klient {i}', 'is_company': True, 'email': f'klient{i}@example.pl',
                            'phone': f'+48 22 {i:07d}', 'street': f'Prosta {i}', 'city': 'Warszawa', 'zip': '00-001',
                            'category_id': [(6, 0, [tags[i % 5].id])]} for i in range(PARTNERS)])
env.cr.commit()
# What the scheduled action does: one batch per call, committed, until nothing remains.
start = time.perf_counter()
first = {'sent': 0, 'requests': 0, 'errors': 0}
while True:
    result = sync._push(limit=5000)
    env.cr.commit()
    for key in first:
        first[key] += result[key]
    if not result['remaining']:
        break
t_first = time.perf_counter() - start
env.cr.execute("SELECT count(*) FROM res_partner WHERE id IN %s AND mailchimp_status = 'subscribed' AND mailchimp_error IS NULL", [tuple(partners.ids)])
stored = env.cr.fetchone()[0]
partners[:CHANGED].write({'priority': '3'})
env.cr.commit()
start = time.perf_counter()
second = sync._push(limit=5000)
env.cr.commit()
t_second = time.perf_counter() - start
# Plain Odoo reading what a push reads, for scale.
env.invalidate_all()
start = time.perf_counter()
Partner.search([('is_client', '=', True), ('email', '!=', False)]).read(['name', 'email', 'phone', 'street', 'city', 'zip', 'category_id', 'client_status_id', 'priority', 'client_number'])
t_read = time.perf_counter() - start
print(f"RESULT {first['sent']} {first['errors']} {first['requests']} {t_first} {second['sent']} {second['requests']} {t_second} {t_read} {stored}", flush=True)
"""


def main():
    print(f"installing crm_clients_mailchimp in {DB}...", flush=True)
    fresh_database(DB, "crm_clients_mailchimp")
    standin = load_standin("crm_clients_mailchimp", "mailchimp_standin", tools=("mailchimp",))
    api = standin.MailchimpStandin()
    api.start()
    api.batch_polls_until_finished = 2
    script = (
        SCRIPT.replace("API_KEY", repr(standin.API_KEY))
        .replace("URL", repr(api.url))
        .replace("LIST_ID", repr(standin.LIST_ID))
        .replace("PARTNERS", str(PARTNERS))
        .replace("CHANGED", str(CHANGED))
    )
    output = subprocess.run(
        [sys.executable, str(ODOO_BIN), "shell", "-c", CONFIG, "-d", DB, "--no-http", "--log-level", "warn"],
        input=script,
        capture_output=True,
        text=True,
        check=False,
    )
    api.stop()
    line = next((row for row in output.stdout.splitlines() if row.startswith("RESULT ")), None)
    if line is None:
        print(output.stdout[-3000:], output.stderr[-3000:])
        raise SystemExit("the Mailchimp benchmark script failed")
    values = line.split()[1:]
    sent, errors, requests_first = int(values[0]), int(values[1]), int(values[2])
    t_first, sent_second, requests_second, t_second, t_read, stored = (
        float(values[3]),
        int(values[4]),
        int(values[5]),
        float(values[6]),
        float(values[7]),
        int(values[8]),
    )
    downloads = [r for r in api.s3.received if r["method"] == "GET"]
    with_credentials = [r for r in downloads if "Authorization" in r["headers"]]
    print(f"first sync: {sent} members ({errors} errors) in {requests_first} requests, {t_first:.1f} s "
          f"(plain Odoo reading the same partners: {t_read:.1f} s)")  # fmt: skip
    print(f"after {CHANGED} changes: {sent_second} members in {requests_second} requests, {t_second:.2f} s")
    print(f"members in the audience: {len(api.members)}")
    print(f"batch result archives downloaded from S3: {len(downloads)} ({len(with_credentials)} with credentials); "
          f"partners stored as subscribed without an error: {stored}")  # fmt: skip
    failed = []
    if sent != PARTNERS or errors or len(api.members) != PARTNERS:
        failed.append("not every partner reached the audience")
    if not downloads or with_credentials:
        failed.append("the batch results were not downloaded from S3 without credentials")
    if stored != PARTNERS:
        failed.append(f"{stored} partners stored as subscribed (goal {PARTNERS}): the batch results were not read")
    if requests_first > 25:
        failed.append(f"{requests_first} requests for the first sync (goal 25)")
    if sent_second != CHANGED or requests_second > 3:
        failed.append(f"{requests_second} requests for {sent_second} changes (goal 3 for {CHANGED})")
    if failed:
        raise SystemExit("Mailchimp benchmark goals missed: " + "; ".join(failed))
    print("goals met")


if __name__ == "__main__":
    main()
