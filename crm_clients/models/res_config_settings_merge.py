from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    crm_client_merge_undo_days = fields.Integer(
        string="Merge Undo Period (days)",
        config_parameter="crm_clients.merge_undo_days",
        default=30,
        help="How long a client administrator can undo a merge. 0: merges cannot be undone.",
    )
