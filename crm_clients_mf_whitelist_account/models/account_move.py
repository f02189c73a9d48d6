from odoo import api, fields, models
from odoo.addons.crm_clients_mf_whitelist.tools import whitelist

# A payment for a transaction above this (PLN) to an account off the white list is not
# deductible for the buyer (income tax acts) and makes it jointly liable for the VAT.
THRESHOLD_PLN = 15000


def whitelist_pair(env, partner, bank):
    """``(nip, account)`` the white list can be asked about for paying ``partner`` on
    ``bank``, or None (not a Polish taxpayer, or not a Polish account)."""
    provider = env["crm.client.registry.mf_whitelist"]
    commercial = partner.commercial_partner_id
    if not partner or not bank or not provider._registry_applies(commercial):
        return None
    account = whitelist.account_digits(bank.acc_number)
    return (provider._nip(commercial), account) if account else None


def whitelist_warning(env, partner, bank, day=None):
    """The warning for paying ``partner`` on ``bank`` (a res.partner.bank) on ``day``
    (today by default), or False. What the checks recorded for that day or the flat file
    loaded for it say comes first; else the accounts stored at the partner's last check."""
    pair = whitelist_pair(env, partner, bank)
    if not pair:
        return False
    day = day or whitelist.polish_today()
    commercial = partner.commercial_partner_id
    known = env["crm.client.registry.mf_whitelist"]._whitelist_known({pair}, day).get(pair)
    if known:
        if known["result"] != "absent":
            return False
        return env._(
            "The account %(account)s is not on the VAT white list of %(partner)s on %(date)s (%(proof)s): a payment "
            "to it may not be deductible.",
            account=bank.acc_number,
            partner=commercial.display_name,
            date=day,
            proof=known["proof"],
        )
    listed = partner._mf_account_listed(bank.acc_number)
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
    @api.depends_context("uid")
    def _compute_mf_whitelist_warning(self):
        for move in self:
            move.mf_whitelist_warning = (
                whitelist_warning(self.env, move.partner_id, move.partner_bank_id)
                if move.is_purchase_document()
                else False
            )
