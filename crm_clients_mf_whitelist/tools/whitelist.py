"""The Polish Ministry of Finance VAT white list ("Wykaz podatników VAT", wl-api.mf.gov.pl)."""

import re
from datetime import date

from odoo.addons.crm_clients.tools.json_registry import JsonClient
from odoo.addons.crm_clients.tools.json_registry import RegistryError

BASE_URL = "https://wl-api.mf.gov.pl"
STATUSES = {"Czynny": "active", "Zwolniony": "exempt", "Niezarejestrowany": "unregistered"}


class WhitelistError(RegistryError):
    """kind: api (a WL-xxx code), limit, network, malformed"""

    def __init__(self, kind, code="", detail=""):
        super().__init__(kind, f"{code}: {detail}" if code else detail)
        self.code = code
        self.detail = detail


def account_digits(value):
    """The 26 digits of a Polish account number typed with spaces or a PL prefix."""
    digits = re.sub(r"[\s-]", "", value or "").upper().removeprefix("PL")
    return digits if re.fullmatch(r"\d{26}", digits) else None


class Client(JsonClient):
    error = WhitelistError

    def __init__(self, base_url=BASE_URL, timeout=20.0, min_interval=0.0):
        super().__init__(base_url, timeout=timeout, min_interval=min_interval)

    def search_nip(self, nip, on_date=None):
        """``(subject or None, request id)`` for a NIP on a date (today by default)."""
        response = self.get(f"/api/search/nip/{nip}", params={"date": (on_date or date.today()).isoformat()})
        try:
            data = response.json()
        except ValueError as exc:
            raise WhitelistError("malformed", detail=f"HTTP {response.status_code}, not JSON") from exc
        if response.status_code == 429:
            raise WhitelistError("limit", data.get("code", "WL-191"), data.get("message", ""))
        if response.status_code != 200:
            raise WhitelistError("api", data.get("code", f"HTTP {response.status_code}"), data.get("message", ""))
        try:
            result = data["result"]
            return result.get("subject"), result.get("requestId", "")
        except (KeyError, TypeError, AttributeError) as exc:
            raise WhitelistError("malformed", detail="no result") from exc


def split_address(address):
    """("street", "zip", "city") from "CHEMIKÓW 7, 09-411 PŁOCK"."""
    match = re.match(r"^(.*?),?\s*(\d{2}-\d{3})\s+(.+)$", (address or "").strip())
    if not match:
        return (address or "").strip(), "", ""
    return match.group(1).strip(" ,"), match.group(2), match.group(3).strip()
