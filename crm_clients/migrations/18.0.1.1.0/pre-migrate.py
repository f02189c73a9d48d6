"""ID document scans were attachments of the partner linked through a many2many table
(res_partner_client_id_document_rel); keep that table out of the ORM's cleanup until
post-migrate turns each link into a crm.client.id.document."""


def migrate(cr, version):
    cr.execute("SELECT to_regclass('res_partner_client_id_document_rel') IS NOT NULL")
    if cr.fetchone()[0]:
        cr.execute("ALTER TABLE res_partner_client_id_document_rel RENAME TO crm_clients_legacy_id_document_rel")
