"""Each legacy ID document link becomes a crm.client.id.document (see pre-migrate.py)."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    cr.execute("SELECT to_regclass('crm_clients_legacy_id_document_rel') IS NOT NULL")
    if not cr.fetchone()[0]:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["crm.client.id.document"]._migrate_attachments("crm_clients_legacy_id_document_rel")
    cr.execute("DROP TABLE crm_clients_legacy_id_document_rel")
