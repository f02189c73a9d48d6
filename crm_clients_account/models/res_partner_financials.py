from odoo import fields, models

FINANCIALS = "crm_clients.group_client_financials"


class ResPartner(models.Model):
    _inherit = "res.partner"

    client_invoiced_this_year = fields.Monetary(
        string="Invoiced This Year", compute="_compute_client_financials", groups=FINANCIALS,
        help="Customer invoices minus credit notes dated this year, taxes included, in the company's currency.",
    )  # fmt: skip
    client_paid_to_date = fields.Monetary(
        string="Paid to Date", compute="_compute_client_financials", groups=FINANCIALS,
        help="What the client's posted customer invoices have been paid so far.",
    )  # fmt: skip
    client_amount_owing = fields.Monetary(
        string="Amount Owing", compute="_compute_client_financials", groups=FINANCIALS,
        help="What remains to be paid on the client's posted customer invoices.",
    )  # fmt: skip

    def _compute_client_financials(self):
        """Three sums for all these partners in one grouped query (a client's figures
        include its contacts' and billing entities' invoices)."""
        commercial = self.commercial_partner_id
        year_start = fields.Date.context_today(self).replace(month=1, day=1)
        domain = [
            ("commercial_partner_id", "in", commercial.ids),
            ("move_type", "in", ("out_invoice", "out_refund")),
            ("state", "=", "posted"),
            ("company_id", "in", self.env.companies.ids),
        ]
        Move = self.env["account.move"].sudo()
        totals = {
            partner.id: (total, residual)
            for partner, total, residual in Move._read_group(
                domain, ["commercial_partner_id"], ["amount_total_signed:sum", "amount_residual_signed:sum"]
            )
        }
        this_year = {
            partner.id: total
            for partner, total in Move._read_group(
                [*domain, ("invoice_date", ">=", year_start)], ["commercial_partner_id"], ["amount_total_signed:sum"]
            )
        }
        for partner in self:
            total, residual = totals.get(partner.commercial_partner_id.id, (0.0, 0.0))
            partner.client_invoiced_this_year = this_year.get(partner.commercial_partner_id.id, 0.0)
            partner.client_amount_owing = residual
            partner.client_paid_to_date = total - residual
