"""18.0.1.1.0: ID document scans get their own model; partners that existed before the
addon was installed get what a new partner gets."""

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
