"""A local stand-in for the EU VIES SOAP service (checkVatService), for tests.

Serves the real WSDL (address rewritten), answers SOAP 1.1 ``checkVat`` like the post-2022
service (``env:`` envelope, ``ns2:`` types, ``---`` for what a member state does not
disclose) and its faults (INVALID_INPUT, MS_UNAVAILABLE, MS_MAX_CONCURRENT_REQ,
GLOBAL_MAX_CONCURRENT_REQ, SERVICE_UNAVAILABLE, TIMEOUT); member states can be switched
unavailable.
"""

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


class ViesStandin(HttpStandin):
    url_path = "/taxation_customs/vies/services/checkVatService"
    default_content_type = "text/xml;charset=UTF-8"

    def __init__(self):
        self.numbers = {}  # (country, number) -> (name, address); name/address "---" when undisclosed
        self.unavailable = set()  # member states answering MS_UNAVAILABLE
        # one-shot fault codes, or "hang", "huge" (an answer beyond any size limit),
        # "redirect" (a 307 to ``redirect_to``)
        self.faults = []
        self.hang_seconds = 3.0
        self.redirect_to = None
        self.calls = Counter()
        self.wsdl_url = None

    def add(self, country, number, name="---", address="---"):
        self.numbers[(country, number)] = (name, address)
        return self

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
        self._send(
            handler,
            500,
            f'<env:Envelope xmlns:env="{NS_SOAP}"><env:Header/><env:Body><env:Fault>'
            f"<faultcode>env:Server</faultcode><faultstring>{code}</faultstring></env:Fault></env:Body></env:Envelope>",
        )

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
            check = request.find(f"{{{NS_SOAP}}}Body/{{{NS_TYPES}}}checkVat")
            country = check.findtext(f"{{{NS_TYPES}}}countryCode").strip()
            number = check.findtext(f"{{{NS_TYPES}}}vatNumber").strip()
        except (etree.XMLSyntaxError, AttributeError):
            self._fault(handler, "INVALID_INPUT")
            return
        if len(country) != 2 or not number or not number.isalnum():
            self._fault(handler, "INVALID_INPUT")
            return
        if country in self.unavailable:
            self._fault(handler, "MS_UNAVAILABLE")
            return
        known = self.numbers.get((country, number))
        name, address = known if known else ("---", "---")
        self._send(
            handler,
            200,
            f'<env:Envelope xmlns:env="{NS_SOAP}"><env:Header/><env:Body>'
            f'<ns2:checkVatResponse xmlns:ns2="{NS_TYPES}"><ns2:countryCode>{country}</ns2:countryCode>'
            f"<ns2:vatNumber>{escape(number)}</ns2:vatNumber><ns2:requestDate>{date.today()}+01:00</ns2:requestDate>"
            f"<ns2:valid>{'true' if known else 'false'}</ns2:valid><ns2:name>{escape(name)}</ns2:name>"
            f"<ns2:address>{escape(address)}</ns2:address></ns2:checkVatResponse></env:Body></env:Envelope>",
        )
