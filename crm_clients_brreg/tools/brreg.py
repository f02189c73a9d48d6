"""Norway's Enhetsregisteret (Brønnøysund Register Centre, data.brreg.no) open JSON API."""

import re

from odoo.addons.crm_clients.tools.json_registry import JsonClient
from odoo.addons.crm_clients.tools.json_registry import RegistryError

BASE_URL = "https://data.brreg.no/enhetsregisteret/api"


class BrregError(RegistryError):
    """kind: removed, http, network, malformed"""


def organisation_number(value):
    """The 9 digits of an organisation number typed as ``NO 923 609 016 MVA`` or plain."""
    digits = re.sub(r"\D", "", value or "")
    return digits if len(digits) == 9 else None


class Client(JsonClient):
    error = BrregError

    def __init__(self, base_url=BASE_URL, timeout=20.0, min_interval=0.0):
        super().__init__(base_url, timeout=timeout, min_interval=min_interval)

    def _get(self, path):
        response = self.get(path, headers={"Accept": "application/json"})
        if response.status_code == 404:
            return None
        if response.status_code == 410:
            raise BrregError("removed", "the unit was removed from public disclosure")
        if response.status_code != 200:
            raise BrregError("http", f"HTTP {response.status_code}")
        try:
            return response.json()
        except ValueError as exc:
            raise BrregError("malformed", "not JSON") from exc

    def unit(self, number):
        """The main unit (``enhet``) or, failing that, the sub-unit (``underenhet``)."""
        data = self._get(f"/enheter/{number}")
        if data is None:
            data = self._get(f"/underenheter/{number}")
        if data is not None and not isinstance(data, dict):
            raise BrregError("malformed", "unexpected JSON")
        return data


def entity(data):
    """A flat dict of what the addon maps, from an enhet/underenhet body."""
    business = data.get("forretningsadresse") or data.get("beliggenhetsadresse") or {}
    postal = data.get("postadresse") or {}
    industry = data.get("naeringskode1") or {}
    form = data.get("organisasjonsform") or {}

    def address(block):
        return {
            "street": ", ".join(line.strip() for line in block.get("adresse") or [] if line.strip()),
            "zip": block.get("postnummer") or "",
            "city": (block.get("poststed") or "").title(),
            "country_code": block.get("landkode") or "",
        }

    return {
        "number": data.get("organisasjonsnummer", ""),
        "name": data.get("navn", ""),
        "legal_form": form.get("beskrivelse", ""),
        "legal_form_code": form.get("kode", ""),
        "industry_code": industry.get("kode", ""),
        "industry_name": industry.get("beskrivelse", ""),
        "website": data.get("hjemmeside", ""),
        "email": data.get("epostadresse", ""),
        "phone": data.get("telefon", "") or data.get("mobil", ""),
        "business_address": address(business) if business else {},
        "postal_address": address(postal) if postal else {},
        "registered_on": data.get("registreringsdatoEnhetsregisteret") or data.get("oppstartsdato") or "",
        "ended_on": data.get("slettedato") or data.get("nedleggelsesdato") or "",
        "vat_registered": bool(data.get("registrertIMvaregisteret")),
        "bankrupt": bool(data.get("konkurs")),
    }
