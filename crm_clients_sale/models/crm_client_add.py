from odoo import models


class CrmClientAdd(models.TransientModel):
    _inherit = "crm.client.add"

    def action_add_quotation(self):
        action = self._new_form("sale.order", self.env._("New Quotation"), {"default_partner_id": self.partner_id.id})
        action["target"] = "current"
        return action
