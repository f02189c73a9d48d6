from odoo import api, fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    # The attribute definitions a partner uses: its company's, else the main company's
    # (partners shared between companies have no company).
    client_attribute_set_id = fields.Many2one(
        "crm.client.attribute.set",
        compute="_compute_client_attribute_set_id",
        store=True,
        index="btree_not_null",
    )
    # Not precomputed (neither is the set: computing them on new records for every create
    # cost 10 % of a plain create); values given on create get their set in create().
    client_properties = fields.Properties(
        "Attributes", definition="client_attribute_set_id.definition", copy=True, precompute=False
    )
    client_id_document_ids = fields.One2many(
        "crm.client.id.document",
        "partner_id",
        string="ID Documents",
        groups="crm_clients.group_client_id_documents",
        help="Scans of identity documents; only the ID documents group sees them, on every path.",
    )

    @api.depends("company_id")
    def _compute_client_attribute_set_id(self):
        main = self.env["res.company"].sudo().search([], order="id", limit=1)
        sets = self.env["crm.client.attribute.set"]._for_companies(self.company_id | main)
        by_company = {attribute_set.company_id: attribute_set for attribute_set in sets}
        for partner in self:
            partner.client_attribute_set_id = by_company.get(partner.company_id or main)

    @api.model_create_multi
    def create(self, vals_list):
        # Attribute values given on create need their definitions known first.
        wanted = [
            vals for vals in vals_list if vals.get("client_properties") and not vals.get("client_attribute_set_id")
        ]
        if wanted:
            main = self.env["res.company"].sudo().search([], order="id", limit=1)
            companies = self.env["res.company"].browse({vals.get("company_id") or main.id for vals in wanted})
            sets = {s.company_id.id: s.id for s in self.env["crm.client.attribute.set"]._for_companies(companies)}
            for vals in wanted:
                vals["client_attribute_set_id"] = sets[vals.get("company_id") or main.id]
        return super().create(vals_list)
