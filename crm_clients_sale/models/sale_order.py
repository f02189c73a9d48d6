from odoo import fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    # The client the order is for: its invoice addresses (billing entities included) are
    # the ones offered. The default billing entity is proposed by res.partner.address_get.
    client_commercial_partner_id = fields.Many2one(
        "res.partner", related="partner_id.commercial_partner_id", string="Client Entity"
    )

    def _compute_payment_term_id(self):
        result = super()._compute_payment_term_id()
        for order in self.filtered("partner_id"):
            term = order.partner_id._client_group_payment_term(order.company_id)
            if term:
                order.payment_term_id = term
        return result
