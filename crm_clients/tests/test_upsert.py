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
        self.env.flush_all()
        statements = []
        original = Cursor.execute

        def spy(cr, query, params=None, log_exceptions=True):
            statements.append(str(getattr(query, "code", query)).lstrip().upper())
            return original(cr, query, params, log_exceptions)

        with patch.object(Cursor, "execute", spy):
            result = self.upsert(dict(record))
            self.env.flush_all()
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
