import logging

from odoo import api, models
from odoo.exceptions import UserError

from ..tools import vies

_logger = logging.getLogger(__name__)


class ViesUnavailable(UserError):
    """VIES or a member state could not answer now (a fault of ``vies.TRANSIENT``): the
    question is worth asking again later; it says nothing about the number."""

    def __init__(self, message, code):
        super().__init__(message)
        self.code = code


class CrmClientRegistryVies(models.AbstractModel):
    """EU VIES as a registry provider: validity with the consultation number that proves
    it, and name and address where the member state publishes them."""

    _name = "crm.client.registry.vies"
    _inherit = "crm.client.registry"
    _description = "EU VIES"
    _registry_settings = "crm_clients_vies"
    _registry_url = vies.SERVICE_URL

    @api.model
    def _registry_label(self):
        return "VIES"

    @api.model
    def _registry_applies(self, partner):
        return bool(self._vies_key(partner.vat, partner.country_id.code))

    @api.model
    def _vies_key(self, vat, country_code=None):
        """The number as VIES knows it ("LU26375245"), False when VIES cannot check it."""
        prefix, number = vies.split_vat(vat, country_code)
        return f"{prefix}{number}" if vat and prefix and number else False

    @api.model
    def _vies_requester(self, company):
        """The company's own EU VAT number as ``(prefix, number)``, sent as the requester so
        that VIES gives a consultation number; None when the company has none."""
        prefix, number = vies.split_vat(company.vat, company.country_id.code)
        return (prefix, number) if company.vat and prefix and number else None

    @api.model
    def _vies_check(self, vat, country_code=None, company=None):
        """The VIES answer for a VAT number asked on behalf of ``company`` (the current one
        by default), a dict, from the cache when fresh. A fault that says "not now" raises
        :class:`ViesUnavailable`, any other failure a ``UserError``."""
        prefix, number = vies.split_vat(vat, country_code)
        if not vat or not prefix or not number:
            raise UserError(
                self.env._("%(vat)s is not an EU VAT number VIES can check (country prefix missing).", vat=vat)
            )
        config = self._registry_config()
        wsdl_url = self.env["ir.config_parameter"].sudo().get_param("crm_clients_vies.wsdl_url") or vies.WSDL_URL
        company = company or self.env.company
        requester = self._vies_requester(company)
        # A consultation number belongs to its requester: answers are cached per requester.
        key = f"{prefix}{number}@{''.join(requester)}" if requester else f"{prefix}{number}"

        def ask(client, with_requester):
            try:
                return client.check(prefix, number, requester if with_requester else None)
            except vies.ViesError as exc:
                _logger.info("VIES check of %s failed: %s", key, exc)
                message = self._vies_error_message(exc, prefix, company)
                if exc.code in vies.TRANSIENT:
                    raise ViesUnavailable(message, exc.code) from exc
                raise UserError(message) from exc

        def fetch():
            try:
                client = vies.Client(config["url"], wsdl_url, config["timeout"], config["min_interval"])
            except vies.ViesError as exc:
                raise ViesUnavailable(self._vies_error_message(exc, prefix, company), exc.code) from exc
            refused = ""
            try:
                result = ask(client, bool(requester))
            except UserError as exc:
                # A company not registered for intra-EU trade is refused as the requester:
                # the number is still checked, without a consultation number.
                if not requester or "INVALID_REQUESTER_INFO" not in str(exc.__cause__):
                    raise
                refused = "".join(requester)
                result = ask(client, False)
            street, zip_code, city = vies.split_address(result.address)
            return {
                "valid": result.valid,
                "country_code": result.country_code,
                "vat_number": result.vat_number,
                "name": result.name,
                "address": result.address,
                "street": street,
                "zip": zip_code,
                "city": city,
                "request_date": result.request_date,
                "request_identifier": result.request_identifier,
                "requester": "".join(requester) if requester and not refused else "",
                "requester_refused": refused,
            }

        return self._registry_cached(key, config["cache_hours"], fetch)

    @api.model
    def _vies_error_message(self, exc, prefix, company):
        _ = self.env._
        busy_state = _("The %(country)s VIES service is busy. Try again in a moment.", country=prefix)
        busy = _("VIES is busy. Try again in a moment.")
        messages = {
            "INVALID_INPUT": _(
                "VIES refused the number: it is not shaped like a VAT number of %(country)s.", country=prefix
            ),
            "INVALID_REQUESTER_INFO": _(
                "VIES refused %(vat)s, the VAT number of %(company)s, as the requester of the check: correct it in "
                "the company's settings.",
                vat=company.vat,
                company=company.display_name,
            ),
            "MS_UNAVAILABLE": _(
                "VIES cannot check %(country)s numbers right now: that member state's service is unavailable. "
                "Try again later.",
                country=prefix,
            ),
            "MS_MAX_CONCURRENT_REQ": busy_state,
            "MS_MAX_CONCURRENT_REQ_TIME": busy_state,
            "GLOBAL_MAX_CONCURRENT_REQ": busy,
            "GLOBAL_MAX_CONCURRENT_REQ_TIME": busy,
            "SERVICE_UNAVAILABLE": _("VIES is unavailable. Try again later."),
            "TIMEOUT": _("VIES did not answer in time. Try again later."),
            "UNREACHABLE": _("VIES cannot be reached."),
            "MALFORMED": _("VIES sent an answer that cannot be read."),
            "REDIRECT": _("VIES answered with a redirection (%(detail)s), which is refused.", detail=exc.detail),
            "VAT_BLOCKED": _("VIES refuses to check this number (VAT_BLOCKED)."),
            "IP_BLOCKED": _("VIES refuses questions from this server's address (IP_BLOCKED)."),
        }
        return messages.get(exc.code) or _("VIES answered with an error: %(code)s.", code=exc.code)

    @api.model
    def _registry_lookup(self, partner):
        """Check the partner's number. The consultation is recorded on the partner as soon
        as VIES answers (it happened, whether or not the user applies the name and address);
        when VIES cannot answer now, the check becomes pending and is retried by the
        scheduled action, and the candidate carries no values."""
        key = self._vies_key(partner.vat, partner.country_id.code)
        company = partner.company_id or self.env.company
        try:
            answer = self._vies_check(partner.vat, partner.country_id.code, company)
        except ViesUnavailable as exc:
            partner._vies_set_pending(key, exc.args[0], exc.code)
            description = self.env._("pending: %(error)s The check will be retried automatically.", error=exc.args[0])
            return [{"key": key, "label": key, "description": description, "values": {}}]
        partner._vies_record(answer, key)
        values = {}
        if answer["valid"]:
            country_code = "GR" if answer["country_code"] == "EL" else answer["country_code"]
            country = self.env["res.country"].search([("code", "=", country_code)], limit=1)
            values.update(
                {
                    "legal_name": answer["name"] or False,
                    "name": answer["name"] or False,
                    "street": answer["street"] or False,
                    "zip": answer["zip"] or False,
                    "city": answer["city"] or False,
                    "country_id": country.id if country and answer["address"] else False,
                }
            )
        label = answer["name"] or f"{answer['country_code']}{answer['vat_number']}"
        description = self.env._("valid VAT number") if answer["valid"] else self.env._("not a valid VAT number")
        if answer["valid"] and not answer["name"]:
            description += " · " + self.env._("this member state does not publish name and address")
        return [{"key": answer["vat_number"], "label": label, "description": description, "values": values}]

    @api.model
    def _registry_search(self, identifier, country_code=None):
        return [self._vies_check(identifier, country_code)]
