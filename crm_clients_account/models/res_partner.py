from odoo import models

# Odoo's own ranks drive the client type: the first customer invoice (customer_rank)
# makes a buyer, the first vendor bill (supplier_rank) a supplier.
_RANK_TO_TYPE = {"customer_rank": "is_buyer", "supplier_rank": "is_supplier"}


class ResPartner(models.Model):
    _inherit = "res.partner"

    def _increase_rank(self, field, n=1):
        type_field = _RANK_TO_TYPE.get(field)
        first_time = self.filtered(lambda p: not p[field]) if type_field and self.ids else self.browse()
        super()._increase_rank(field, n)
        if not first_time:
            return
        # Only the first document sets the type: a user who unticks it later is not overruled.
        commercial = first_time.filtered(lambda p: p[field]).commercial_partner_id.filtered(lambda p: not p[type_field])
        if commercial:
            commercial.sudo().write({type_field: True})
