from odoo import fields, models


class CrmClientMergeWizardValue(models.TransientModel):
    _name = "crm.client.merge.wizard.value"
    _description = "Merge Clients: a Value to Keep"
    _order = "sequence, id"

    wizard_id = fields.Many2one("crm.client.merge.wizard", required=True, ondelete="cascade")
    sequence = fields.Integer()
    field_name = fields.Char(readonly=True)
    field_label = fields.Char(string="Field", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Client", readonly=True)
    origin_label = fields.Char(string="From", readonly=True)
    value_display = fields.Char(string="Value", readonly=True)
    keep = fields.Boolean()

    def _key(self):
        return str(self.partner_id.id or 0)
