"""18.0.1.1.0: ID document scans get their own model; partners that existed before the
addon was installed get what a new partner gets."""

from psycopg2.extras import Json

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    # Each legacy ID document link becomes a crm.client.id.document (see pre-migrate.py).
    cr.execute("SELECT to_regclass('crm_clients_legacy_id_document_rel') IS NOT NULL")
    if cr.fetchone()[0]:
        env["crm.client.id.document"]._migrate_attachments("crm_clients_legacy_id_document_rel")
        cr.execute("DROP TABLE crm_clients_legacy_id_document_rel")
    # Email and phone lines, normalized identifiers and the Data Quality report for the
    # partners that never got them. Not changes of the clients: the feed stays quiet.
    cr.execute(
        "SELECT current_setting('crm_clients.change_feed', true), set_config('crm_clients.change_feed', 'off', true)"
    )
    previous = cr.fetchone()[0]
    env["res.partner"]._client_install_existing_partners()
    cr.execute("SELECT set_config('crm_clients.change_feed', %s, true)", [previous or ""])
    # The relation type "Partner" is now "Business Partner" (its record is noupdate).
    rename_partner_relation_type(cr)


# What the symmetric relation type crm_clients.relation_type_partner was called before 18.0.1.1.0:
# its name was also the field label "Partner", so Polish and Spanish showed the field's wording.
OLD_PARTNER_WORDINGS = {"Partner", "Kontrahent", "Contacto"}


def rename_partner_relation_type(cr):
    """Rename the shipped relation type "Partner" to "Business Partner" unless its users
    renamed it. Its old shipped translations are dropped (custom ones stay): the
    translations Odoo loads after this script fill in "Partner biznesowy" / "Socio comercial"."""
    cr.execute(
        """SELECT t.id, t.name, t.name_inverse
             FROM crm_client_relation_type t
             JOIN ir_model_data d ON d.res_id = t.id AND d.model = 'crm.client.relation.type'
            WHERE d.module = 'crm_clients' AND d.name = 'relation_type_partner'"""
    )
    for type_id, name, name_inverse in cr.fetchall():
        if (name or {}).get("en_US") == "Partner":
            cr.execute(
                "UPDATE crm_client_relation_type SET name = %s, name_inverse = %s WHERE id = %s",
                [Json(_business_partner(name)), Json(_business_partner(name_inverse)), type_id],
            )


def _business_partner(values):
    kept = {lang: value for lang, value in (values or {}).items() if value not in OLD_PARTNER_WORDINGS}
    return {**kept, "en_US": "Business Partner"}
