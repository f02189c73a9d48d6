from odoo import api, fields, models

from .account_move import whitelist_warning


class AccountPaymentRegister(models.TransientModel):
    _inherit = "account.payment.register"

    mf_whitelist_warning = fields.Char(compute="_compute_mf_whitelist_warning")

    @api.depends("partner_id", "partner_bank_id", "payment_type")
    def _compute_mf_whitelist_warning(self):
        for wizard in self:
            wizard.mf_whitelist_warning = (
                whitelist_warning(self.env, wizard.partner_id, wizard.partner_bank_id)
                if wizard.payment_type == "outbound"
                else False
            )
