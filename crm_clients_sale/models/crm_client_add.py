from odoo import models


class CrmClientAdd(models.TransientModel):
    _inherit = "crm.client.add"

    def action_add_quotation(self):
        action = self._new_form("sale.order", self.env._("New Quotation"), {"default_partner_id": self.partner_id.id})
        action["target"] = "current"
        return action

    def action_add_order(self):
        """In Odoo an order is a confirmed quotation: the same form opens, the user
        confirms it once the lines are in."""
        action = self._new_form("sale.order", self.env._("New Order"), {"default_partner_id": self.partner_id.id})
        action["target"] = "current"
        return action
