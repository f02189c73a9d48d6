"""client_upsert fed what an integrator (or an attacker) may send: rows the database
refuses, values of the wrong type, x2many commands, ids of other companies, fields the
caller may not write. One bad row never stops or undoes the others; nothing the call did
not name changes; the call runs with the caller's rights."""

import random

import psycopg2

from odoo import Command, sql_db
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from ..models.res_partner_upsert import LANE_HOLD_MAX
from ..models.res_partner_upsert import MAX_RECORDS
from ..models.res_partner_upsert import _lane_hold
from .common import CrmClientsCase


@tagged("post_install", "-at_install")
class TestUpsertHostileRows(CrmClientsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create({"name": "Hostile B"})
        cls.integrator = new_test_user(
            cls.env,
            login="upsert_integrator",
            groups="base.group_user,base.group_partner_manager,crm_clients.group_client_user",
            company_id=cls.env.company.id,
            company_ids=[Command.set(cls.env.company.ids)],
        )
        cls.other = cls.Partner.create({"name": "Bystander", "is_company": True, "email": "by@stander.pl"})
        cls.other_contact = cls.Partner.create({"name": "Bystander Contact", "parent_id": cls.other.id})
        cls.foreign = cls.Partner.create(
            {"name": "Foreign", "is_company": True, "company_id": cls.company_b.id, "external_ref": "HOST-FOREIGN"}
        )
        cls.wholesale = cls.env["res.partner.category"].create({"name": "Hostile Wholesale"})

    def upsert(self, *records, user=None):
        Partner = self.Partner.with_user(user) if user else self.Partner
        return Partner.client_upsert(list(records))

    def snapshot(self, *partners):
        partners = self.Partner.with_context(active_test=False).browse([p.id for p in partners])
        return [
            (p.name, p.email, p.parent_id.id, p.company_id.id, p.category_id.ids, p.child_ids.ids, p.user_ids.ids)
            for p in partners
        ]

    def assert_error(self, result, *fragments):
        self.assertEqual(set(result), {"external_ref", "error"}, result)
        for fragment in fragments:
            self.assertIn(fragment, result["error"])

    def test_rows_the_database_refuses_fail_alone(self):
        results = self.upsert(
            {"external_ref": "HOST-1", "name": "Good before"},
            {"external_ref": "HOST-2", "name": "Bad country", "country_id": 999999},
            {"external_ref": "HOST-3", "name": "Out of range", "color": 2**40},
            {"external_ref": "HOST-4", "is_company": True},
            {"external_ref": "HOST-5", "name": None},
            {"external_ref": "HOST-6", "name": "NUL \x00 inside"},
            {"external_ref": "HOST-7", "name": "Unpaired \ud800 surrogate"},
            {"external_ref": "HOST-8", "name": "Infinite", "partner_latitude": float("inf")},
            {"external_ref": "HOST-8A", "name": "Rounded to infinity", "client_discount": 1.7e306},
            ["not", "a", "dict"],
            "a string",
            None,
            42,
            {"external_ref": "HOST-9", "name": "Good after", "color": 3},
        )
        self.assertEqual(len(results), 14)
        self.assertTrue(results[0]["created"] and results[13]["created"])
        self.assert_error(results[1], "Unknown Country id 999999 for country_id")
        self.assert_error(results[2], "color must be between")
        self.assert_error(results[3], "name is required")
        self.assert_error(results[4], "name is required")
        self.assert_error(results[5], "cannot be stored")
        self.assert_error(results[6], "cannot be stored")
        self.assert_error(results[7], "partner_latitude must be a finite number")
        self.assert_error(results[8], "client_discount must be between -1e+15 and 1e+15")
        for result in results[9:13]:
            self.assert_error(result, "dictionary")
            self.assertIs(result["external_ref"], False)
        created = self.Partner.search([("external_ref", "in", [f"HOST-{i}" for i in range(1, 10)])])
        self.assertEqual(sorted(created.mapped("external_ref")), ["HOST-1", "HOST-9"])

    def test_long_texts(self):
        """Char fields hold at most 1,000 characters (indexes refuse entries over 2,704
        bytes); text fields take more. Past the check, an index that still refuses a value
        (1,000 four-byte characters) fails its row only: it escaped the batch create."""
        results = self.upsert(
            {"external_ref": "HOST-130", "name": "n" * 1001},
            {"external_ref": "HOST-131", "name": "Long note", "comment": "<p>" + "c" * 100_000 + "</p>"},
            {"external_ref": "HOST-132", "name": "Fine", "street": "s" * 1000},
        )
        self.assert_error(results[0], "name is longer than 1000 characters")
        self.assertTrue(results[1]["created"] and results[2]["created"])
        randomly = random.Random(7)  # four bytes each, no repetition to compress
        huge = "".join(chr(randomly.randrange(0x20000, 0x2A6D0)) for _i in range(1000))
        with self.assertLogs("odoo.sql_db", "ERROR"):  # PostgreSQL's refusal, logged by Odoo
            results = self.upsert(
                {"external_ref": "HOST-133", "name": "Before"},
                {"external_ref": "HOST-134", "name": huge},
                {"external_ref": "HOST-135", "name": "After"},
            )
        self.assertTrue(results[0]["created"] and results[2]["created"])
        self.assert_error(results[1], "too long for the database")

    def test_existing_client_given_bad_values_stays_as_it_was(self):
        [first] = self.upsert({"external_ref": "HOST-10", "name": "Stays", "color": 2})
        client = self.Partner.browse(first["id"])
        results = self.upsert(
            {"external_ref": "HOST-10", "country_id": 999999},
            {"external_ref": "HOST-10", "name": ""},
            {"external_ref": "HOST-10", "name": False},
            {"external_ref": "HOST-10", "color": -(2**31) - 1},
            {"external_ref": "HOST-10", "client_status_id": 0},
        )
        self.assert_error(results[0], "Unknown Country id 999999")
        self.assert_error(results[1], "name cannot be empty")
        self.assert_error(results[2], "name cannot be empty")
        self.assert_error(results[3], "color must be between")
        self.assert_error(results[4], "client_status_id")
        self.assertEqual((client.name, client.color, client.country_id.id), ("Stays", 2, False))

    def test_wrong_types_inside_a_row(self):
        results = self.upsert(
            {"external_ref": "HOST-20", "name": "E1", "emails": "x"},
            {"external_ref": "HOST-21", "name": "E2", "emails": [{"email": 5}]},
            {"external_ref": "HOST-22", "name": "E3", "tags": {"a": 1}},
            {"external_ref": "HOST-23", "name": "E4", "status": []},
            {"external_ref": "HOST-24", "name": {"nested": "dict"}},
            {"external_ref": {}, "name": "E6"},
            {"external_ref": "HOST-26", "name": "E7", "is_company": "false"},
            {"external_ref": "HOST-27", "name": "E8", "priority": "9"},
            {"external_ref": "HOST-28", "name": "E9", "tags": ["ok", {"x": 1}]},
            {"external_ref": "HOST-29", "name": "E10", "phones": [5]},
            {"external_ref": "HOST-30", "name": "E11", "billing_entities": "x"},
            {"external_ref": "HOST-31", "name": "E12", "country_code": 5},
            {"external_ref": "HOST-32", "name": "E13", "parent_external_ref": [1]},
            {"external_ref": "HOST-33", "name": "E14", "emails": {}},
            {"external_ref": "HOST-34", "name": "E15", "country_id": "PL"},
            {"external_ref": "HOST-35", "name": "E16", "category_id": [True]},
            {"external_ref": "HOST-36", "name": "E17", "registry_registered_on": "yesterday"},
            {"external_ref": "HOST-37", "name": "E18", "image_1920": "not base64!"},
            {"external_ref": "HOST-38", "name": "E19", "client_properties": [{"name": "x", "definition_changed": 1}]},
            {"external_ref": "HOST-39", "name": "E20", "emails": [{"email": "a@b.pl", "no_such": 1}]},
            {"external_ref": True, "name": "E21"},
            {
                "external_ref": "HOST-40",
                "name": "E22",
                "phones": [
                    {"number": "+48 600 100 200", "is_mobile": True},
                    {"number": "+48 600 100 201", "is_mobile": True},
                ],
            },
            {"external_ref": "HOST-39A", "name": "E23", "country_code": "P\x00L"},
            {"external_ref": "HOST-39B", "name": "E24", "\ud800": 1},
            {"external_ref": "HOST-39C", "name": "E25", "status": 0},
        )
        expected = [
            "emails must be a list of dictionaries",
            "emails #1: email is required (a text)",
            "tags must be a list of tag names",
            "status must be the name of a client status",
            "name must be a text",
            "external_ref must be a text",
            "is_company must be true or false",
            "is not a valid value for priority",
            "tags must be a list of tag names",
            "phones #1: each item must be a dictionary",
            "billing_entities must be a list of dictionaries",
            "Unknown country code 5",
            "parent_external_ref must be a text",
            "emails must be a list of dictionaries",
            "country_id must be an id",
            "category_id must be a list of ids",
            "registry_registered_on must be a date like 2024-12-31",
            "image_1920 must be base64-encoded content",
            "client_properties must be a dictionary",
            "emails #1: Unknown field no_such",
            "external_ref must be a text",
            "phones: only one line can be the mobile",
            "Unknown country code 'P\\x00L'",
            "Unknown field '\\ud800'",
            "status must be the name of a client status",
        ]
        for result, message in zip(results, expected, strict=True):
            self.assert_error(result, message)
        self.assertFalse(self.Partner.search([("name", "in", [f"E{i}" for i in range(1, 26)])]))

    def test_x2many_commands_and_internal_fields_are_refused(self):
        before = self.snapshot(self.other, self.other_contact, self.foreign)
        results = self.upsert(
            {"external_ref": "HOST-40", "name": "C1", "child_ids": [(4, self.other_contact.id)]},
            {"external_ref": "HOST-41", "name": "C2", "user_ids": [(0, 0, {"login": "sneaky", "name": "S"})]},
            {"external_ref": "HOST-42", "name": "C3", "child_ids": [(1, self.other_contact.id, {"name": "Pwned"})]},
            {"external_ref": "HOST-43", "name": "C4", "category_id": [(5,)]},
            {"external_ref": "HOST-44", "name": "C5", "email_ids": [(2, 1)]},
            {"external_ref": "HOST-45", "name": "C6", "id": self.other.id},
            {"external_ref": "HOST-46", "name": "C7", "client_number": "C999999"},
            {"external_ref": "HOST-47", "name": "C8", "create_uid": 1},
            {"external_ref": "HOST-48", "name": "C9", "commercial_partner_id": self.other.id},
            {"external_ref": "HOST-49", "name": "C10", "message_follower_ids": [(0, 0, {"partner_id": 1})]},
            {"external_ref": "HOST-50", "name": "C11", "__unchanged__": {"id": self.other.id, "created": False}},
            {"external_ref": "HOST-51", "name": "C12", "client_archived_with_id": self.other.id},
            {
                "external_ref": "HOST-52",
                "name": "C13",
                "billing_entities": [{"name": "E", "vat": "PL5261040828", "child_ids": [(4, self.other.id)]}],
            },
            {"external_ref": "HOST-53", "name": "C14", "emails": [{"email": "x@y.pl", "partner_id": self.other.id}]},
        )
        self.assert_error(results[0], "child_ids cannot be written here: use parent_external_ref")
        self.assert_error(results[1], "user_ids cannot be written")
        self.assert_error(results[2], "child_ids cannot be written")
        self.assert_error(results[3], "category_id must be a list of ids")
        self.assert_error(results[4], "email_ids cannot be written here: use emails")
        self.assert_error(results[5], "The field id cannot be written")
        self.assert_error(results[6], "client_number cannot be written")
        self.assert_error(results[7], "create_uid cannot be written")
        self.assert_error(results[8], "commercial_partner_id cannot be written")
        self.assert_error(results[9], "message_follower_ids cannot be written")
        self.assert_error(results[10], "Unknown field __unchanged__")
        self.assert_error(results[11], "client_archived_with_id cannot be written")
        self.assert_error(results[12], "billing_entities #1", "child_ids cannot be written")
        self.assert_error(results[13], "emails #1", "partner_id cannot be written")
        self.assertEqual(self.snapshot(self.other, self.other_contact, self.foreign), before)
        self.assertFalse(self.env["res.users"].search([("login", "=", "sneaky")]))
        self.assertFalse(self.Partner.search([("external_ref", "like", "HOST-4%")]))

    def test_other_companies_are_out_of_reach(self):
        """A user of the main company only: ids and references of company B's partners
        are unknown to it, exactly as read() would have it."""
        before = self.snapshot(self.foreign)
        results = self.upsert(
            {"external_ref": "HOST-60", "name": "Into B", "company_id": self.company_b.id},
            {"external_ref": "HOST-61", "name": "Child of B", "parent_id": self.foreign.id},
            {"external_ref": "HOST-62", "name": "Primary B", "primary_contact_id": self.foreign.id},
            {"external_ref": "HOST-FOREIGN", "name": "Renamed", "company_id": self.company_b.id},
            {"external_ref": "HOST-63", "name": "Parent ref B", "parent_external_ref": "HOST-FOREIGN"},
            {"external_ref": "HOST-64", "name": "Fine"},
            user=self.integrator,
        )
        self.assert_error(results[0], f"id {self.company_b.id} for company_id")
        self.assert_error(results[1], f"id {self.foreign.id} for parent_id")
        self.assert_error(results[2], f"id {self.foreign.id} for primary_contact_id")
        self.assert_error(results[3], f"id {self.company_b.id} for company_id")
        self.assert_error(results[4], "No client has the external reference HOST-FOREIGN")
        self.assertTrue(results[5]["created"])
        self.assertEqual(self.snapshot(self.foreign), before)
        for result in results[:5]:
            self.assertNotIn("Foreign", result["error"], "nothing tells the name of B's partner")

    def test_a_reference_taken_by_a_partner_the_user_cannot_read(self):
        """Shared namespace (no company): a partner of company B without company... is
        readable; one restricted by a record rule is not, and the row says so without
        naming it (and without replaying the request forever)."""
        hidden = self.Partner.create({"name": "Hidden Holder", "external_ref": "HOST-HIDDEN"})
        self.env["ir.rule"].create(
            {
                "name": "hide one partner",
                "model_id": self.env.ref("base.model_res_partner").id,
                "domain_force": f"[('id', '!=', {hidden.id})]",
                "groups": [Command.link(self.env.ref("base.group_user").id)],
            }
        )
        [result] = self.upsert({"external_ref": "HOST-HIDDEN", "name": "Take over"}, user=self.integrator)
        self.assert_error(result, "belongs to a partner you cannot access")
        self.assertNotIn("Hidden Holder", result["error"])
        self.assertEqual(hidden.name, "Hidden Holder")

    def test_defaults_of_the_callers_context_give_no_value(self):
        """default_* keys of the caller's context would reach fields no record may write;
        only default_company_id counts, as the company of records without one."""
        before = self.snapshot(self.other, self.other_contact)
        Partner = self.Partner.with_user(self.integrator).with_context(
            default_child_ids=[Command.link(self.other_contact.id)],
            default_client_number="C-HACKED",
            default_company_id=self.env.company.id,
        )
        results = Partner.client_upsert(
            [
                {"external_ref": "HOST-120", "name": "Context Client", "is_company": True},
                {"external_ref": "HOST-121", "name": "Context Contact", "parent_external_ref": "HOST-120"},
            ]
        )
        client, contact = self.Partner.browse([r["id"] for r in results])
        self.assertEqual(self.snapshot(self.other, self.other_contact), before)
        self.assertEqual(client.child_ids, contact)
        self.assertNotEqual(client.client_number, "C-HACKED")
        self.assertFalse(contact.client_number)
        self.assertEqual((client | contact).company_id, self.env.company)
        # a company the user is not in is as unknown in the context as in a record
        [result] = Partner.with_context(default_company_id=self.company_b.id).client_upsert(
            [{"external_ref": "HOST-122", "name": "Into B"}]
        )
        self.assert_error(result, f"id {self.company_b.id} for company_id")

    def test_a_reference_given_twice_ends_with_its_last_values_every_time(self):
        """The second identical call answered the row already matching the client first
        and wrote the other after it: the first row's values won."""
        records = [
            {"external_ref": "HOST-140", "name": "First values", "city": "Gdańsk"},
            {"external_ref": "HOST-140", "name": "Last values", "city": "Kraków"},
        ]
        for _call in range(2):
            results = self.upsert(*records)
            self.assertEqual(len({r["id"] for r in results}), 1, results)
            client = self.Partner.browse(results[0]["id"])
            self.assertEqual((client.name, client.city), ("Last values", "Kraków"))
        # New, the first record without a name: created by the second, which came first
        # in the batch create; the first then wrote its city over the last one's.
        results = self.upsert(
            {"external_ref": "HOST-141", "city": "Gdańsk"},
            {"external_ref": "HOST-141", "name": "Named", "city": "Kraków"},
        )
        self.assert_error(results[0], "name is required")
        self.assertEqual(self.Partner.browse(results[1]["id"]).city, "Kraków")

    def test_created_clients_come_with_their_likely_duplicates(self):
        """Each created client names the existing clients it likely duplicates (tax ID,
        email, phone, similar name: client_find_duplicates' rules), found for all the
        created clients at once; an updated client or a failed row has no such key."""
        known = self.Partner.create(
            {"name": "Dupont Hurtownia", "is_company": True, "vat": "PL5261040828", "email": "biuro@dupont.pl"}
        )
        results = self.upsert(
            {"external_ref": "HOST-DUP-1", "name": "Totally Different", "is_company": True, "vat": "526-104-08-28"},
            {"external_ref": "HOST-DUP-2", "name": "Another Name", "emails": [{"email": "Biuro@Dupont.pl"}]},
            {"external_ref": "HOST-DUP-3", "name": "Nothing Alike Whatsoever", "is_company": True},
            {"external_ref": "HOST-DUP-4", "name": "Bad", "color": "red"},
        )
        self.assertEqual(results[0]["possible_duplicate_ids"], known.ids)
        self.assertEqual(results[1]["possible_duplicate_ids"], known.ids)
        self.assertEqual(results[2]["possible_duplicate_ids"], [])
        self.assertNotIn("possible_duplicate_ids", results[3])
        [updated] = self.upsert({"external_ref": "HOST-DUP-1", "name": "Totally Different"})
        self.assertEqual(set(updated), {"external_ref", "id", "created"})
        # The same few queries for 3 created clients as for 19, and for 20 as for 60: no
        # query per client. (From 20, a few more move the name index's pending entries
        # into it first.)
        Partner = self.Partner
        counts = []
        for size in (3, 19, 20, 60):
            created = Partner.create([{"name": f"Dup Batch {size}-{i}", "is_company": True} for i in range(size)])
            self.env.flush_all()
            results = [{"external_ref": f"B{p.id}", "id": p.id, "created": True} for p in created]
            before = self.env.cr.sql_log_count
            Partner._client_upsert_add_duplicates(results)
            counts.append(self.env.cr.sql_log_count - before)
            self.assertTrue(all(isinstance(r["possible_duplicate_ids"], list) for r in results))
        self.assertEqual(counts[0], counts[1], counts)
        self.assertEqual(counts[2], counts[3], counts)

    def test_commercial_fields_of_a_contact_are_its_clients(self):
        """Odoo gives a new contact its client's tax ID, status, KRS... and keeps what a
        write gives: a contact row with its own value changed the contact on the second
        identical call. Equal to the client's, they are accepted; different, refused."""
        [client] = self.upsert({"external_ref": "HOST-150", "name": "Client", "is_company": True, "krs": "0000028860"})
        records = [
            {"external_ref": "HOST-151", "name": "Same", "parent_external_ref": "HOST-150", "krs": "0000028860"},
            {"external_ref": "HOST-152", "name": "Other", "parent_external_ref": "HOST-150", "krs": "0000000035"},
            {"external_ref": "HOST-153", "name": "Status", "parent_external_ref": "HOST-150", "status": "VIP"},
        ]
        for _call in range(2):
            same, other, status = self.upsert(*records)
            self.assertIn("id", same)
            self.assert_error(other, "krs belong to the client Client")
            self.assert_error(status, "client_status_id belong to the client Client")
        contact = self.Partner.browse(same["id"])
        self.assertEqual((contact.parent_id.id, contact.krs), (client["id"], "0000028860"))

    def test_import_with_a_bad_company_column_is_reported_by_the_import(self):
        result = self.Partner.load(
            ["external_ref", "name", "company_id/.id"], [["HOST-IMP-1", "Imported", "not a company"]]
        )
        self.assertTrue(result["messages"], result)
        self.assertFalse(result["ids"])

    def test_fields_of_groups_the_user_lacks_are_unknown(self):
        self.assertFalse(self.integrator.has_group("base.group_erp_manager"))
        field = self.Partner._fields["signup_type"]
        self.assertTrue(field.groups)
        [result] = self.upsert({"external_ref": "HOST-70", "name": "G", "signup_type": "signup"}, user=self.integrator)
        self.assert_error(result, "Unknown field signup_type")
        # the administrator has the group: the same row is fine for it
        [admin_result] = self.upsert({"external_ref": "HOST-70", "name": "G", "signup_type": "signup"})
        self.assertTrue(admin_result["created"])

    def test_tags_are_matched_exactly(self):
        """=ilike without escaping made "%" match any tag."""
        [result] = self.upsert(
            {"external_ref": "HOST-80", "name": "Percent", "tags": ["%", "hostile wholesale", "Hostile_Wholesale"]}
        )
        client = self.Partner.browse(result["id"])
        self.assertEqual(sorted(client.category_id.mapped("name")), ["%", "Hostile Wholesale", "Hostile_Wholesale"])
        self.assertIn(self.wholesale, client.category_id)

    def test_a_failed_row_does_not_keep_its_new_tags(self):
        results = self.upsert(
            {"external_ref": "HOST-81", "tags": ["Only For A Bad Row"], "name": "Bad", "country_id": 999999},
            {"external_ref": "HOST-82", "tags": ["Brand New Tag"], "name": "Fails later", "vat": "PL1234567890"},
            {"external_ref": "HOST-83", "tags": ["Brand New Tag"], "name": "Good"},
        )
        self.assertIn("error", results[0])
        self.assertIn("error", results[1])
        self.assertTrue(results[2]["created"])
        Tag = self.env["res.partner.category"]
        self.assertFalse(Tag.search([("name", "=", "Only For A Bad Row")]))
        self.assertEqual(self.Partner.browse(results[2]["id"]).category_id.mapped("name"), ["Brand New Tag"])

    def test_locked_lines_need_the_lock_manager(self):
        [result] = self.upsert(
            {"external_ref": "HOST-90", "name": "L", "emails": [{"email": "l@l.pl", "locked": True}]},
            user=self.integrator,
        )
        self.assert_error(result)
        self.assertFalse(self.Partner.search([("external_ref", "=", "HOST-90")]))

    def test_too_many_records_are_refused_whole(self):
        with self.assertRaisesRegex(UserError, f"at most {MAX_RECORDS} records"):
            self.upsert(*[{"external_ref": f"HOST-MANY-{i}", "name": "Many"} for i in range(MAX_RECORDS + 1)])
        self.assertFalse(self.Partner.search([("external_ref", "=like", "HOST-MANY-%")]))

    def test_a_user_without_rights_is_refused_whole(self):
        with self.assertRaises(AccessError):
            self.upsert({"external_ref": "HOST-100", "name": "Nope"}, user=self.employee)

    def test_an_unexpected_error_of_one_row_becomes_its_error(self):
        """Anything the checks did not foresee (here: a tag model that crashes) fails only
        its row, logged with its traceback."""
        Tag = type(self.env["res.partner.category"])
        original = Tag.create

        def crash(self, vals_list):
            if any(vals.get("name") == "Crash" for vals in ([vals_list] if isinstance(vals_list, dict) else vals_list)):
                raise RuntimeError("tag storage exploded")
            return original(self, vals_list)

        Tag.create = crash
        try:
            with self.assertLogs("odoo.addons.crm_clients.models.res_partner_upsert", "ERROR") as logs:
                results = self.upsert(
                    {"external_ref": "HOST-110", "name": "Before"},
                    {"external_ref": "HOST-111", "name": "Boom", "tags": ["Crash"]},
                    {"external_ref": "HOST-112", "name": "After"},
                )
        finally:
            Tag.create = original
        self.assertTrue(results[0]["created"] and results[2]["created"])
        self.assert_error(results[1], "unexpected error", "tag storage exploded")
        self.assertIn("Traceback", "\n".join(logs.output))
        self.assertFalse(self.Partner.search([("external_ref", "=", "HOST-111")]))


@tagged("post_install", "-at_install")
class TestUpsertNeverSwallowsConcurrency(CrmClientsCase):
    def test_lock_timeouts_reach_odoo(self):
        """A lock held by another transaction (here: on the tags table) is not the row's
        fault: the error reaches Odoo, which replays the request, instead of becoming
        the row's error."""
        other = sql_db.db_connect(self.env.cr.dbname).cursor()
        try:
            other.execute("LOCK TABLE res_partner_category IN EXCLUSIVE MODE NOWAIT")
            self.env.cr.execute("SET LOCAL lock_timeout = '300ms'")
            try:
                with self.assertRaises(psycopg2.errors.LockNotAvailable):
                    self.Partner.client_upsert(
                        [{"external_ref": "HOST-LOCK", "name": "Waits", "tags": ["Needs The Locked Table"]}]
                    )
            finally:
                self.env.cr.execute("SET LOCAL lock_timeout = 0")
        finally:
            other.rollback()
            other.close()


@tagged("post_install", "-at_install")
class TestLaneHoldSetting(CrmClientsCase):
    def test_the_hold_is_a_whole_number_of_seconds_or_the_default(self):
        """crm_clients.upsert_lane_hold as an administrator may type it: a whole number
        of seconds from 1 to 86400 is taken, anything else reads as the default."""
        for setting, hold in (("2", 2), (" 30 ", 30), ("86400", 86400), ("1", 1)):
            self.assertEqual(_lane_hold(setting), hold, setting)
        for setting in (None, False, "", "soon", "0", "-5", "1e3", "2.5", "86401", "90000"):
            self.assertEqual(_lane_hold(setting), LANE_HOLD_MAX, setting)
