from odoo import api, fields, models
from odoo.addons.crm_clients_mf_whitelist.tools.whitelist import polish_today
from odoo.tools import format_amount

from .account_move import THRESHOLD_PLN
from .account_move import whitelist_pair
from .account_move import whitelist_warning


class AccountPaymentRegister(models.TransientModel):
    _inherit = "account.payment.register"

    mf_whitelist_warning = fields.Char(compute="_compute_mf_whitelist_warning")
    mf_whitelist_batch_warning = fields.Text(compute="_compute_mf_whitelist_batch")
    mf_whitelist_unchecked = fields.Integer(compute="_compute_mf_whitelist_batch")

    @api.depends("partner_id", "partner_bank_id", "payment_type", "payment_date")
    @api.depends_context("uid")
    def _compute_mf_whitelist_warning(self):
        for wizard in self:
            wizard.mf_whitelist_warning = (
                whitelist_warning(self.env, wizard.partner_id, wizard.partner_bank_id, wizard._mf_whitelist_day())
                if wizard.payment_type == "outbound"
                else False
            )

    def _mf_whitelist_day(self):
        today = polish_today()  # the Ministry answers for past days only
        return min(self.payment_date or today, today)

    def _mf_whitelist_planned(self):
        """The outbound payments this wizard will create: ``[(partner, bank, amount in the
        company's currency)]``, one per payment (a bill per payment unless grouped)."""
        self.ensure_one()
        batches = self.batches or []
        Partner, Bank = self.env["res.partner"], self.env["res.partner.bank"]
        if self.can_edit_wizard and batches and (len(batches[0]["lines"]) == 1 or self.group_payment):
            if self.payment_type != "outbound":
                return []
            amount = self.currency_id._convert(
                self.amount, self.company_id.currency_id, self.company_id, self.payment_date
            )
            return [(self.partner_id, self.partner_bank_id, amount)]
        planned = []
        for batch in batches:
            values = batch["payment_values"]
            if values.get("payment_type") != "outbound":
                continue
            partner, bank = Partner.browse(values["partner_id"]), Bank.browse(values["partner_bank_id"])
            lines = batch["lines"]
            groups = [lines] if self.group_payment else list(lines)
            planned += [(partner, bank, abs(sum(group.mapped("amount_residual")))) for group in groups]
        return planned

    def _mf_whitelist_pln(self, amount):
        """``amount`` (company currency) in PLN on the payment date."""
        company_currency = self.company_id.currency_id
        if company_currency.name == "PLN":
            return amount
        pln = self.env["res.currency"].with_context(active_test=False).search([("name", "=", "PLN")], limit=1)
        return company_currency._convert(amount, pln, self.company_id, self.payment_date) if pln else amount

    @api.depends("line_ids", "payment_date", "group_payment", "partner_bank_id", "amount", "payment_type")
    @api.depends_context("uid")
    def _compute_mf_whitelist_batch(self):
        """Every payment of the batch whose account is not on the white list for the
        payment date, or could not be checked, listed before anything is created."""
        provider = self.env["crm.client.registry.mf_whitelist"]
        for wizard in self:
            planned = wizard._mf_whitelist_planned() if wizard.line_ids else []
            day = wizard._mf_whitelist_day()
            pairs = {pair for partner, bank, _amount in planned if (pair := whitelist_pair(self.env, partner, bank))}
            known = provider._whitelist_known(provider._whitelist_pairs(pairs), day) if pairs else {}
            absent, unchecked = [], []
            currency = wizard.company_id.currency_id
            for partner, bank, amount in planned:
                pair = whitelist_pair(self.env, partner, bank)
                if not pair:
                    continue
                answer = known.get(pair)
                line = self.env._(
                    "%(partner)s: %(account)s, %(amount)s",
                    partner=partner.commercial_partner_id.display_name,
                    account=bank.acc_number,
                    amount=format_amount(self.env, amount, currency),
                )
                if answer is None:
                    unchecked.append(line)
                elif answer["result"] == "absent":
                    if wizard._mf_whitelist_pln(amount) > THRESHOLD_PLN:
                        line += " — " + self.env._("over 15,000 PLN: not deductible")
                    absent.append(line)
            parts = []
            if absent:
                parts.append(
                    self.env._(
                        "%(count)s payments go to accounts not on the VAT white list on %(day)s:",
                        count=len(absent),
                        day=day,
                    )
                )
                parts += [f"• {line}" for line in absent]
            if unchecked:
                parts.append(
                    self.env._(
                        "%(count)s payments could not be checked offline for %(day)s (no flat file loaded for that day "
                        "and no check recorded): use Check on the White List.",
                        count=len(unchecked),
                        day=day,
                    )
                )
                parts += [f"• {line}" for line in unchecked]
            # A single payment edited in the wizard has its own warning (its bank account can be changed).
            wizard.mf_whitelist_batch_warning = "\n".join(parts) if parts and (len(planned) > 1 or unchecked) else False
            wizard.mf_whitelist_unchecked = len(unchecked)

    def action_mf_whitelist_check(self):
        """Ask the white list (30 NIPs per request) about the payments the flat file could
        not answer for, record the proofs, and show the wizard again with the result."""
        self.ensure_one()
        provider = self.env["crm.client.registry.mf_whitelist"]
        provider._registry_check_access()
        pairs = [
            pair
            for partner, bank, _amount in self._mf_whitelist_planned()
            if (pair := whitelist_pair(self.env, partner, bank))
        ]
        _checks, problems = provider._whitelist_verify(pairs, self._mf_whitelist_day(), use_api=True)
        action = {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "context": self.env.context,
        }
        if problems:
            first = next(iter(problems.values()))
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "message": self.env._(
                        "%(count)s payments could not be checked: %(problem)s", count=len(problems), problem=first
                    ),
                    "type": "warning",
                    "sticky": True,
                    "next": action,
                },
            }
        return action

    def _create_payments(self):
        """Payments keep the proof of their white-list check (the flat file or a recorded
        API answer for their date)."""
        payments = super()._create_payments()
        payments.filtered(lambda p: p.payment_type == "outbound")._mf_whitelist_record()
        return payments
