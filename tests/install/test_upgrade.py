"""A database made with the previous release of the addons, upgraded with this code,
keeps everything (tools/test_upgrade.sh, a stage of `make test`: the database is
installed with the previous release, filled by upgrade_old_data.py, which writes
$CRM_UPGRADE_SNAPSHOT, then upgraded with `-u crm_clients`)."""

import ast
import base64
import json
import os
from pathlib import Path

from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL

ROOT = Path(__file__).resolve().parents[2]


@tagged("post_install", "-at_install")
class TestUpgradeFromPreviousRelease(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        path = os.environ.get("CRM_UPGRADE_SNAPSHOT")
        if not path or not Path(path).exists():
            raise AssertionError("CRM_UPGRADE_SNAPSHOT names the snapshot: run tools/test_upgrade.sh")
        cls.before = json.loads(Path(path).read_text())
        cls.Partner = cls.env["res.partner"]
        cls.client = cls.Partner.browse(cls.before["client"]["id"])

    def record(self, partner):
        """The same view of a partner as upgrade_old_data.py's."""
        return {
            "id": partner.id,
            "name": partner.name,
            "client_number": partner.client_number,
            "external_ref": partner.external_ref or "",
            "status": partner.client_status_id.name or "",
            "priority": partner.priority,
            "is_buyer": partner.is_buyer,
            "is_supplier": partner.is_supplier,
            "vat": partner.vat or "",
            "regon": partner.regon or "",
            "email": partner.email or "",
            "phone": partner.phone or "",
            "mobile": partner.mobile or "",
            "roles": sorted(partner.client_role_ids.mapped("name")),
            "emails": sorted(
                [line.email, line.is_primary, line.is_invoicing, line.locked, line.note or ""]
                for line in partner.email_ids
            ),
            "phones": sorted(
                [line.number, line.is_primary, line.is_whatsapp, line.is_mobile, line.locked]
                for line in partner.phone_ids
            ),
        }

    def test_every_addon_is_at_its_new_version(self):
        modules = self.env["ir.module.module"].search([("name", "=like", "crm_clients%"), ("state", "=", "installed")])
        self.assertEqual(set(modules.mapped("name")), set(self.before["versions"]), "an addon was lost or added")
        for module in modules:
            manifest = ast.literal_eval((ROOT / module.name / "__manifest__.py").read_text())
            self.assertEqual(module.latest_version, manifest["version"], module.name)

    def test_clients_keep_their_fields_numbers_statuses_and_lines(self):
        for key in ("client", "person", "other"):
            partner = self.Partner.browse(self.before[key]["id"]).exists()
            self.assertTrue(partner, f"{key} was lost")
            self.assertEqual(self.record(partner), self.before[key], key)
        self.assertEqual(self.client.primary_contact_id.id, self.before["primary_contact_id"])
        self.assertEqual(self.Partner.search_count([("is_client", "=", True)]), self.before["clients"])
        # A locked line is still locked for everyone but a lock manager.
        locked = self.client.phone_ids.filtered("locked")
        self.assertEqual(len(locked), 1)

    def test_every_row_and_stored_value_of_our_fields_is_kept(self):
        """Every table and column our addons had, with its rows and values, but what the
        migrations move on purpose."""
        # model -> column: what a migration of this release changes (tested below).
        migrated = {
            # 'Partner' renamed 'Business Partner', both ways (translated, jsonb columns).
            "crm.client.relation.type": {"name", "name_inverse"},
        }
        lost, changed = [], []
        for model, before in sorted(self.before["data"].items()):
            self.env.cr.execute("SELECT to_regclass(%s)", [before["table"]])
            if not self.env.cr.fetchone()[0]:
                lost.append(f"table {before['table']} ({model})")
                continue
            self.env.cr.execute(SQL("SELECT count(*) FROM %s", SQL.identifier(before["table"])))
            count = self.env.cr.fetchone()[0]
            if count < before["count"]:
                lost.append(f"{model}: {before['count'] - count} of {before['count']} rows")
            for column, values in sorted(before["columns"].items()):
                if column in migrated.get(model, ()):
                    continue
                self.env.cr.execute(
                    "SELECT 1 FROM information_schema.columns WHERE table_name = %s AND column_name = %s",
                    [before["table"], column],
                )
                if not self.env.cr.fetchone():
                    lost.append(f"column {before['table']}.{column}")
                    continue
                self.env.cr.execute(
                    SQL("SELECT id, %s::text FROM %s", SQL.identifier(column), SQL.identifier(before["table"]))
                )
                now = {str(row_id): value for row_id, value in self.env.cr.fetchall()}
                differ = sorted(row for row, value in values.items() if now.get(row, "<lost>") != value)
                if differ:
                    changed.append(f"{model}.{column} of ids {differ[:5]}: {[values[row] for row in differ[:5]]}")
        self.assertFalse(lost, "lost by the upgrade")
        self.assertFalse(changed, "changed by the upgrade")
        # The data of every addon was there to lose.
        self.assertGreater(len(self.before["data"]), 10)
        self.assertGreater(self.before["data"]["res.partner"]["count"], 5)

    def test_billing_entity_stays_the_default(self):
        entity = self.Partner.browse(self.before["entity"]["id"])
        self.assertEqual(
            {"id": entity.id, "is_default_billing": entity.is_default_billing, "vat": entity.vat},
            self.before["entity"],
        )
        self.assertEqual(self.client.address_get(["invoice"])["invoice"], entity.id)

    def test_merge_alias_still_finds_the_client(self):
        self.assertFalse(self.Partner.browse(self.before["duplicate_id"]).exists())
        aliases = self.env["crm.client.external.ref.alias"].search([("partner_id", "=", self.client.id)])
        self.assertEqual(sorted(aliases.mapped("external_ref")), self.before["aliases"])
        [result] = self.Partner.client_upsert([{"external_ref": "OLD-2", "website": "https://upgrade.example"}])
        self.assertEqual((result.get("id"), result.get("created")), (self.client.id, False), result)
        self.assertEqual(self.client.website, "https://upgrade.example")

    def test_relations_are_kept_and_the_partner_type_renamed(self):
        relations = self.env["crm.client.relation"].search(
            ["|", ("left_partner_id", "=", self.client.id), ("right_partner_id", "=", self.client.id)]
        )
        triples = sorted(
            [r.left_partner_id.id, r.type_id.get_external_id()[r.type_id.id], r.right_partner_id.id, r.note or ""]
            for r in relations
        )
        self.assertEqual(triples, self.before["relations"])
        self.assertEqual(self.before["partner_type_name"], "Partner")
        partner_type = self.env.ref("crm_clients.relation_type_partner")
        self.assertEqual((partner_type.name, partner_type.name_inverse), ("Business Partner", "Business Partner"))

    def test_id_document_scan_is_now_an_id_document_record(self):
        scan = self.before["scan"]
        person = self.Partner.browse(scan["person_id"])
        document = self.env["crm.client.id.document"].search([("partner_id", "=", person.id)])
        self.assertEqual(len(document), 1)
        self.assertEqual(document.scan_name, scan["name"])
        self.assertEqual(base64.b64decode(document.scan), b"%PDF-1.4 identity card of Anna Upgrade")
        attachment = self.env["ir.attachment"].browse(scan["id"])
        self.assertEqual(
            (attachment.res_model, attachment.res_id, attachment.res_field, attachment.checksum),
            ("crm.client.id.document", document.id, "scan", scan["checksum"]),
        )
        # No longer one of the person's attachments (Documents tab, chatter, portal).
        self.assertFalse(
            self.env["ir.attachment"].search([("res_model", "=", "res.partner"), ("res_id", "=", person.id)])
        )
        self.env.cr.execute(
            "SELECT to_regclass('res_partner_client_id_document_rel'), to_regclass('crm_clients_legacy_id_document_rel')"
        )
        self.assertEqual(self.env.cr.fetchone(), (None, None))
