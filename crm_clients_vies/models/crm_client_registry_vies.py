import logging

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools import vies

_logger = logging.getLogger(__name__)


class CrmClientRegistryVies(models.AbstractModel):
    """EU VIES as a registry provider: validity, and name and address where the member
    state publishes them."""

    _name = "crm.client.registry.vies"
    _inherit = "crm.client.registry"
    _description = "EU VIES"

    @api.model
    def _registry_label(self):
        return "VIES"

    @api.model
    def _registry_applies(self, partner):
        prefix, number = vies.split_vat(partner.vat, partner.country_id.code)
        return bool(partner.vat and prefix and number)

    @api.model
    def _vies_check(self, vat, country_code=None):
        """The VIES answer for a VAT number (a dict), from the cache when fresh."""
        prefix, number = vies.split_vat(vat, country_code)
        if not prefix or not number:
            raise UserError(
                self.env._("%(vat)s is not an EU VAT number VIES can check (country prefix missing).", vat=vat)
            )
        config = self._registry_config("crm_clients_vies", vies.SERVICE_URL)
        wsdl_url = self.env["ir.config_parameter"].sudo().get_param("crm_clients_vies.wsdl_url") or vies.WSDL_URL
        key = f"{prefix}{number}"

        def fetch():
            try:
                client = vies.Client(config["url"], wsdl_url, config["timeout"], config["min_interval"])
                result = client.check(prefix, number)
            except vies.ViesError as exc:
                _logger.info("VIES check of %s failed: %s", key, exc)
                raise UserError(self._vies_error_message(exc, prefix)) from exc
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
            }

        return self._registry_cached(key, config["cache_hours"], fetch)

    @api.model
    def _vies_error_message(self, exc, prefix):
        _ = self.env._
        messages = {
            "INVALID_INPUT": _(
                "VIES refused the number: it is not shaped like a VAT number of %(country)s.", country=prefix
            ),
            "MS_UNAVAILABLE": _(
                "VIES cannot check %(country)s numbers right now: that member state's service is unavailable. "
                "Try again later.",
                country=prefix,
            ),
            "MS_MAX_CONCURRENT_REQ": _("The %(country)s VIES service is busy. Try again in a moment.", country=prefix),
            "GLOBAL_MAX_CONCURRENT_REQ": _("VIES is busy. Try again in a moment."),
            "SERVICE_UNAVAILABLE": _("VIES is unavailable. Try again later."),
            "TIMEOUT": _("VIES did not answer in time. Try again later."),
            "UNREACHABLE": _("VIES cannot be reached."),
            "MALFORMED": _("VIES sent an answer that cannot be read."),
        }
        return messages.get(exc.code) or _("VIES answered with an error: %(code)s.", code=exc.code)

    @api.model
    def _registry_lookup(self, partner):
        answer = self._vies_check(partner.vat, partner.country_id.code)
        country = self.env["res.country"].search(
            [("code", "=", "GR" if answer["country_code"] == "EL" else answer["country_code"])], limit=1
        )
        values = {"vies_status": "valid" if answer["valid"] else "invalid"}
        if answer["valid"]:
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


class ResPartner(models.Model):
    _inherit = "res.partner"

    vies_status = fields.Selection(
        [("valid", "Valid"), ("invalid", "Not Valid")], string="VIES", readonly=True, copy=False, tracking=True
    )
