from odoo import fields, models


class CrmClientRegistryWizardLine(models.TransientModel):
    _name = "crm.client.registry.wizard.line"
    _description = "Field Compared with a Registry"
    _order = "id"

    wizard_id = fields.Many2one("crm.client.registry.wizard", required=True, ondelete="cascade")
    field_name = fields.Char(required=True)
    field_label = fields.Char(string="Field", readonly=True)
    current_value = fields.Char(string="Current Value", readonly=True)
    new_value = fields.Char(string="Registry Value", readonly=True)
    changed = fields.Boolean(readonly=True)
    apply = fields.Boolean(string="Update")
