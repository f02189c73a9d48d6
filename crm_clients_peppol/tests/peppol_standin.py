"""Local stand-ins for the PEPPOL network, for tests and benchmarks.

``SmlDns`` is a DNS server (UDP on 127.0.0.1) answering NAPTR records like the new SML
(and legacy CNAME records for participants registered the old way), NXDOMAIN otherwise,
matching names case-insensitively. ``Smp`` is an SMP serving real-shaped PEPPOL
ServiceGroup and SignedServiceMetadata documents. Both count what they are asked and have
switches for the faults the lookups must survive.
"""

import socket
import threading
import time
from collections import Counter
from urllib.parse import quote
from urllib.parse import unquote
from xml.sax.saxutils import escape

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from odoo.addons.crm_clients.tests.http_standin import HttpStandin

from ..tools import peppol

INVOICE = peppol.BIS_BILLING_INVOICE
CREDIT_NOTE = (
    "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2::CreditNote"
    "##urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0::2.1"
)
ORDER = "urn:oasis:names:specification:ubl:schema:xsd:Order-2::Order##urn:fdc:peppol.eu:poacc:trns:order:3::2.1"
XRECHNUNG = (
    "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2::Invoice##urn:cen.eu:en16931:2017#compliant"
    "#urn:xeinkauf.de:kosit:xrechnung_3.0::2.1"
)


class SmlDns:
    """The SML zone: ``naptr`` maps owner names to SMP URLs, ``cnames`` legacy names to targets."""

    def __init__(self, zone="test"):
        self.zone = zone
        self.naptr = {}
        self.cnames = {}
        self.calls = Counter()
        self.drop = False  # answer nothing: the resolver times out
        self.servfail = False
        self._sock = None

    def register(self, participant, smp_url, regexp_style="!.*!{}!"):
        self.naptr[peppol.naptr_name(participant, self.zone).lower()] = regexp_style.format(smp_url)

    def register_legacy(self, participant, target):
        self.cnames[peppol.cname_name(participant, self.zone).lower()] = target

    def start(self):
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(("127.0.0.1", 0))
        threading.Thread(target=self._serve, daemon=True).start()
        return f"127.0.0.1:{self._sock.getsockname()[1]}"

    def stop(self):
        if self._sock:
            self._sock.close()
            self._sock = None

    def _serve(self):
        while self._sock:
            try:
                data, address = self._sock.recvfrom(4096)
            except OSError:
                return
            try:
                query = dns.message.from_wire(data)
            except Exception:  # noqa: BLE001 - garbage in, nothing out
                continue
            question = query.question[0]
            name = question.name.to_text().rstrip(".").lower()
            self.calls[dns.rdatatype.to_text(question.rdtype)] += 1
            if self.drop:
                continue
            response = dns.message.make_response(query)
            response.flags |= dns.flags.AA
            if self.servfail:
                response.set_rcode(dns.rcode.SERVFAIL)
            elif question.rdtype == dns.rdatatype.NAPTR and name in self.naptr:
                response.answer.append(
                    dns.rrset.from_text(
                        question.name, 60, "IN", "NAPTR", f'100 10 "U" "Meta:SMP" "{self.naptr[name]}" .'
                    )
                )
            elif question.rdtype == dns.rdatatype.CNAME and name in self.cnames:
                response.answer.append(dns.rrset.from_text(question.name, 60, "IN", "CNAME", self.cnames[name] + "."))
            elif name in self.naptr or name in self.cnames:
                pass  # the name exists, not with this type: NOERROR, empty answer
            else:
                response.set_rcode(dns.rcode.NXDOMAIN)
            try:
                self._sock.sendto(response.to_wire(), address)
            except OSError:
                return


def service_group(base_url, participant, documents):
    refs = "".join(
        f'<ServiceMetadataReference href="{escape(base_url)}/{quote(f"{peppol.SCHEME}::{participant}", safe="")}'
        f'/services/{quote(f"busdox-docid-qns::{document}", safe="")}"/>'
        for document in documents
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<ns3:ServiceGroup xmlns="http://busdox.org/transport/identifiers/1.0/" '
        'xmlns:ns2="http://www.w3.org/2000/09/xmldsig#" xmlns:ns3="http://busdox.org/serviceMetadata/publishing/1.0/" '
        'xmlns:ns4="http://www.w3.org/2005/08/addressing">'
        f'<ParticipantIdentifier scheme="{peppol.SCHEME}">{escape(participant)}</ParticipantIdentifier>'
        f"<ns3:ServiceMetadataReferenceCollection>{refs}</ns3:ServiceMetadataReferenceCollection>"
        "</ns3:ServiceGroup>"
    )


def signed_service_metadata(participant, document, process):
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<SignedServiceMetadata xmlns:ids="http://busdox.org/transport/identifiers/1.0/" '
        'xmlns="http://busdox.org/serviceMetadata/publishing/1.0/"><ServiceMetadata><ServiceInformation>'
        f'<ids:ParticipantIdentifier scheme="{peppol.SCHEME}">{escape(participant)}</ids:ParticipantIdentifier>'
        f'<ids:DocumentIdentifier scheme="busdox-docid-qns">{escape(document)}</ids:DocumentIdentifier>'
        "<ProcessList><Process>"
        f'<ids:ProcessIdentifier scheme="cenbii-procid-ubl">{escape(process)}</ids:ProcessIdentifier>'
        '<ServiceEndpointList><Endpoint transportProfile="peppol-transport-as4-v2_0">'
        '<EndpointReference xmlns="http://www.w3.org/2005/08/addressing"><Address>https://ap.example.test/as4</Address>'
        "</EndpointReference><RequireBusinessLevelSignature>false</RequireBusinessLevelSignature>"
        "<ServiceActivationDate>2024-01-01T00:00:00Z</ServiceActivationDate>"
        "<Certificate>MIIBszCCAVmgAwIBAgIUZXhhbXBsZQ==</Certificate><ServiceDescription>Access point</ServiceDescription>"
        "<TechnicalContactUrl>mailto:peppol@example.test</TechnicalContactUrl></Endpoint></ServiceEndpointList>"
        "</Process></ProcessList></ServiceInformation></ServiceMetadata>"
        '<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo>'
        '<CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
        '<SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>'
        '<Reference URI=""><DigestValue>c3RhbmQtaW4=</DigestValue></Reference></SignedInfo>'
        "<SignatureValue>c3RhbmQtaW4=</SignatureValue></Signature></SignedServiceMetadata>"
    )


class Smp(HttpStandin):
    default_content_type = "text/xml"

    """An SMP. ``participants`` maps a participant id to its document types."""

    def __init__(self):
        self.participants = {}
        self.process = peppol.BIS_BILLING_PROCESS
        self.calls = Counter()
        self.delay = 0.0
        self.status = None  # e.g. 500 or 503: every answer fails with it
        self.malformed = False
        self.answer_for = None  # a participant id answered instead of the one asked

    def add(self, participant, documents=(INVOICE, CREDIT_NOTE)):
        self.participants[participant.lower()] = (participant, list(documents))
        return self

    def handle(self, handler, method):
        path = unquote(handler.path.lstrip("/"))
        self.calls["requests"] += 1
        if self.delay:
            time.sleep(self.delay)
        if self.status:
            self._send(handler, self.status, "<html><body>Service Unavailable</body></html>", "text/html")
            return
        scheme, _, rest = path.partition("::")
        participant_id, _, document = rest.partition("/services/")
        entry = self.participants.get(participant_id.lower()) if scheme == peppol.SCHEME else None
        if entry is None:
            self.calls["404"] += 1
            self._send(
                handler,
                404,
                f"<!-- message : Could not find participant '{escape(path)}' "
                "exception : network.oxalis.vefa.peppol.publisher.lang.NotFoundException -->",
            )
            return
        participant, documents = entry
        if self.malformed:
            self._send(handler, 200, "<ServiceGroup><ParticipantIdentifier>")
            return
        if not document:
            self.calls["service_group"] += 1
            self._send(handler, 200, service_group(self.url, self.answer_for or participant, documents))
            return
        document = document.removeprefix("busdox-docid-qns::")
        if document not in documents:
            self._send(handler, 404, "<!-- no such document type -->")
            return
        self.calls["service_metadata"] += 1
        self._send(handler, 200, signed_service_metadata(participant, document, self.process))
