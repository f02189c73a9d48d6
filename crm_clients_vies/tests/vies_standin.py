"""A local stand-in for the EU VIES SOAP service (checkVatService), for tests.

Serves the real WSDL (address rewritten), answers SOAP 1.1 ``checkVat`` and
``checkVatApprox`` like the post-2022 service (``env:`` envelope, ``ns2:`` types, ``---``
for what a member state does not disclose, empty trader fields and no consultation number
in an "invalid" approximate answer) and its faults as HTTP 500 ``env:Server`` envelopes,
byte for byte like the captured ones (INVALID_INPUT, INVALID_REQUESTER_INFO,
MS_UNAVAILABLE, MS_MAX_CONCURRENT_REQ, GLOBAL_MAX_CONCURRENT_REQ, SERVICE_UNAVAILABLE,
TIMEOUT...).

``checkVatApprox`` with a requester gives a consultation number (``requestIdentifier``,
"WAPI" and twelve letters, as VIES issues them) only when the requester's own number is
valid, and refuses an unknown requester with INVALID_REQUESTER_INFO as VIES does.
Member states can be put out of service (``outage``) for a number of requests, the way
their services drop out several times a day.
"""

import itertools
import string
import time
from collections import Counter
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

from lxml import etree

from odoo.addons.crm_clients.tests.hostile_standin import chunked
from odoo.addons.crm_clients.tests.hostile_standin import huge_parts
from odoo.addons.crm_clients.tests.http_standin import HttpStandin

WSDL = Path(__file__).parent / "data" / "checkVatService.wsdl"
REAL_ADDRESS = "http://ec.europa.eu/taxation_customs/vies/services/checkVatService"
NS_SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
NS_TYPES = "urn:ec.europa.eu:taxud:vies:services:checkVat:types"
# The captured fault envelope (fault.INVALID_INPUT.2022.xml), the faultstring swapped.
FAULT = (
    f'<env:Envelope xmlns:env="{NS_SOAP}"><env:Header/><env:Body><env:Fault><faultcode>env:Server</faultcode>'
    "<faultstring>{code}</faultstring></env:Fault></env:Body></env:Envelope>"
)
_LETTERS = string.ascii_letters


def consultation_numbers():
    """Consultation numbers shaped like the real ones ("WAPIAAAAZNgfuVoL"), all different."""
    for serial in itertools.count(7_654_321):
        digits, left = [], serial
        for _ in range(12):
            left, rest = divmod(left, len(_LETTERS))
            digits.append(_LETTERS[rest])
        yield "WAPI" + "".join(reversed(digits))


class ViesStandin(HttpStandin):
    url_path = "/taxation_customs/vies/services/checkVatService"
    default_content_type = "text/xml;charset=UTF-8"

    def __init__(self):
        self.numbers = {}  # (country, number) -> (name, address); name/address "---" when undisclosed
        self.unavailable = set()  # member states answering MS_UNAVAILABLE until removed
        self.outages = {}  # member state -> [fault code, requests left (None: until removed)]
        # one-shot fault codes, or "hang", "huge" (an answer beyond any size limit),
        # "redirect" (a 307 to ``redirect_to``)
        self.faults = []
        self.hang_seconds = 3.0
        self.redirect_to = None
        self.calls = Counter()
        self.received = []  # each question: {"operation", "country", "number", "requester"}
        self.issued = []  # consultation numbers given, in order
        self._numbers = consultation_numbers()
        self.wsdl_url = None

    def add(self, country, number, name="---", address="---"):
        self.numbers[(country, number)] = (name, address)
        return self

    def outage(self, country, code="MS_UNAVAILABLE", requests=None):
        """Answer ``code`` to the next ``requests`` questions about ``country`` (all of
        them until :meth:`restore` when ``requests`` is None)."""
        self.outages[country] = [code, requests]
        return self

    def restore(self, country=None):
        """End the outage of ``country`` (of every member state when None)."""
        for key in [country] if country else [*self.outages, *self.unavailable]:
            self.outages.pop(key, None)
            self.unavailable.discard(key)

    def start(self, port=0):
        super().start(port)
        self.wsdl_url = f"{self.base_url}/taxation_customs/vies/checkVatService.wsdl"
        return self.url

    def handle(self, handler, method):
        if method == "GET":
            self._get(handler)
        else:
            self._post(handler)

    def _get(self, handler):
        if not handler.path.endswith(".wsdl"):
            self._send(handler, 404, "Not Found", "text/plain")
            return
        self.calls["wsdl"] += 1
        self._send(handler, 200, WSDL.read_text(encoding="utf-8").replace(REAL_ADDRESS, self.url))

    def _fault(self, handler, code):
        self.calls[f"fault {code}"] += 1
        self._send(handler, 500, FAULT.format(code=code))

    def _outage(self, country):
        if country in self.unavailable:
            return "MS_UNAVAILABLE"
        outage = self.outages.get(country)
        if not outage:
            return None
        code, left = outage
        if left is not None:
            outage[1] -= 1
            if outage[1] <= 0:
                del self.outages[country]
        return code

    def _post(self, handler):
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        self.calls["requests"] += 1
        fault = self.faults.pop(0) if self.faults else None
        if fault == "hang":
            time.sleep(self.hang_seconds)
        elif fault == "huge":
            chunked(handler, 200, self.default_content_type, huge_parts(b"<env:Envelope>", b"A", b"</env:Envelope>"))
            return
        elif fault == "redirect":
            self._send(handler, 307, "", "text/plain", headers={"Location": self.redirect_to})
            return
        elif fault:
            self._fault(handler, fault)
            return
        try:
            request = etree.fromstring(body)
            (question,) = request.find(f"{{{NS_SOAP}}}Body")
            operation = etree.QName(question).localname
            country = question.findtext(f"{{{NS_TYPES}}}countryCode").strip()
            number = question.findtext(f"{{{NS_TYPES}}}vatNumber").strip()
            requester = (
                (question.findtext(f"{{{NS_TYPES}}}requesterCountryCode") or "").strip(),
                (question.findtext(f"{{{NS_TYPES}}}requesterVatNumber") or "").strip(),
            )
        except (etree.XMLSyntaxError, AttributeError, ValueError):
            self._fault(handler, "INVALID_INPUT")
            return
        self.calls[operation] += 1
        self.received.append(
            {"operation": operation, "country": country, "number": number, "requester": "".join(requester)}
        )
        if operation not in ("checkVat", "checkVatApprox"):
            self._fault(handler, "INVALID_INPUT")
            return
        if len(country) != 2 or not number or not number.isalnum():
            self._fault(handler, "INVALID_INPUT")
            return
        if operation == "checkVatApprox" and any(requester) and requester not in self.numbers:
            self._fault(handler, "INVALID_REQUESTER_INFO")
            return
        code = self._outage(country)
        if code:
            self._fault(handler, code)
            return
        known = self.numbers.get((country, number))
        name, address = known if known else ("---", "---")
        head = (
            f"<ns2:countryCode>{country}</ns2:countryCode><ns2:vatNumber>{escape(number)}</ns2:vatNumber>"
            f"<ns2:requestDate>{date.today()}+01:00</ns2:requestDate>"
            f"<ns2:valid>{'true' if known else 'false'}</ns2:valid>"
        )
        if operation == "checkVat":
            answer = (
                f'<ns2:checkVatResponse xmlns:ns2="{NS_TYPES}">{head}<ns2:name>{escape(name)}</ns2:name>'
                f"<ns2:address>{escape(address)}</ns2:address></ns2:checkVatResponse>"
            )
        else:
            identifier = ""
            if known and any(requester):
                identifier = next(self._numbers)
                self.issued.append(identifier)
            answer = (
                f'<ns2:checkVatApproxResponse xmlns:ns2="{NS_TYPES}">{head}'
                f"<ns2:traderName>{escape(name) if known else ''}</ns2:traderName>"
                "<ns2:traderCompanyType>---</ns2:traderCompanyType>"
                f"<ns2:traderAddress>{escape(address) if known else ''}</ns2:traderAddress>"
                f"<ns2:requestIdentifier>{identifier}</ns2:requestIdentifier></ns2:checkVatApproxResponse>"
            )
        self._send(
            handler,
            200,
            f'<env:Envelope xmlns:env="{NS_SOAP}"><env:Header/><env:Body>{answer}</env:Body></env:Envelope>',
        )
