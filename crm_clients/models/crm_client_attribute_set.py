from odoo import api, fields, models


class CrmClientAttributeSet(models.Model):
    """Where a company's client attributes are defined (one per company). Client
    managers may write it: they define the attributes without rights on companies."""

    _name = "crm.client.attribute.set"
    _description = "Client Attribute Definitions"

    name = fields.Char(related="company_id.name")
    company_id = fields.Many2one("res.company", required=True, ondelete="cascade")
    definition = fields.PropertiesDefinition("Client Attributes")

    _sql_constraints = [("company_unique", "UNIQUE (company_id)", "One set of client attributes per company.")]

    @api.model
    def _for_companies(self, companies):
        existing = self.sudo().search([("company_id", "in", companies.ids)])
        missing = companies - existing.company_id
        return existing | self.sudo().create([{"company_id": company.id} for company in missing])
