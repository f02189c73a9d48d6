from odoo import api, fields, models


def whitelist_warning(env, partner, bank):
    """The warning for paying ``partner`` on ``bank`` (a res.partner.bank), or False."""
    if (
        not partner
        or not bank
        or not env["crm.client.registry.mf_whitelist"]._registry_applies(partner.commercial_partner_id)
    ):
        return False
    listed = partner._mf_account_listed(bank.acc_number)
    commercial = partner.commercial_partner_id
    if listed is None:
        return env._(
            "The VAT white list was never checked for %(partner)s: check it before paying (Action > Check the VAT "
            "white list).",
            partner=commercial.display_name,
        )
    if not listed:
        return env._(
            "The account %(account)s is not on the VAT white list of %(partner)s (checked on %(date)s): a payment to "
            "it may not be deductible.",
            account=bank.acc_number,
            partner=commercial.display_name,
            date=fields.Datetime.to_string(commercial.registry_checked_at) if commercial.registry_checked_at else "?",
        )
    return False


class AccountMove(models.Model):
    _inherit = "account.move"

    mf_whitelist_warning = fields.Char(compute="_compute_mf_whitelist_warning")

    @api.depends("partner_id", "partner_bank_id", "move_type")
    def _compute_mf_whitelist_warning(self):
        for move in self:
            move.mf_whitelist_warning = (
                whitelist_warning(self.env, move.partner_id, move.partner_bank_id)
                if move.is_purchase_document()
                else False
            )
