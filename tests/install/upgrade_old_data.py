"""Data made with the previous release of the addons, before the upgrade test
(tools/test_upgrade.sh pipes this file into `odoo-bin shell` run on the OLD code).

Writes what the upgraded database must still hold as JSON to $CRM_UPGRADE_SNAPSHOT,
read by tests/install/test_upgrade.py. Uses only what the previous release had: client
fields, email and phone lines (one locked), contact roles, a billing entity, relations
(a shipped symmetric type and a directed one), a merge leaving an alias, an ID
document scan as that release stored it (an attachment of the person linked through the
many2many field client_id_document_ids), the results of the registries and services
(PEPPOL, Mailchimp, white list, VIES) on the client; and every row count and stored value
of the fields our addons define.
"""

import base64
import json
import os

from odoo.tools import SQL

# `env` is given by odoo-bin shell.
env = globals()["env"]
Partner = env["res.partner"]
pl = env.ref("base.pl")
vip = env.ref("crm_clients.client_status_vip")
active = env.ref("crm_clients.client_status_active")

client = Partner.create(
    {
        "name": "Upgrade Sp. z o.o.",
        "is_company": True,
        "country_id": pl.id,
        "vat": "5261040828",
        "regon": "012100784",
        "external_ref": "OLD-1",
        "is_buyer": True,
        "is_supplier": True,
        "priority": "2",
        "client_status_id": vip.id,
        "email": "Biuro@Upgrade.example",
        "phone": "+48 22 100 20 30",
        "comment": "<p>Kept across the upgrade</p>",
    }
)
client.email_ids.create(
    {"partner_id": client.id, "email": "faktury@upgrade.example", "is_invoicing": True, "note": "invoices"}
)
whatsapp = client.phone_ids.create({"partner_id": client.id, "number": "+48 601 234 567", "is_whatsapp": True})
whatsapp.action_lock()

person = Partner.create(
    {
        "name": "Anna Upgrade",
        "parent_id": client.id,
        "email": "anna@upgrade.example",
        "mobile": "601 555 666",
        "client_role_ids": [(4, env.ref("crm_clients.contact_role_billing").id)],
    }
)
client.primary_contact_id = person

entity = Partner.create(
    {
        "name": "Upgrade Handel Sp. z o.o.",
        "parent_id": client.id,
        "type": "invoice",
        "is_company": True,
        "is_billing_entity": True,
        "vat": "7740001454",
        "country_id": pl.id,
    }
)

# The scan, as the previous release stored it.
scan_bytes = b"%PDF-1.4 identity card of Anna Upgrade"
scan = env["ir.attachment"].create(
    {
        "name": "anna-id-card.pdf",
        "datas": base64.b64encode(scan_bytes),
        "res_model": "res.partner",
        "res_id": person.id,
    }
)
person.client_id_document_ids = [(4, scan.id)]

# A duplicate merged into the client: its reference becomes an alias of the client.
duplicate = Partner.create(
    {
        "name": "Upgrade (duplicate)",
        "is_company": True,
        "country_id": pl.id,
        "external_ref": "OLD-2",
        "email": "sprzedaz@upgrade.example",
        "client_status_id": active.id,
    }
)
duplicate_id = duplicate.id
Partner.client_merge([duplicate.id], client.id)

other = Partner.create({"name": "Referrer Upgrade", "is_company": True, "country_id": pl.id, "external_ref": "OLD-3"})
Relation = env["crm.client.relation"]
referral = Relation.create(
    {
        "left_partner_id": other.id,
        "type_id": env.ref("crm_clients.relation_type_referral").id,
        "right_partner_id": client.id,
        "note": "met at a fair",
    }
)
partnership = Relation.create(
    {
        "left_partner_id": client.id,
        "type_id": env.ref("crm_clients.relation_type_partner").id,
        "right_partner_id": other.id,
        "date_start": "2024-01-01",
    }
)


# What the registries and services of the other addons stored on the client (the
# values of their last check or sync), kept by the upgrade like any stored value.
def second_choice(name):
    return Partner._fields[name]._description_selection(env)[1][0]


client.write(
    {
        "peppol_status": "registered",
        "peppol_checked_at": "2025-05-01 10:00:00",
        "peppol_smp_url": "https://smp.example/iso6523-actorid-upis::0192:923609016",
        "mailchimp_status": second_choice("mailchimp_status"),
        "mailchimp_synced_at": "2025-05-02 11:00:00",
        "mailchimp_fingerprint": "f1f2f3",
        "mf_vat_status": second_choice("mf_vat_status"),
        "mf_accounts": ["PL61109010140000071219812874"],
        "mf_request_id": "Z1-ABC-123",
        "vies_status": second_choice("vies_status"),
    }
)
env.cr.commit()

env.invalidate_all()


def lines(partner):
    return {
        "emails": sorted(
            [line.email, line.is_primary, line.is_invoicing, line.locked, line.note or ""] for line in partner.email_ids
        ),
        "phones": sorted(
            [line.number, line.is_primary, line.is_whatsapp, line.is_mobile, line.locked] for line in partner.phone_ids
        ),
    }


def record(partner):
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
        **lines(partner),
    }


def our_data():
    """Every row count and every stored value of the fields our addons define (scalar
    fields and many2one), by model, table and column: nothing is lost or changed by
    the upgrade but what its migrations move (tests/install/test_upgrade.py)."""
    fields = env["ir.model.fields"].search([("store", "=", True), ("ttype", "not in", ["one2many", "many2many"])])
    data = {}
    for field in fields.filtered(lambda f: any(m.startswith("crm_clients") for m in (f.modules or "").split(", "))):
        model = env.get(field.model)
        if model is None or model._transient or not model._auto or field.name not in model._fields:
            continue
        if not model._fields[field.name].column_type:
            continue
        table = model._table
        env.cr.execute(SQL("SELECT id, %s::text FROM %s", SQL.identifier(field.name), SQL.identifier(table)))
        entry = data.setdefault(field.model, {"table": table, "columns": {}})
        entry["columns"][field.name] = {str(row_id): value for row_id, value in env.cr.fetchall()}
    for entry in data.values():
        env.cr.execute(SQL("SELECT count(*) FROM %s", SQL.identifier(entry["table"])))
        entry["count"] = env.cr.fetchone()[0]
    return data


snapshot = {
    "data": our_data(),
    "versions": {
        module.name: module.latest_version
        for module in env["ir.module.module"].search([("name", "=like", "crm_clients%"), ("state", "=", "installed")])
    },
    "client": record(client),
    "person": record(person),
    "other": record(other),
    "entity": {"id": entity.id, "is_default_billing": entity.is_default_billing, "vat": entity.vat},
    "primary_contact_id": client.primary_contact_id.id,
    "duplicate_id": duplicate_id,
    "aliases": sorted(
        env["crm.client.external.ref.alias"].search([("partner_id", "=", client.id)]).mapped("external_ref")
    ),
    "scan": {"id": scan.id, "name": scan.name, "checksum": scan.checksum, "person_id": person.id},
    "relations": sorted(
        [r.left_partner_id.id, r.type_id.get_external_id()[r.type_id.id], r.right_partner_id.id, r.note or ""]
        for r in referral | partnership
    ),
    "partner_type_name": env.ref("crm_clients.relation_type_partner").name,
    "clients": Partner.search_count([("is_client", "=", True)]),
}
with open(os.environ["CRM_UPGRADE_SNAPSHOT"], "w") as out:
    json.dump(snapshot, out, indent=1, sort_keys=True)
print("snapshot written:", json.dumps(snapshot["client"]))
