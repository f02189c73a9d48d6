from odoo import api, models
from odoo.exceptions import UserError

from ..tools import brreg


class CrmClientRegistryBrreg(models.AbstractModel):
    """Norway's Enhetsregisteret (Brønnøysund) as a registry provider."""

    _name = "crm.client.registry.brreg"
    _inherit = "crm.client.registry"
    _description = "Brønnøysund Register Centre (Norway)"
    _registry_settings = "crm_clients_brreg"
    _registry_url = brreg.BASE_URL
    _registry_client = brreg.Client

    @api.model
    def _registry_label(self):
        return "Brønnøysund"

    @api.model
    def _brreg_number(self, partner):
        return brreg.organisation_number(partner.company_registry) or brreg.organisation_number(partner.vat)

    @api.model
    def _registry_applies(self, partner):
        return partner.country_id.code == "NO" and bool(self._brreg_number(partner))

    @api.model
    def _registry_error_messages(self, error, subject):
        return {
            "removed": self.env._("Brønnøysund has removed %(number)s from public disclosure.", number=subject),
            "network": self.env._("Brønnøysund cannot be reached (%(detail)s).", detail=error.detail),
            "malformed": self.env._("Brønnøysund sent an answer that cannot be read."),
            None: self.env._("Brønnøysund answered %(detail)s.", detail=error.detail),
        }

    @api.model
    def _brreg_unit(self, number):
        digits = brreg.organisation_number(number)
        if not digits:
            raise UserError(self.env._("%(number)s is not a Norwegian organisation number (9 digits).", number=number))

        def ask(client):
            data = client.unit(digits)
            return brreg.entity(data) if data else None

        return self._registry_fetch(digits, ask)

    @api.model
    def _registry_search(self, identifier, country_code=None):
        unit = self._brreg_unit(identifier)
        return [unit] if unit else []

    @api.model
    def _address_values(self, address):
        country = self.env["res.country"].search([("code", "=", address.get("country_code") or "NO")], limit=1)
        return {"street": address["street"], "zip": address["zip"], "city": address["city"], "country_id": country.id}

    @api.model
    def _registry_lookup(self, partner):
        unit = self._brreg_unit(self._brreg_number(partner))
        if not unit:
            return []
        main = unit["business_address"] or unit["postal_address"]
        values = {
            "name": unit["name"],
            "legal_name": unit["name"],
            **(self._address_values(main) if main else {}),
            "company_registry": unit["number"],
            "registry_legal_form": unit["legal_form"],
            "registry_industry_code": unit["industry_code"],
            "registry_industry_name": unit["industry_name"],
            "registry_registered_on": unit["registered_on"] or False,
            "registry_ended_on": unit["ended_on"] or False,
            "website": self.env["res.partner"]._clean_website(unit["website"]) if unit["website"] else False,
            "email": unit["email"] or False,
            "phone": unit["phone"] or False,
        }
        if unit["vat_registered"]:
            values["vat"] = f"NO{unit['number']}MVA"
        if unit["business_address"] and unit["postal_address"] and unit["postal_address"] != unit["business_address"]:
            values["child_addresses"] = [
                {"type": "other", "name": self.env._("Postal address"), **self._address_values(unit["postal_address"])}
            ]
        description = ", ".join(filter(None, (unit["legal_form"], main.get("city") if main else "")))
        if unit["ended_on"]:
            description += " · " + self.env._("deleted on %(date)s", date=unit["ended_on"])
        return [{"key": unit["number"], "label": unit["name"], "description": description, "values": values}]
