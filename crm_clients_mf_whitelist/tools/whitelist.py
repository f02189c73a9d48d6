"""The Polish Ministry of Finance VAT white list ("Wykaz podatników VAT", wl-api.mf.gov.pl).

Three questions, each answered with the Ministry's request id (``requestId``, the proof of
the check) and always for a date (never in the future, never before 2019-09-01):
:meth:`Client.search_nip` (one taxpayer), :meth:`Client.search_nips` (up to 30 per request)
and :meth:`Client.check_account` (is this account the taxpayer's on that day). The API
counts requests per IP address and day (the Ministry publishes 100 searches of up to 30
identifiers and 5,000 checks); past the limit it answers HTTP 429 with WL-191, raised here
as an error of kind ``limit``, never as a "not on the list"."""

import re
from datetime import datetime

import pytz

from odoo.addons.crm_clients.tools.json_registry import JsonClient
from odoo.addons.crm_clients.tools.json_registry import RegistryError

BASE_URL = "https://wl-api.mf.gov.pl"
STATUSES = {"Czynny": "active", "Zwolniony": "exempt", "Niezarejestrowany": "unregistered"}
MAX_NIPS = 30  # identifiers per search request (WL-130 beyond)
POLAND = pytz.timezone("Europe/Warsaw")


def polish_today():
    """Today in Poland: the Ministry's day, whatever the user's or the server's time zone
    (it publishes each day's flat file at Polish midnight, and refuses a later date)."""
    return datetime.now(POLAND).date()


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

    def _result(self, path, on_date):
        """The ``result`` object of a GET for a date; the Ministry's errors raised."""
        response = self.get(path, params={"date": (on_date or polish_today()).isoformat()})
        try:
            data = response.json()
        except ValueError as exc:
            raise WhitelistError("malformed", detail=f"HTTP {response.status_code}, not JSON") from exc
        if not isinstance(data, dict):
            raise WhitelistError("malformed", detail="not an object")
        if response.status_code == 429:
            raise WhitelistError("limit", data.get("code", "WL-191"), data.get("message", ""))
        if response.status_code != 200:
            raise WhitelistError("api", data.get("code", f"HTTP {response.status_code}"), data.get("message", ""))
        result = data.get("result")
        if not isinstance(result, dict):
            raise WhitelistError("malformed", detail="no result")
        return result

    def search_nip(self, nip, on_date=None):
        """``(subject or None, request id)`` for a NIP on a date (today by default)."""
        result = self._result(f"/api/search/nip/{nip}", on_date)
        return result.get("subject"), result.get("requestId", "")

    def search_nips(self, nips, on_date=None):
        """``({nip: subject, None or an error (code, message)}, request id, request time)``
        for up to 30 NIPs in one request. A NIP the Ministry refuses (WL-113 to WL-115) is an
        error of its own entry; the others are answered."""
        if not 0 < len(nips) <= MAX_NIPS:
            raise ValueError(f"1 to {MAX_NIPS} NIPs per request, not {len(nips)}")
        result = self._result(f"/api/search/nips/{','.join(nips)}", on_date)
        answers = {}
        try:
            for entry in result["entries"]:
                if entry.get("error"):
                    answers[entry["identifier"]] = (entry["error"].get("code", ""), entry["error"].get("message", ""))
                else:
                    subjects = entry.get("subjects") or []
                    answers[entry["identifier"]] = subjects[0] if subjects else None
        except (KeyError, TypeError, AttributeError) as exc:
            raise WhitelistError("malformed", detail="no entries") from exc
        missing = set(nips) - set(answers)
        if missing:
            raise WhitelistError("malformed", detail=f"no entry for {', '.join(sorted(missing))}")
        return answers, result.get("requestId", ""), result.get("requestDateTime", "")

    def check_account(self, nip, account, on_date=None):
        """``(assigned, request id, request time)``: whether the 26-digit ``account`` is on
        the white list of ``nip`` on a date. An unknown or unregistered NIP is "not"."""
        result = self._result(f"/api/check/nip/{nip}/bank-account/{account}", on_date)
        assigned = result.get("accountAssigned")
        if assigned not in ("TAK", "NIE"):
            raise WhitelistError("malformed", detail=f"accountAssigned {assigned!r}")
        return assigned == "TAK", result.get("requestId", ""), result.get("requestDateTime", "")


def split_address(address):
    """("street", "zip", "city") from "CHEMIKÓW 7, 09-411 PŁOCK"."""
    match = re.match(r"^(.*?),?\s*(\d{2}-\d{3})\s+(.+)$", (address or "").strip())
    if not match:
        return (address or "").strip(), "", ""
    return match.group(1).strip(" ,"), match.group(2), match.group(3).strip()
