from odoo import models


class CrmClientAdd(models.TransientModel):
    _inherit = "crm.client.add"

    def action_add_invoice(self):
        action = self._new_form(
            "account.move",
            self.env._("New Invoice"),
            {"default_move_type": "out_invoice", "default_partner_id": self.partner_id.id},
        )
        action["target"] = "current"
        return action
