from odoo import api, fields, models
from odoo.addons.crm_clients_mf_whitelist.tools.whitelist import polish_today
from odoo.exceptions import AccessError

from .account_move import whitelist_pair
from .account_move import whitelist_warning


class AccountPayment(models.Model):
    _inherit = "account.payment"

    # The proof kept with the payment: the Ministry's request id, or the flat file's day.
    mf_whitelist_check_id = fields.Many2one(
        "crm.client.whitelist.check", string="VAT White List Check", readonly=True, copy=False, index="btree_not_null"
    )
    mf_whitelist_result = fields.Selection(related="mf_whitelist_check_id.result", string="VAT White List")
    mf_whitelist_request_id = fields.Char(related="mf_whitelist_check_id.request_id", string="White List Request ID")
    mf_whitelist_checked_for = fields.Date(related="mf_whitelist_check_id.date", string="White List Checked For")
    mf_whitelist_source = fields.Selection(related="mf_whitelist_check_id.source", string="White List Source")
    mf_whitelist_warning = fields.Char(compute="_compute_mf_whitelist_warning")

    @api.depends("partner_id", "partner_bank_id", "payment_type", "date", "mf_whitelist_check_id")
    @api.depends_context("uid")
    def _compute_mf_whitelist_warning(self):
        for payment in self:
            if payment.payment_type != "outbound":
                payment.mf_whitelist_warning = False
            elif payment.mf_whitelist_check_id:
                payment.mf_whitelist_warning = whitelist_warning(
                    self.env, payment.partner_id, payment.partner_bank_id, payment.mf_whitelist_check_id.date
                )
            else:
                payment.mf_whitelist_warning = whitelist_warning(
                    self.env, payment.partner_id, payment.partner_bank_id, payment.date
                )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and any("mf_whitelist_check_id" in vals for vals in vals_list):
            raise AccessError(self.env._("The VAT white list check of a payment is set by the check only."))
        return super().create(vals_list)

    def write(self, vals):
        """The proof is written by the check only; a payment whose taxpayer or account
        changes loses it (it was about another account)."""
        if "mf_whitelist_check_id" in vals and not self.env.su:
            raise AccessError(self.env._("The VAT white list check of a payment is set by the check only."))
        result = super().write(vals)
        if {"partner_id", "partner_bank_id"} & set(vals):
            stale = self.filtered(
                lambda p: p.mf_whitelist_check_id
                and whitelist_pair(self.env, p.partner_id, p.partner_bank_id)
                != (p.mf_whitelist_check_id.nip, p.mf_whitelist_check_id.account)
            )
            if stale:
                super(AccountPayment, stale.sudo()).write({"mf_whitelist_check_id": False})
        return result

    def _mf_whitelist_record(self, use_api=False):
        """Check these outbound payments' accounts for their dates and keep the proof on
        each. Returns ``{payment: problem}`` for those that could not be checked."""
        provider = self.env["crm.client.registry.mf_whitelist"]
        problems = {}
        by_day = {}
        for payment in self.filtered(lambda p: p.payment_type == "outbound"):
            pair = whitelist_pair(self.env, payment.partner_id, payment.partner_bank_id)
            if pair:
                by_day.setdefault(min(payment.date, polish_today()), []).append((payment, pair))
        for day, planned in by_day.items():
            checks, missing = provider._whitelist_verify([pair for _p, pair in planned], day, use_api=use_api)
            for payment, pair in planned:
                if pair in checks:
                    # sudo: a posted payment is not editable, the proof is written by the check only
                    payment.sudo().mf_whitelist_check_id = checks[pair]
                else:
                    problems[payment] = missing.get(pair)
        return problems

    def action_mf_whitelist_check(self):
        """Check the selected payments' accounts on the white list (the flat file when it is
        loaded for their day, else the API) and keep the proof on each."""
        self.env["crm.client.registry.mf_whitelist"]._registry_check_access()
        self.check_access("write")
        problems = self._mf_whitelist_record(use_api=True)
        absent = self.filtered(lambda p: p.mf_whitelist_result == "absent")
        message = self.env._(
            "%(checked)s payments checked on the VAT white list, %(absent)s to an account not on it.",
            checked=len(self) - len(problems),
            absent=len(absent),
        )
        if problems:
            message += "\n" + "\n".join(
                f"{payment.display_name}: {problem}" for payment, problem in list(problems.items())[:5]
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "message": message,
                "type": "warning" if problems or absent else "success",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }
