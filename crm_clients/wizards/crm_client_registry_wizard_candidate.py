from odoo import fields, models


class CrmClientRegistryWizardCandidate(models.TransientModel):
    _name = "crm.client.registry.wizard.candidate"
    _description = "Entity Found in a Registry"

    wizard_id = fields.Many2one("crm.client.registry.wizard", required=True, ondelete="cascade")
    name = fields.Char(required=True)
    description = fields.Char()
    values = fields.Json()
