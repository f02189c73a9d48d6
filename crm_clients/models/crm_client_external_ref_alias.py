from odoo import fields, models


class CrmClientExternalRefAlias(models.Model):
    """An external reference of a client merged into another one: client_upsert with it
    updates the client that absorbed it."""

    _name = "crm.client.external.ref.alias"
    _description = "Client External Reference Alias"
    _rec_name = "external_ref"

    partner_id = fields.Many2one("res.partner", required=True, ondelete="cascade", index=True)
    external_ref = fields.Char(required=True)
    company_id = fields.Many2one("res.company")

    def init(self):
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS crm_client_external_ref_alias_uniq
                ON crm_client_external_ref_alias (COALESCE(company_id, 0), external_ref)
            """
        )
