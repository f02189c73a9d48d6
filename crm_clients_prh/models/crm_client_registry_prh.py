from odoo import api, models
from odoo.exceptions import UserError

from ..tools import prh


class CrmClientRegistryPrh(models.AbstractModel):
    """Finland's PRH open data company register (YTJ) as a registry provider."""

    _name = "crm.client.registry.prh"
    _inherit = "crm.client.registry"
    _description = "PRH / YTJ (Finland)"
    _registry_settings = "crm_clients_prh"
    _registry_url = prh.BASE_URL
    _registry_requests_per_second = 2
    _registry_client = prh.Client

    @api.model
    def _registry_label(self):
        return "PRH"

    @api.model
    def _prh_id(self, partner):
        return prh.business_id(partner.company_registry) or prh.business_id(partner.vat)

    @api.model
    def _registry_applies(self, partner):
        return partner.country_id.code == "FI" and bool(self._prh_id(partner))

    @api.model
    def _registry_error_messages(self, error, subject):
        return {
            "rate": self.env._("PRH limits requests: too many were made. Try again in a minute."),
            "network": self.env._("PRH cannot be reached (%(detail)s).", detail=error.detail),
            "malformed": self.env._("PRH sent an answer that cannot be read."),
            None: self.env._("PRH answered %(detail)s.", detail=error.detail),
        }

    @api.model
    def _prh_company(self, identifier):
        value = prh.business_id(identifier)
        if not value:
            raise UserError(self.env._("%(value)s is not a Finnish Business ID (1234567-8).", value=identifier))
        language = (self.env.lang or "en")[:2]

        def ask(client):
            company = client.company(value)
            return prh.entity(company, language) if company else None

        return self._registry_fetch(f"{value}:{language}", ask, subject=value)

    @api.model
    def _registry_search(self, identifier, country_code=None):
        company = self._prh_company(identifier)
        return [company] if company else []

    @api.model
    def _address(self, address):
        return {
            "street": address["street"],
            "zip": address["zip"],
            "city": address["city"],
            "country_id": self.env.ref("base.fi").id,
        }

    @api.model
    def _registry_lookup(self, partner):
        company = self._prh_company(self._prh_id(partner))
        if not company:
            return []
        main = company["visiting_address"] or company["postal_address"]
        values = {
            "name": company["name"],
            "legal_name": company["name"],
            **(self._address(main) if main else {}),
            "company_registry": company["business_id"],
            "registry_legal_form": company["company_form"],
            "registry_industry_code": company["business_line_code"],
            "registry_industry_name": company["business_line"],
            "registry_registered_on": company["registered_on"] or False,
            "registry_ended_on": company["ended_on"] or False,
            "website": self.env["res.partner"]._clean_website(company["website"]) if company["website"] else False,
        }
        if company["visiting_address"] and company["postal_address"]:
            values["child_addresses"] = [
                {"type": "other", "name": self.env._("Postal address"), **self._address(company["postal_address"])}
            ]
        description = ", ".join(filter(None, (company["company_form"], main.get("city") if main else "")))
        return [{"key": company["business_id"], "label": company["name"], "description": description, "values": values}]
