"""EU VIES VAT number check (SOAP ``checkVatService`` through zeep), no ORM.

:meth:`Client.check` asks ``checkVatApprox`` (``checkVat`` plus the consultation number,
``requestIdentifier``, which VIES gives when the requester's own VAT number is sent) and
answers a :class:`Result`; a VIES fault (``MS_UNAVAILABLE``, ``INVALID_INPUT``...) or a
transport problem raises :class:`ViesError` with its ``code``. :data:`TRANSIENT` lists the
codes that say nothing about the number: VIES or a member state could not answer now.
"""

import copy
import logging
import re
import threading
from dataclasses import dataclass

import requests

from odoo.addons.crm_clients.tools.pacing import pace
from odoo.addons.crm_clients.tools.soap_registry import bounded_transport

# VIES answers requestDate as "2022-09-04+02:00" (an xsd:date with its offset), which
# zeep's date parser (isodate) logs as an error before keeping the text: that log is noise.
logging.getLogger("zeep.xsd.types.simple").setLevel(logging.CRITICAL)

SERVICE_URL = "https://ec.europa.eu/taxation_customs/vies/services/checkVatService"
WSDL_URL = "https://ec.europa.eu/taxation_customs/vies/checkVatService.wsdl"
# VIES prefixes: Greece is EL, Northern Ireland XI.
VIES_PREFIX = {"GR": "EL"}
MEMBER_STATES = {
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "GR", "ES", "FI", "FR", "HR", "HU", "IE", "IT", "LT", "LU", "LV",
    "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "XI",
}  # fmt: skip
UNDISCLOSED = "---"
# Faults that say "not now" (the WSDL's list, the *_TIME variants of the test service, and
# our own transport failures): the same question may be asked again later.
MEMBER_STATE_FAULTS = {"MS_UNAVAILABLE", "MS_MAX_CONCURRENT_REQ", "MS_MAX_CONCURRENT_REQ_TIME"}
TRANSIENT = MEMBER_STATE_FAULTS | {
    "GLOBAL_MAX_CONCURRENT_REQ",
    "GLOBAL_MAX_CONCURRENT_REQ_TIME",
    "SERVICE_UNAVAILABLE",
    "TIMEOUT",
    "UNREACHABLE",
}


class ViesError(Exception):
    def __init__(self, code, detail=""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


@dataclass
class Result:
    country_code: str
    vat_number: str
    valid: bool
    name: str
    address: str
    request_date: str  # YYYY-MM-DD, the day VIES answered (its own calendar)
    request_identifier: str = ""  # the consultation number; "" without a requester


def split_vat(vat, country_code=None):
    """(VIES country prefix, number) from a VAT number with or without its prefix."""
    compact = re.sub(r"[\s.\-/]", "", vat or "").upper()
    prefix = compact[:2]
    if prefix.isalpha() and (prefix in MEMBER_STATES or prefix == "EL"):
        return prefix, compact[2:]
    if country_code in MEMBER_STATES:
        return VIES_PREFIX.get(country_code, country_code), compact
    return None, compact


_PARSED = {}  # one parsed WSDL per process and address (parsing costs more than a check)
_SESSIONS = {}  # one HTTP session per process and service: its connections are reused
_LOCK = threading.Lock()


class Client:
    def __init__(self, service_url=SERVICE_URL, wsdl_url=WSDL_URL, timeout=20.0, min_interval=0.0):
        import zeep
        from zeep.cache import InMemoryCache

        self.min_interval = min_interval
        self.service_url = service_url
        self.requests_made = 0
        with _LOCK:
            if wsdl_url not in _PARSED:
                # Its schemas are loaded from the WSDL's own host only.
                transport = bounded_transport([wsdl_url], timeout=timeout, cache=InMemoryCache())
                try:
                    _PARSED[wsdl_url] = zeep.Client(wsdl_url, transport=transport)
                except requests.Timeout as exc:
                    raise ViesError("TIMEOUT", str(exc)) from exc
                except (requests.RequestException, OSError) as exc:
                    raise ViesError("UNREACHABLE", str(exc)) from exc
                except Exception as exc:
                    raise ViesError("MALFORMED", f"WSDL: {exc}") from exc
            parsed = _PARSED[wsdl_url]
            session = _SESSIONS.setdefault(service_url, requests.Session())
        # The parsed WSDL is shared; the transport, with this call's timeout, is ours.
        client = copy.copy(parsed)
        client.transport = bounded_transport([service_url], session=session, timeout=timeout, operation_timeout=timeout)
        self.service = client.create_service(
            "{urn:ec.europa.eu:taxud:vies:services:checkVat}checkVatBinding", service_url
        )

    def check(self, country_code, vat_number, requester=None):
        """The answer of ``checkVatApprox`` for a number; ``requester`` is the asking
        company's own ``(prefix, number)``, which makes VIES give a consultation number."""
        from zeep.exceptions import Fault
        from zeep.exceptions import TransportError
        from zeep.exceptions import XMLSyntaxError

        pace(self.service_url, self.min_interval)
        self.requests_made += 1
        arguments = {"countryCode": country_code, "vatNumber": vat_number}
        if requester:
            arguments.update(requesterCountryCode=requester[0], requesterVatNumber=requester[1])
        try:
            answer = self.service.checkVatApprox(**arguments)
        except Fault as exc:
            raise ViesError((exc.message or "FAULT").strip()) from exc
        except TransportError as exc:
            if 300 <= exc.status_code < 400:
                raise ViesError("REDIRECT", f"HTTP {exc.status_code}") from exc
            raise ViesError("SERVICE_UNAVAILABLE", f"HTTP {exc.status_code}") from exc
        except requests.Timeout as exc:
            raise ViesError("TIMEOUT", str(exc)) from exc
        except (requests.RequestException, OSError) as exc:
            raise ViesError("UNREACHABLE", str(exc)) from exc
        except (XMLSyntaxError, ValueError) as exc:
            raise ViesError("MALFORMED", str(exc)) from exc
        name = (answer.traderName or "").strip()
        address = (answer.traderAddress or "").strip()
        return Result(
            country_code=answer.countryCode or country_code,
            # VIES leaves the number empty in some "invalid" answers
            vat_number=answer.vatNumber or vat_number,
            valid=bool(answer.valid),
            name="" if name == UNDISCLOSED else name,
            address="" if address == UNDISCLOSED else address,
            # "2024-02-09+01:00" (kept as text by zeep) or a date
            request_date=str(answer.requestDate or "")[:10],
            request_identifier=(answer.requestIdentifier or "").strip(),
        )


_ZIP_CITY = re.compile(r"^(?:[A-Z]{1,2}[- ])?(\d{4} ?[A-Z]{2}|\d{2}[- ]?\d{3}|\d{4,5}|\d{3} ?\d{2})\s+(.+)$")


def split_address(address):
    """(street, zip, city) from VIES's free-text address ("STREET\\nZIP CITY" or one line)."""
    lines = [line.strip() for line in re.split(r"[\n\r]+", address or "") if line.strip()]
    if not lines:
        return "", "", ""
    match = _ZIP_CITY.match(lines[-1]) if len(lines) > 1 else None
    if match:
        return ", ".join(lines[:-1]), match.group(1), match.group(2).strip()
    one = re.sub(r"\s{2,}", " ", lines[0])
    match = re.search(r"(?:[A-Z]{1,2}-)?(\d{4,5})\s+([^\d,]+)$", one)
    if match:
        return one[: match.start()].strip(" ,"), match.group(1), match.group(2).strip()
    return " ".join(lines), "", ""
