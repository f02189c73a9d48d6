"""Finland's PRH open data company register (YTJ, ``opendata-ytj-api/v3``), no ORM."""

import re

from odoo.addons.crm_clients.tools.json_registry import JsonClient
from odoo.addons.crm_clients.tools.json_registry import RegistryError

BASE_URL = "https://avoindata.prh.fi/opendata-ytj-api/v3"
_LANGUAGES = {"fi": "1", "sv": "2", "en": "3"}


class PrhError(RegistryError):
    """kind: http, rate, network, malformed"""


def business_id(value):
    """``1234567-8`` from a Business ID or a Finnish VAT number (``FI12345678``)."""
    compact = re.sub(r"[\s.]", "", value or "").upper().removeprefix("FI")
    digits = compact.replace("-", "")
    if re.fullmatch(r"\d{8}", digits):
        return f"{digits[:7]}-{digits[7]}"
    return None


class Client(JsonClient):
    error = PrhError

    def __init__(self, base_url=BASE_URL, timeout=20.0, min_interval=0.0):
        super().__init__(base_url, timeout=timeout, min_interval=min_interval)

    def company(self, business_id_value):
        response = self.get("/companies", params={"businessId": business_id_value})
        if response.status_code == 429:
            raise PrhError("rate", response.text[:200])
        if response.status_code != 200:
            try:
                message = response.json().get("message", "")
            except ValueError:
                message = ""
            raise PrhError("http", f"HTTP {response.status_code} {message}".strip())
        try:
            data = response.json()
            companies = data["companies"]
        except (ValueError, KeyError, TypeError) as exc:
            raise PrhError("malformed", "unexpected answer") from exc
        # PRH answers 200 with no companies for an unknown Business ID.
        return companies[0] if companies else None


def _text(descriptions, language):
    by_language = {d.get("languageCode"): d.get("description", "") for d in descriptions or []}
    return by_language.get(_LANGUAGES.get(language, "3")) or by_language.get("1") or ""


def entity(company, language="en"):
    """A flat dict of what the addon maps, from a v3 company."""
    names = [n for n in company.get("names") or [] if n.get("type") == "1" and not n.get("endDate")]
    line = company.get("mainBusinessLine") or {}
    forms = [f for f in company.get("companyForms") or [] if not f.get("endDate")]

    def address(kind):
        found = next((a for a in company.get("addresses") or [] if a.get("type") == kind), None)
        if not found:
            return {}
        offices = {o.get("languageCode"): o.get("city", "") for o in found.get("postOffices") or []}
        city = (offices.get(_LANGUAGES.get(language)) or offices.get("1") or next(iter(offices.values()), "")).title()
        street = " ".join(filter(None, (found.get("street"), found.get("buildingNumber"), found.get("entrance"))))
        if found.get("apartmentNumber"):
            street += f" {found['apartmentNumber']}{found.get('apartmentIdSuffix') or ''}"
        if not street and found.get("postOfficeBox"):
            street = f"PL {found['postOfficeBox']}"
        return {"street": street.strip(), "zip": found.get("postCode", ""), "city": city, "co": found.get("co", "")}

    return {
        "business_id": (company.get("businessId") or {}).get("value", ""),
        "name": names[0]["name"] if names else "",
        "business_line_code": line.get("type", ""),
        "business_line": _text(line.get("descriptions"), language),
        "company_form": _text(forms[0].get("descriptions"), language) if forms else "",
        "website": (company.get("website") or {}).get("url", ""),
        "visiting_address": address(1),
        "postal_address": address(2),
        "registered_on": company.get("registrationDate", ""),
        "ended_on": company.get("endDate", ""),
        "status": company.get("status", ""),
    }
