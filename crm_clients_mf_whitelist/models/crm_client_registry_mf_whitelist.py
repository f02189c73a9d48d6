import logging

from odoo import api, fields, models
from odoo.addons.crm_clients.tools import polish_ids
from odoo.exceptions import UserError

from ..tools import whitelist

_logger = logging.getLogger(__name__)


class CrmClientRegistryMfWhitelist(models.AbstractModel):
    """The Polish VAT white list as a registry provider."""

    _name = "crm.client.registry.mf_whitelist"
    _inherit = "crm.client.registry"
    _description = "Polish VAT White List"

    @api.model
    def _registry_label(self):
        return self.env._("VAT white list")

    @api.model
    def _nip(self, partner):
        if partner.country_id and partner.country_id.code != "PL":
            return None
        digits = polish_ids.nip_digits(partner.vat) if partner.vat else None
        return digits if digits and len(digits) == 10 else None

    @api.model
    def _registry_applies(self, partner):
        return bool(self._nip(partner))

    @api.model
    def _whitelist_subject(self, nip):
        try:
            nip = polish_ids.normalize_nip(nip or "")
        except polish_ids.InvalidIdentifier as exc:
            raise UserError(self.env["res.partner"]._client_invalid_id_message("NIP", exc)) from exc
        config = self._registry_config(
            "crm_clients_mf_whitelist", whitelist.BASE_URL, cache_hours=12, requests_per_second=2
        )
        today = fields.Date.context_today(self)

        def fetch():
            client = whitelist.Client.from_config(config)
            try:
                subject, request_id = client.search_nip(nip, today)
            except whitelist.WhitelistError as exc:
                _logger.info("White list lookup of %s failed: %s", nip, exc)
                messages = {
                    "limit": self.env._("The VAT white list's daily limit of requests is used up. Try again tomorrow."),
                    "network": self.env._("The VAT white list cannot be reached (%(detail)s).", detail=exc.detail),
                    "malformed": self.env._("The VAT white list sent an answer that cannot be read."),
                    "http": self.env._("The VAT white list answered %(detail)s.", detail=exc.detail),
                }
                raise UserError(
                    messages.get(exc.kind)
                    or self.env._(
                        "The VAT white list refused the request: %(code)s %(detail)s", code=exc.code, detail=exc.detail
                    )
                ) from exc
            return {"nip": nip, "request_id": request_id, "subject": subject}

        return self._registry_cached(f"{nip}:{today}", config["cache_hours"], fetch)

    @api.model
    def _registry_search(self, identifier, country_code=None):
        answer = self._whitelist_subject(identifier)
        return [{**answer["subject"], "requestId": answer["request_id"]}] if answer["subject"] else []

    @api.model
    def _registry_lookup(self, partner):
        answer = self._whitelist_subject(self._nip(partner))
        subject = answer["subject"]
        if not subject:
            return []
        street, zip_code, city = whitelist.split_address(
            subject.get("workingAddress") or subject.get("residenceAddress")
        )
        accounts = sorted(subject.get("accountNumbers") or [])
        status = whitelist.STATUSES.get(subject.get("statusVat"), "unregistered")
        values = {
            "name": subject.get("name") or False,
            "legal_name": subject.get("name") or False,
            "street": street or False,
            "zip": zip_code or False,
            "city": city or False,
            "regon": subject.get("regon") or False,
            "krs": subject.get("krs") or False,
            "mf_vat_status": status,
            "mf_accounts": accounts,
            "mf_request_id": answer["request_id"],
        }
        description = dict(self.env["res.partner"]._fields["mf_vat_status"]._description_selection(self.env))[status]
        description += " · " + self.env._("%(count)s bank accounts", count=len(accounts))
        return [{"key": answer["nip"], "label": subject.get("name", ""), "description": description, "values": values}]


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

    def _mf_account_listed(self, acc_number):
        """Whether an account is on this partner's (commercial entity's) white list.
        ``None`` when the white list was never checked for it."""
        self.ensure_one()
        partner = self.commercial_partner_id
        if partner.mf_vat_status is False:
            return None
        return whitelist.account_digits(acc_number) in (partner.mf_accounts or [])
