from odoo import api, fields, models

from ..tools import whitelist


class ResPartner(models.Model):
    _inherit = "res.partner"

    mf_vat_status = fields.Selection(
        [("active", "Active VAT payer"), ("exempt", "VAT exempt"), ("unregistered", "Not registered for VAT")],
        string="VAT White List",
        readonly=True,
        copy=False,
        tracking=True,
    )
    mf_accounts = fields.Json(string="Bank Accounts on the White List", readonly=True, copy=False)
    mf_accounts_display = fields.Text(string="White-listed Accounts", compute="_compute_mf_accounts_display")
    mf_request_id = fields.Char(
        string="White List Request ID", readonly=True, copy=False, help="The Ministry's proof of the check"
    )

    @api.depends("mf_accounts")
    def _compute_mf_accounts_display(self):
        for partner in self:
            partner.mf_accounts_display = "\n".join(
                f"{n[:2]} {' '.join(n[i : i + 4] for i in range(2, 26, 4))}" for n in partner.mf_accounts or []
            )

    def _whitelist_bulk_update(self):
        """Server action: the selection's NIPs are asked 30 per request first, then each
        partner is updated on its own."""
        provider = self.env["crm.client.registry.mf_whitelist"]
        provider._registry_check_access()
        provider._whitelist_prefetch([provider._nip(p) for p in self if provider._registry_applies(p)])
        return self._registry_bulk_update("mf_whitelist")

    def _mf_account_listed(self, acc_number):
        """Whether an account is on this partner's (commercial entity's) white list.
        ``None`` when the white list was never checked for it."""
        self.ensure_one()
        partner = self.commercial_partner_id
        if partner.mf_vat_status is False:
            return None
        return whitelist.account_digits(acc_number) in (partner.mf_accounts or [])
