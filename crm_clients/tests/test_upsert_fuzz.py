"""Property-based fuzzing of client_upsert (Hypothesis, derandomized: the same examples on
every run). Whatever the records, the answer is one result per record, in order, each
``{external_ref, id, created}`` (and ``possible_duplicate_ids`` when created) or
``{external_ref, error}``, as the OpenAPI document describes the HTTP API's answer, and
carried by XML-RPC and JSON; no partner (nor email or phone line) the call did not name
changes; nothing of a failed record stays; no error is logged; the same call again
changes nothing. tests/bench/bench_fuzz.py runs thousands of examples over the HTTP API."""

import json
import xmlrpc.client
from functools import cache

from hypothesis import HealthCheck
from hypothesis import event
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from openapi_schema_validator import OAS31Validator

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import SQL, file_path

from . import upsert_strategies as fuzz
from .common import CrmClientsCase

EXAMPLES = 150


@cache
def answer_validator():
    """The schema of the HTTP API's upsert answer (static/api/openapi.json)."""
    with open(file_path("crm_clients/static/api/openapi.json"), encoding="utf-8") as document:
        components = json.load(document)["components"]
    return OAS31Validator({"$ref": "#/components/schemas/UpsertAnswer", "components": components})


@tagged("post_install", "-at_install")
class TestUpsertFuzz(CrmClientsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create({"name": "Fuzz B"})
        cls.integrator = new_test_user(
            cls.env,
            login="fuzz_integrator",
            groups="base.group_user,base.group_partner_manager,crm_clients.group_client_user",
            company_id=cls.env.company.id,
            company_ids=[Command.set(cls.env.company.ids)],
        )
        cls.admin = cls.env.ref("base.user_admin")
        Partner = cls.Partner
        existing = Partner.create(
            [
                {"name": f"Fuzz Existing {ref}", "external_ref": ref, "is_company": True, "email": f"{ref}@fuzz.pl"}
                for ref in fuzz.REFS[:4]
            ]
        )
        contact = Partner.create({"name": "Fuzz Contact", "parent_id": existing[0].id, "phone": "+48 22 111 22 33"})
        bystander = Partner.create({"name": "Fuzz Bystander", "is_company": True, "email": "by@fuzz.pl"})
        foreign = Partner.create(
            {"name": "Fuzz Foreign", "company_id": cls.company_b.id, "external_ref": fuzz.REFS[4], "is_company": True}
        )
        tag = cls.env["res.partner.category"].create({"name": "Fuzz"})
        cls.ids = sorted(
            {
                *existing.ids,
                contact.id,
                bystander.id,
                foreign.id,
                cls.env.company.id,
                cls.company_b.id,
                cls.poland.id,
                cls.status_vip.id,
                cls.admin.id,
                cls.integrator.id,
                tag.id,
                999999,
                0,
                -1,
            }
        )

    def snapshot(self):
        """Every partner, email and phone line, as stored (write dates aside)."""
        self.env.flush_all()
        rows = {}
        for table in ("res_partner", "crm_client_email", "crm_client_phone"):
            self.env.cr.execute(
                SQL(
                    "SELECT id, to_jsonb(t) - 'write_date' - 'write_uid' FROM %s t",
                    SQL.identifier(table),
                )
            )
            rows.update({(table, row_id): values for row_id, values in self.env.cr.fetchall()})
        return rows

    def named_partners(self, records):
        """The partners a call may change: those of its references and of the partner ids
        it gives as parents, with their contacts and their parents (Odoo syncs commercial
        fields down and a first contact's address up)."""
        refs, ids = set(), set()
        for record in records:
            if isinstance(record, dict):
                for key in ("external_ref", "parent_external_ref"):
                    if isinstance(record.get(key), (str, int)) and not isinstance(record.get(key), bool):
                        refs.add(str(record[key]).strip())
                if isinstance(record.get("parent_id"), int):
                    ids.add(record["parent_id"])
        Partner = self.Partner.with_context(active_test=False)
        named = Partner.search([("external_ref", "in", list(refs))]).ids + list(ids)
        named += self.env["crm.client.external.ref.alias"].search([("external_ref", "in", list(refs))]).partner_id.ids
        named = Partner.browse([i for i in named if 0 < i < 2**31]).exists().ids
        return set(Partner.search(["|", ("id", "child_of", named), ("id", "parent_of", named)]).ids)

    def check_call(self, user, records):
        before = self.snapshot()
        named_before = self.named_partners(records)
        with self.assertNoLogs("odoo", level="ERROR"):
            results = self.Partner.with_user(user).client_upsert(records)
        named = named_before | self.named_partners(records)
        self.assertIsInstance(results, list)
        self.assertEqual(len(results), len(records), "one result per record")
        for record, result in zip(records, results, strict=True):
            self.assertIsInstance(result, dict)
            self.assertIsInstance(result["external_ref"], (str, bool))
            event("created" if result.get("created") else "updated" if "id" in result else "error")
            if "error" in result:
                self.assertEqual(set(result), {"external_ref", "error"}, result)
                self.assertTrue(result["error"] and isinstance(result["error"], str), result)
            else:
                created = {"possible_duplicate_ids"} if result["created"] else set()
                self.assertEqual(set(result), {"external_ref", "id", "created", *created}, result)
                self.assertIsInstance(result["created"], bool)
                self.assertEqual(result["external_ref"], str(record["external_ref"]).strip())
                self.assertNotIn(result["id"], result.get("possible_duplicate_ids", []))
                named.add(result["id"])
        errors = sorted(answer_validator().iter_errors({"results": results}), key=str)
        self.assertFalse(errors, errors and errors[0].message)
        # The answer travels: XML-RPC (no None, string keys) and UTF-8 JSON.
        xmlrpc.client.dumps((results,), methodresponse=True)
        json.dumps(results, ensure_ascii=False).encode("utf-8")
        after = self.snapshot()
        changed = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
        created = {row_id for table, row_id in after.keys() - before.keys() if table == "res_partner"}
        # New partners are the call's own clients, contacts and billing entities.
        named |= self.named_partners(records) | created
        partners = {row_id for table, row_id in changed if table == "res_partner"}
        lines_of = {(after.get(key) or before.get(key))["partner_id"] for key in changed if key[0] != "res_partner"}
        self.assertEqual(partners - named, set(), "partners the call did not name changed")
        self.assertEqual(lines_of - named, set(), "lines of partners the call did not name changed")
        self.check_no_partial_row(records, results, before, after)

    def check_no_partial_row(self, records, results, before, after):
        """A reference whose every record failed gained no partner, and the partner it
        had is as it was, lines included (unless it is the parent or a contact of a
        record saved beside: Odoo syncs addresses and commercial fields)."""
        outcome = {}
        for record, result in zip(records, results, strict=True):
            if isinstance(record, dict) and isinstance(result["external_ref"], str):
                outcome.setdefault(result["external_ref"], set()).add("error" in result)
        failed = [ref for ref, errors in outcome.items() if errors == {True}]
        if not failed:
            return
        saved = self.Partner.browse([result["id"] for result in results if "id" in result])
        partners = self.Partner.with_context(active_test=False).search([("external_ref", "in", failed)])
        new = set(partners.ids) - {row_id for table, row_id in before if table == "res_partner"}
        self.assertFalse(new, f"a failed record left a new partner ({failed})")
        kept = set((partners - saved.parent_id - saved.child_ids).ids)
        touched = {
            key
            for key in before.keys() | after.keys()
            if before.get(key) != after.get(key)
            and (key[1] if key[0] == "res_partner" else (after.get(key) or before.get(key))["partner_id"]) in kept
        }
        self.assertFalse(touched, f"a failed record of {failed} changed rows")

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )
    @given(data=st.data())
    def test_any_records(self, data):
        user = data.draw(st.sampled_from([self.admin, self.integrator]), label="user")
        records = data.draw(fuzz.calls(self.ids), label="records")
        savepoint = self.env.cr.savepoint()
        try:
            self.check_call(user, records)
            # The same call again changes nothing.
            first = self.snapshot()
            self.Partner.with_user(user).client_upsert(records)
            changed = {key for key, values in self.snapshot().items() if first.get(key) != values}
            self.assertEqual(changed, set(), "a second identical call changed these rows")
        finally:
            savepoint.close(rollback=True)

    def test_anything_else_than_a_list_is_refused_whole(self):
        for junk in ({"external_ref": "FZ-0"}, "FZ-0", 5, None):
            with self.assertRaisesRegex(UserError, "list of records"):
                self.Partner.with_user(self.admin).client_upsert(junk)
