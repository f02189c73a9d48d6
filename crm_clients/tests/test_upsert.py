from unittest.mock import patch

from odoo.sql_db import Cursor
from odoo.tests import tagged

from .common import NIP
from .common import NIP_2
from .common import CrmClientsCase


@tagged("post_install", "-at_install")
class TestClientUpsert(CrmClientsCase):
    def upsert(self, *records):
        return self.Partner.client_upsert(list(records))

    def statements(self, func):
        """The SQL statements ``func`` runs (upper case), with what it returns."""
        self.env.flush_all()
        statements = []
        original = Cursor.execute

        def spy(cr, query, params=None, log_exceptions=True):
            statements.append(str(getattr(query, "code", query)).lstrip().upper())
            return original(cr, query, params, log_exceptions)

        with patch.object(Cursor, "execute", spy):
            result = func()
            self.env.flush_all()
        return statements, result

    def changed_fields(self, mark):
        """{client id: fields} of the change feed's rows after ``mark`` (this transaction's)."""
        self.env.flush_all()
        self.env.cr.execute("SELECT partner_id, fields FROM crm_client_change WHERE id > %s", [mark])
        changed = {}
        for partner_id, names in self.env.cr.fetchall():
            changed.setdefault(partner_id, set()).update(names or [])
        return changed

    def change_mark(self):
        self.env.flush_all()
        self.env.cr.execute("SELECT coalesce(max(id), 0) FROM crm_client_change")
        return self.env.cr.fetchone()[0]

    def test_create_then_update_then_nothing(self):
        [first] = self.upsert(
            {
                "external_ref": "UP-1",
                "name": "Upsert Sp. z o.o.",
                "is_company": True,
                "country_code": "pl",
                "vat": "526-104-08-28",
                "status": "vip",
                "tags": ["Hurt", "B2B"],
            }
        )
        self.assertTrue(first["created"])
        client = self.Partner.browse(first["id"])
        self.assertEqual((client.external_ref, client.vat, client.client_status_id), ("UP-1", NIP, self.status_vip))
        self.assertEqual(sorted(client.category_id.mapped("name")), ["B2B", "Hurt"])
        [second] = self.upsert({"external_ref": "UP-1", "name": "Upsert Renamed", "status": "Active"})
        self.assertEqual(second, {"external_ref": "UP-1", "id": client.id, "created": False})
        self.assertEqual((client.name, client.client_status_id), ("Upsert Renamed", self.status_active))

    def test_identical_call_writes_nothing(self):
        record = {
            "external_ref": "UP-2",
            "name": "Same",
            "is_company": True,
            "country_code": "PL",
            "vat": NIP,
            "status": "New",
            "tags": ["Same Tag"],
            "emails": [{"email": "a@same.pl", "is_invoicing": True}],
            "phones": [{"number": "+48 22 123 45 67"}],
        }
        self.upsert(record)
        statements, result = self.statements(lambda: self.upsert(dict(record)))
        self.assertFalse(result[0]["created"])
        self.assertTrue(any(q.startswith("SELECT") for q in statements), "the spy sees the queries")
        writes = [q for q in statements if q.startswith(("INSERT", "UPDATE", "DELETE"))]
        self.assertEqual(writes, [], "a second identical upsert writes nothing")

    def test_bad_record_does_not_stop_the_others(self):
        results = self.upsert(
            {"external_ref": "UP-3", "name": "Good one"},
            {"external_ref": "UP-4", "name": "Bad NIP", "country_code": "PL", "vat": "5261040827"},
            {"external_ref": "UP-5", "name": "Bad status", "status": "Nonexistent"},
            {"name": "No reference"},
            {"external_ref": "UP-6", "name": "Unknown field", "no_such_field": 1},
            "not a dict",
            {"external_ref": "UP-7", "name": "Good two", "emails": [{"email": "not-an-email"}]},
            {"external_ref": "UP-8", "name": "Good three"},
        )
        self.assertTrue(results[0]["created"] and results[7]["created"])
        self.assertIn("NIP 5261040827", results[1]["error"])
        self.assertIn("Unknown client status Nonexistent", results[2]["error"])
        self.assertIn("external_ref is required", results[3]["error"])
        self.assertIn("no_such_field", results[4]["error"])
        self.assertIn("dictionary", results[5]["error"])
        self.assertIn("not a valid email", results[6]["error"])
        self.assertFalse(self.Partner.search([("external_ref", "in", ["UP-4", "UP-5", "UP-6", "UP-7"])]))
        self.assertEqual(len(self.Partner.search([("external_ref", "in", ["UP-3", "UP-8"])])), 2)

    def test_parent_may_come_later_in_the_call(self):
        results = self.upsert(
            {"external_ref": "UP-P1", "name": "Jan Kontakt", "parent_external_ref": "UP-C1"},
            {"external_ref": "UP-C1", "name": "Client Later", "is_company": True},
        )
        contact = self.Partner.browse(results[0]["id"])
        self.assertEqual(contact.parent_id.id, results[1]["id"])
        [missing] = self.upsert({"external_ref": "UP-P2", "name": "Orphan", "parent_external_ref": "NOPE"})
        self.assertIn("NOPE", missing["error"])

    def test_lines_are_merged_by_normalized_value(self):
        self.upsert(
            {
                "external_ref": "UP-9",
                "name": "Lines",
                "country_code": "PL",
                "emails": [{"email": "Biuro@Lines.pl"}],
                "phones": [{"number": "22 111 22 33"}],
            }
        )
        client = self.Partner.search([("external_ref", "=", "UP-9")])
        self.upsert(
            {
                "external_ref": "UP-9",
                "emails": [{"email": "BIURO@lines.pl", "is_invoicing": True}, {"email": "nowy@lines.pl"}],
                "phones": [{"number": "+48221112233", "is_whatsapp": True}],
            }
        )
        self.assertEqual(sorted(client.email_ids.mapped("email")), ["biuro@lines.pl", "nowy@lines.pl"])
        self.assertTrue(client.email_ids.filtered(lambda e: e.email == "biuro@lines.pl").is_invoicing)
        self.assertEqual(len(client.phone_ids), 1)
        self.assertTrue(client.phone_ids.is_whatsapp)

    def test_billing_entities_matched_by_tax_id(self):
        self.upsert(
            {
                "external_ref": "UP-10",
                "name": "Group",
                "is_company": True,
                "country_code": "PL",
                "billing_entities": [{"name": "Entity A", "vat": NIP, "country_id": self.poland.id}],
            }
        )
        client = self.Partner.search([("external_ref", "=", "UP-10")])
        self.upsert(
            {
                "external_ref": "UP-10",
                "billing_entities": [
                    {"name": "Entity A renamed", "vat": "PL 526-104-08-28"},
                    {"name": "Entity B", "vat": NIP_2, "country_id": self.poland.id},
                ],
            }
        )
        self.assertEqual(sorted(client.billing_entity_ids.mapped("name")), ["Entity A renamed", "Entity B"])
        self.assertEqual(client.billing_entity_ids.filtered("is_default_billing").name, "Entity A renamed")

    def test_status_in_the_users_language(self):
        self.env["res.lang"]._activate_lang("pl_PL")
        self.status_vip.with_context(lang="pl_PL").name = "Kluczowy"
        [result] = self.Partner.with_context(lang="pl_PL").client_upsert(
            [{"external_ref": "UP-11", "name": "PL", "status": "kluczowy"}]
        )
        self.assertEqual(self.Partner.browse(result["id"]).client_status_id, self.status_vip)

    def test_same_reference_in_another_company_is_another_client(self):
        company_b = self.env["res.company"].create({"name": "Upsert B"})
        a = self.upsert({"external_ref": "UP-12", "name": "In A", "company_id": self.env.company.id})[0]
        b = self.upsert({"external_ref": "UP-12", "name": "In B", "company_id": company_b.id})[0]
        self.assertTrue(a["created"] and b["created"])
        self.assertNotEqual(a["id"], b["id"])

    def test_import_matches_on_external_ref(self):
        [existing] = self.upsert({"external_ref": "IMP-1", "name": "Imported Before"})
        result = self.Partner.load(
            ["external_ref", "name", "city"],
            [["IMP-1", "Imported Again", "Kraków"], ["IMP-2", "Imported New", "Gdańsk"]],
        )
        self.assertFalse(result["messages"], result["messages"])
        self.assertEqual(result["ids"][0], existing["id"])
        self.assertEqual(self.Partner.browse(existing["id"]).city, "Kraków")
        self.assertEqual(self.Partner.search_count([("external_ref", "in", ["IMP-1", "IMP-2"])]), 2)

    def test_changed_clients_are_written_together_and_a_bad_one_fails_alone(self):
        created = self.upsert(
            *[
                {"external_ref": f"UP-B{i}", "name": f"Batch {i}", "is_company": True, "email": f"b{i}@batch.pl"}
                for i in range(4)
            ]
        )
        clients = self.Partner.browse([result["id"] for result in created])
        # Created "yesterday": the change feed tells changes of clients created earlier.
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE res_partner SET create_date = create_date - interval '1 day' WHERE id IN %s", [tuple(clients.ids)]
        )
        self.env.invalidate_all()
        rows = [{"external_ref": f"UP-B{i}", "name": f"Batch {i} renamed", "city": "Wrocław"} for i in range(4)]
        statements, results = self.statements(lambda: self.upsert(*rows))
        self.assertEqual([result["created"] for result in results], [False] * 4)
        self.assertEqual(clients.mapped("name"), [f"Batch {i} renamed" for i in range(4)])
        self.assertEqual(
            sum(1 for q in statements if q.startswith("SAVEPOINT")), 1, "the changed clients share one savepoint"
        )
        # A change refused while writing (a locked line) fails its row alone: the others
        # are written, each change in the change feed; the refused client stays as it was.
        clients[2].email_ids.action_lock()
        mark = self.change_mark()
        results = self.upsert(
            {"external_ref": "UP-B0", "city": "Kraków"},
            {"external_ref": "UP-B1", "city": "Kraków", "is_buyer": True},
            {"external_ref": "UP-B2", "email": "other@batch.pl", "city": "Kraków"},
            {"external_ref": "UP-B3", "city": "Kraków"},
        )
        for i in (0, 1, 3):
            self.assertEqual(results[i], {"external_ref": f"UP-B{i}", "id": clients[i].id, "created": False})
        self.assertEqual(set(results[2]), {"external_ref", "error"})
        self.assertIn("is locked", results[2]["error"])
        clients.invalidate_recordset()
        self.assertEqual(clients.mapped("city"), ["Kraków", "Kraków", "Wrocław", "Kraków"])
        self.assertEqual((clients[2].email, clients[1].is_buyer), ("b2@batch.pl", True))
        changed = self.changed_fields(mark)
        self.assertEqual(set(changed), set((clients - clients[2]).ids))
        self.assertTrue(all("city" in names for names in changed.values()), changed)
        # The same call again writes nothing.
        statements, _results = self.statements(
            lambda: self.upsert(*[{"external_ref": f"UP-B{i}", "city": "Kraków"} for i in (0, 1, 3)])
        )
        self.assertEqual([q for q in statements if q.startswith(("INSERT", "UPDATE", "DELETE"))], [])

    def test_rows_with_lines_are_written_together_and_a_bad_one_fails_alone(self):
        def rows(bad_email):
            return [
                {"external_ref": "UP-L1", "name": "Lines One", "emails": [{"email": "one@lines.pl"}], "tags": ["Ours"]},
                {"external_ref": "UP-L2", "name": "Lines Two", "emails": [{"email": bad_email}], "tags": ["Row 2"]},
                {"external_ref": "UP-L3", "name": "Lines Three", "phones": [{"number": "+48 22 333 44 55"}]},
                {"external_ref": "UP-L4", "name": "Its Person", "parent_external_ref": "UP-L1", "tags": ["Ours"]},
            ]

        results = self.upsert(*rows("not-an-email"))
        self.assertEqual([result.get("created") for result in results], [True, None, True, True])
        self.assertIn("not a valid email", results[1]["error"])
        Tag = self.env["res.partner.category"]
        self.assertFalse(Tag.search([("name", "=", "Row 2")]), "the failed row's new tag is gone")
        self.assertEqual(len(Tag.search([("name", "=", "Ours")])), 1)
        first, person = self.Partner.browse([results[0]["id"], results[3]["id"]])
        self.assertEqual((first.email_ids.email, person.parent_id), ("one@lines.pl", first))
        self.assertEqual(self.Partner.browse(results[2]["id"]).phone_ids.number, "+48223334455")
        self.assertFalse(self.Partner.search([("external_ref", "=", "UP-L2")]))
        # All good: the rows with lines share one savepoint, and a second call writes nothing.
        statements, results = self.statements(lambda: self.upsert(*rows("two@lines.pl")))
        self.assertEqual([result["created"] for result in results], [False, True, False, False])
        self.assertEqual(sum(1 for q in statements if q.startswith("SAVEPOINT")), 1)
        self.assertEqual(self.Partner.browse(results[1]["id"]).email_ids.email, "two@lines.pl")
        statements, _results = self.statements(lambda: self.upsert(*rows("two@lines.pl")))
        self.assertEqual([q for q in statements if q.startswith(("INSERT", "UPDATE", "DELETE"))], [])

    def test_a_batch_undone_forgets_the_clients_it_created(self):
        # The rows go together first; a bad one undoes them all, then each goes alone: the
        # reference created (then undone) in the batch is created again, not "updated".
        results = self.upsert(
            {"external_ref": "UP-T1", "name": "Twice", "emails": [{"email": "first@twice.pl"}]},
            {"external_ref": "UP-T1", "name": "Twice Renamed", "emails": [{"email": "second@twice.pl"}]},
            {"external_ref": "UP-T2", "name": "Bad", "emails": [{"email": "not-an-email"}]},
        )
        self.assertTrue(results[0]["created"])
        self.assertEqual(results[1], {"external_ref": "UP-T1", "id": results[0]["id"], "created": False})
        self.assertIn("not a valid email", results[2]["error"])
        client = self.Partner.search([("external_ref", "=", "UP-T1")])
        self.assertEqual(client.name, "Twice Renamed")
        self.assertEqual(sorted(client.email_ids.mapped("email")), ["first@twice.pl", "second@twice.pl"])
