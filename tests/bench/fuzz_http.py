"""Fuzzing the client upsert over the wire: the HTTP API (raw bodies of any shape) and
``client_upsert`` over JSON-RPC (which, unlike XML-RPC, carries NaN, huge integers and
unpaired surrogates). Shared by tests/test_api_fuzz.py (a few hundred examples in
`make test`) and bench_fuzz.py (thousands in `make bench`).

The invariants: every answer is JSON, either one result per record, in order (``id`` and
``created`` or ``error``; 422 when every one is an error), or a 4xx ``{"error": {"code",
"message"}}``, each as the OpenAPI document describes it; no partner nor email or phone
line the call did not name changes (compared in the database before and after); nothing
of a failed record stays; the server logs no error and no traceback."""

import http.client
import importlib.util
import json
import subprocess
import sys
import urllib.parse
from pathlib import Path

import psycopg2

ROOT = Path(__file__).resolve().parents[2]
API_PATH = "/crm_clients/api/v1/clients/upsert"
API_STATUSES = {200, 400, 401, 403, 405, 413, 415, 422}


def _load(name, path):
    """A module of this repository by its path (the tests import this file as
    tests.bench.fuzz_http, the benchmark as fuzz_http)."""
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def load_strategies():
    """crm_clients/tests/upsert_strategies.py, loaded without Odoo."""
    return _load("crm_clients_upsert_strategies", "crm_clients/tests/upsert_strategies.py")


def check_answer(status, answer, headers=None):
    """The answer of the upsert API is what crm_clients/static/api/openapi.json says."""
    _load("crm_clients_openapi_check", "tests/openapi_check.py").check_answer(API_PATH, "POST", status, answer, headers)


# Run by `odoo-bin shell` on the served database: users and their API keys, a second
# company with a partner holding one of the fuzzed references, clients holding others.
SETUP_SCRIPT = """
import datetime, json
from odoo import Command
from odoo.tests import new_test_user
refs = json.loads(%(refs)r)
main = env.ref("base.main_company")
company_b = env["res.company"].search([("name", "=", "Fuzz B")]) or env["res.company"].create({"name": "Fuzz B"})
def user(login, groups):
    found = env["res.users"].search([("login", "=", login)])
    return found or new_test_user(env, login=login, groups=groups, company_id=main.id, company_ids=[Command.set(main.ids)])
users = {
    "admin": env.ref("base.user_admin"),
    "integrator": user("fuzz_integrator", "base.group_user,base.group_partner_manager,crm_clients.group_client_user"),
    "reader": user("fuzz_reader", "base.group_user"),
}
Partner = env["res.partner"].with_context(active_test=False)
for ref in refs[:4]:
    if not Partner.search([("external_ref", "=", ref), ("company_id", "=", False)]):
        Partner.create({"name": "Fuzz Existing " + ref, "external_ref": ref, "is_company": True,
                        "email": ref.lower() + "@fuzz.pl"})
if not Partner.search([("external_ref", "=", refs[4]), ("company_id", "=", company_b.id)]):
    Partner.create({"name": "Fuzz Foreign", "external_ref": refs[4], "company_id": company_b.id, "is_company": True})
expiry = datetime.datetime.now() + datetime.timedelta(days=1)
keys = {name: env["res.users.apikeys"].with_user(u)._generate("rpc", "fuzz", expiry) for name, u in users.items()}
ids = sorted(set(Partner.search([], order="id desc", limit=12).ids + [main.id, company_b.id, env.ref("base.pl").id,
    env.ref("crm_clients.client_status_vip").id, users["integrator"].id, 999999, 0, -1]))
env.cr.commit()
print("FUZZ=" + json.dumps({"keys": keys, "uids": {name: u.id for name, u in users.items()}, "ids": ids}))
"""


def prepare(database, config, odoo_bin):
    """Set the database up for fuzzing (see SETUP_SCRIPT): {"keys", "uids", "ids"}."""
    refs = json.dumps(load_strategies().REFS)
    output = subprocess.run(
        [sys.executable, str(odoo_bin), "shell", "-c", str(config), "-d", database, "--no-http", "--log-level", "warn"],
        input=SETUP_SCRIPT % {"refs": refs},
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout
    [line] = [line for line in output.splitlines() if line.startswith("FUZZ=")]
    return json.loads(line[len("FUZZ=") :])


class Checker:
    """Sends one request and checks every invariant; AssertionError says what broke."""

    def __init__(self, url, database, setup, log_path):
        self.url = urllib.parse.urlsplit(url)
        self.database = database
        self.setup = setup
        self.log_path = Path(log_path)
        self.log_offset = self.log_path.stat().st_size
        self.db = psycopg2.connect(dbname=database)
        self.db.autocommit = True
        self.last_headers = {}

    def close(self):
        self.db.close()

    # ---- the database, read directly ----

    def snapshot(self):
        """{(table, id): (partner of the row, digest of its values)}, write dates aside."""
        rows = {}
        with self.db.cursor() as cr:
            for table, partner in (
                ("res_partner", "id"),
                ("crm_client_email", "partner_id"),
                ("crm_client_phone", "partner_id"),
            ):
                cr.execute(
                    f"SELECT id, {partner}, md5((to_jsonb(t) - 'write_date' - 'write_uid')::text) FROM {table} t"
                )
                rows.update({(table, row_id): (partner_id, digest) for row_id, partner_id, digest in cr.fetchall()})
        return rows

    def named(self, records):
        """Partners a call may change: those of its references (and aliases) and of the
        partner ids it gives as parents, with their contacts and parents."""
        refs, ids = set(), set()
        for record in records if isinstance(records, list) else []:
            if isinstance(record, dict):
                for key in ("external_ref", "parent_external_ref"):
                    value = record.get(key)
                    if isinstance(value, (str, int)) and not isinstance(value, bool):
                        refs.add(str(value).strip())
                if isinstance(record.get("parent_id"), int) and 0 < record["parent_id"] < 2**31:
                    ids.add(record["parent_id"])
        refs = [ref for ref in refs if "\x00" not in ref and _encodable(ref)]
        with self.db.cursor() as cr:
            cr.execute(
                """WITH RECURSIVE seed AS (
                       SELECT id FROM res_partner WHERE external_ref = ANY(%(refs)s::varchar[]) OR id = ANY(%(ids)s::int[])
                       UNION SELECT partner_id FROM crm_client_external_ref_alias WHERE external_ref = ANY(%(refs)s::varchar[])
                   ), down AS (
                       SELECT id FROM seed UNION SELECT p.id FROM res_partner p JOIN down ON p.parent_id = down.id
                   ), up AS (
                       SELECT id FROM seed
                       UNION SELECT p.parent_id FROM res_partner p JOIN up ON p.id = up.id WHERE p.parent_id IS NOT NULL
                   )
                   SELECT id FROM down UNION SELECT id FROM up""",
                {"refs": refs, "ids": list(ids)},
            )
            return {row[0] for row in cr.fetchall()}

    def check_unnamed_unchanged(self, records, before, after, named):
        changed = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
        created = {row_id for table, row_id in after.keys() - before.keys() if table == "res_partner"}
        named = named | self.named(records) | created
        partners = {row_id for table, row_id in changed if table == "res_partner"} - named
        assert not partners, f"partners the call did not name changed: {sorted(partners)}"
        lines = {(after.get(key) or before.get(key))[0] for key in changed if key[0] != "res_partner"}
        assert not lines - named, f"lines of partners the call did not name changed: {sorted(lines - named)}"

    def check_no_partial_row(self, records, results, before):
        """A reference whose every record failed has no partner it did not have before,
        and the partner it had, with its lines, is as it was: nothing of a failed record
        stays. (Its partner is left out of the second check when it is the parent or a
        contact of a record saved beside: Odoo syncs addresses and commercial fields.)"""
        outcome = {}
        for record, result in zip(records, results, strict=True):
            if isinstance(record, dict) and isinstance(result.get("external_ref"), str):
                outcome.setdefault(result["external_ref"], set()).add("error" in result)
        failed = [ref for ref, errors in outcome.items() if errors == {True}]
        if not failed:
            return
        saved = [result["id"] for result in results if "id" in result]
        with self.db.cursor() as cr:
            cr.execute(
                """SELECT p.id, p.parent_id = ANY(%(saved)s) OR EXISTS (
                       SELECT FROM res_partner c WHERE c.parent_id = p.id AND c.id = ANY(%(saved)s))
                     FROM res_partner p WHERE p.external_ref = ANY(%(failed)s::varchar[])""",
                {"failed": failed, "saved": saved},
            )
            partners = dict(cr.fetchall())
        new = set(partners) - {row_id for table, row_id in before if table == "res_partner"}
        assert not new, f"a failed record left a new partner: {sorted(new)} ({failed})"
        after = self.snapshot()
        kept = {partner_id for partner_id, beside in partners.items() if not beside}
        touched = sorted(
            key
            for key in before.keys() | after.keys()
            if before.get(key) != after.get(key) and (after.get(key) or before.get(key))[0] in kept
        )
        assert not touched, f"a failed record of {failed} changed {touched}"

    def check_log(self):
        with self.log_path.open("rb") as log:
            log.seek(self.log_offset)
            added = log.read().decode("utf-8", "replace")
            self.log_offset = log.tell()
        bad = [line for line in added.splitlines() if " ERROR " in line or " CRITICAL " in line or "Traceback" in line]
        assert not bad, "the server logged errors:\n" + "\n".join(bad[:20])

    # ---- the wire ----

    def request(self, path, body, headers):
        connection = http.client.HTTPConnection(self.url.hostname, self.url.port, timeout=120)
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            self.last_headers = dict(response.getheaders())
            return response.status, response.getheader("Content-Type") or "", response.read()
        finally:
            connection.close()

    def check_http(self, body, user="admin"):
        """POST a raw body to the HTTP API as ``user`` and check the invariants."""
        try:
            sent = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            sent = None
        records = sent.get("clients") if isinstance(sent, dict) else None
        before, named = self.snapshot(), self.named(records)
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.setup['keys'][user]}"}
        status, content_type, raw = self.request(API_PATH, body, headers)
        assert status in API_STATUSES, f"HTTP {status}: {raw[:500]!r}"
        assert content_type.startswith("application/json"), f"HTTP {status} answered {content_type}: {raw[:300]!r}"
        answer = json.loads(raw)
        check_answer(status, answer, self.last_headers)
        if status in (200, 422):
            assert set(answer) == {"results"}, answer
            assert isinstance(records, list), f"{status} for a body without a list of clients: {body[:200]!r}"
            check_results(records, answer["results"])
            refused = bool(records) and all("error" in result for result in answer["results"])
            assert (status == 422) == refused, f"{status} for {answer['results']!r:.300}"
            self.check_no_partial_row(records, answer["results"], before)
        else:
            assert set(answer) == {"error"} and set(answer["error"]) == {"code", "message"}, answer
            assert all(isinstance(v, str) and v for v in answer["error"].values()), answer
            if user == "reader" and status not in (400, 413):
                assert status == 403, answer
        self.check_unnamed_unchanged(records, before, self.snapshot(), named)
        self.check_log()
        return status

    def check_jsonrpc(self, records, user="admin"):
        """client_upsert over JSON-RPC (NaN, huge integers and surrogates included)."""
        before, named = self.snapshot(), self.named(records)
        call = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": 1,
            "params": {
                "service": "object",
                "method": "execute_kw",
                "args": [
                    self.database,
                    self.setup["uids"][user],
                    self.setup["keys"][user],
                    "res.partner",
                    "client_upsert",
                    [records],
                ],
            },
        }
        status, _type, raw = self.request("/jsonrpc", json.dumps(call).encode(), {"Content-Type": "application/json"})
        assert status == 200, f"JSON-RPC answered HTTP {status}: {raw[:500]!r}"
        answer = json.loads(raw)
        if not isinstance(records, list):
            expected = "odoo.exceptions.UserError"  # not a list: refused whole
        elif user == "reader":
            expected = "odoo.exceptions.AccessError"  # no right to create contacts
        else:
            expected = None
        if "error" in answer:
            name = answer["error"]["data"]["name"]
            assert name == expected, f"{name}: {answer['error']['data']['message'][:500]}"
        else:
            assert expected is None, f"{expected} expected, got {answer['result']!r:.300}"
            check_results(records, answer["result"])
            # the results the HTTP API answers, as the OpenAPI document describes them
            refused = bool(records) and all("error" in result for result in answer["result"])
            check_answer(422 if refused else 200, {"results": answer["result"]})
            self.check_no_partial_row(records, answer["result"], before)
        self.check_unnamed_unchanged(records, before, self.snapshot(), named)
        self.check_log()


def check_results(records, results):
    assert isinstance(results, list) and len(results) == len(records), (len(records), results)
    for record, result in zip(records, results, strict=True):
        assert isinstance(result, dict), result
        if "error" in result:
            assert set(result) == {"external_ref", "error"}, result
            assert isinstance(result["error"], str) and result["error"], result
            assert result["external_ref"] is False or isinstance(result["external_ref"], str), result
        else:
            expected = {"external_ref", "id", "created"} | ({"possible_duplicate_ids"} if result["created"] else set())
            assert set(result) == expected, result
            assert isinstance(result["id"], int) and isinstance(result["created"], bool), result
            assert result["external_ref"] == str(record["external_ref"]).strip(), (record, result)
            duplicates = result.get("possible_duplicate_ids", [])
            assert isinstance(duplicates, list) and result["id"] not in duplicates, result


def _encodable(text):
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
