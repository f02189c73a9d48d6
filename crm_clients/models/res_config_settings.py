from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    crm_client_require_channel = fields.Boolean(related="company_id.crm_client_require_channel", readonly=False)
    client_default_discount = fields.Float(related="company_id.client_default_discount", readonly=False)
    crm_client_sequence_id = fields.Many2one(
        "ir.sequence",
        string="Client Number Sequence",
        compute="_compute_crm_client_sequence_id",
    )

    def _compute_crm_client_sequence_id(self):
        sequence = self.env["ir.sequence"].sudo().search([("code", "=", "crm.client.number")], limit=1)
        for settings in self:
            settings.crm_client_sequence_id = sequence

    def action_crm_client_open_sequence(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "ir.sequence",
            "res_id": self.crm_client_sequence_id.id,
            "view_mode": "form",
            "target": "current",
        }
