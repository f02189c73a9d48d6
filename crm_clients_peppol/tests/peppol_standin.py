"""Local stand-ins for the PEPPOL network, for tests and benchmarks.

``SmlDns`` is a DNS server (UDP on 127.0.0.1) answering NAPTR records like the new SML
(and legacy CNAME records for participants registered the old way), A / AAAA records for
SMP host names (names no other resolver knows: under ``.invalid``), NXDOMAIN otherwise,
matching names case-insensitively. ``Smp`` is an SMP serving real-shaped PEPPOL
ServiceGroup and SignedServiceMetadata documents, over HTTP or (``TlsSmp``) HTTPS. Both
count what they are asked and have switches for the faults and the hostile answers the
lookups must survive.
"""

import datetime
import ipaddress
import socket
import ssl
import threading
import time
from collections import Counter
from pathlib import Path
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
        self.hosts = {}  # host name -> list of address lists, one per query (the last one stays)
        self.calls = Counter()
        self.drop = False  # answer nothing: the resolver times out
        self.servfail = False
        self._sock = None

    def register(self, participant, smp_url, regexp_style="!.*!{}!"):
        self.naptr[peppol.naptr_name(participant, self.zone).lower()] = regexp_style.format(smp_url)

    def register_legacy(self, participant, target):
        self.cnames[peppol.cname_name(participant, self.zone).lower()] = target

    def add_host(self, name, *addresses, then=None):
        """A / AAAA records of ``name``; ``then``: the addresses answered from the second
        query on (a name that rebinds)."""
        self.hosts[name.lower()] = [list(addresses)] + ([list(then)] if then is not None else [])

    def _addresses(self, name, rdtype):
        answers = self.hosts[name]
        addresses = answers.pop(0) if len(answers) > 1 and rdtype == dns.rdatatype.A else answers[0]
        version = 4 if rdtype == dns.rdatatype.A else 6
        return [a for a in addresses if ipaddress.ip_address(a).version == version]

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
            elif question.rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA) and name in self.hosts:
                addresses = self._addresses(name, question.rdtype)
                if addresses:
                    rdtype = dns.rdatatype.to_text(question.rdtype)
                    response.answer.append(dns.rrset.from_text_list(question.name, 60, "IN", rdtype, addresses))
            elif name in self.naptr or name in self.cnames or name in self.hosts:
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
    """An SMP. ``participants`` maps a participant id to its document types.

    Hostile and faulty answers, each a switch: ``status`` (every answer fails with it),
    ``malformed``, ``answer_for`` (another participant), ``redirect`` (a base URL: every
    request is redirected there, path kept), ``href_base`` (the base URL written in the
    service group's references, by default its own), ``doctype`` (a DOCTYPE written before
    the service group), ``padding`` (bytes of XML comment after a service group, with its
    length announced or, with ``no_length``, streamed until the reader hangs up), ``drip``
    (seconds between the 16-byte pieces of a service group). ``sent`` counts the bytes of
    service groups sent, ``host_headers`` the Host headers received."""

    default_content_type = "text/xml"

    def __init__(self):
        self.participants = {}
        self.process = peppol.BIS_BILLING_PROCESS
        self.calls = Counter()
        self.host_headers = Counter()
        self.sent = 0
        self.reset()

    def reset(self):
        self.delay = 0.0
        self.status = None  # e.g. 500 or 503: every answer fails with it
        self.malformed = False
        self.answer_for = None  # a participant id answered instead of the one asked
        self.redirect = None
        self.href_base = None
        self.doctype = None
        self.padding = 0
        self.no_length = False
        self.drip = 0.0

    def add(self, participant, documents=(INVOICE, CREDIT_NOTE)):
        self.participants[participant.lower()] = (participant, list(documents))
        return self

    def handle(self, handler, method):
        path = unquote(handler.path.lstrip("/"))
        self.calls["requests"] += 1
        self.host_headers[handler.headers.get("Host")] += 1
        if self.delay:
            time.sleep(self.delay)
        if self.status:
            self._send(handler, self.status, "<html><body>Service Unavailable</body></html>", "text/html")
            return
        if self.redirect:
            self._send(handler, 302, "", "text/html", headers={"Location": self.redirect + handler.path})
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
            body = service_group(self.href_base or self.url, self.answer_for or participant, documents)
            if self.doctype:
                body = body.replace("?>", "?>" + self.doctype, 1)
            self._send_group(handler, body.encode())
            return
        document = document.removeprefix("busdox-docid-qns::")
        if document not in documents:
            self._send(handler, 404, "<!-- no such document type -->")
            return
        self.calls["service_metadata"] += 1
        self._send(handler, 200, signed_service_metadata(participant, document, self.process))

    def _send_group(self, handler, body):
        if not (self.padding or self.drip):
            self.sent += len(body)
            self._send(handler, 200, body)
            return
        padding_size = max(self.padding - 7, 0)
        handler.send_response(200)
        handler.send_header("Content-Type", self.default_content_type)
        if self.no_length:
            handler.send_header("Connection", "close")
            handler.close_connection = True
        else:
            handler.send_header("Content-Length", str(len(body) + (padding_size + 7 if self.padding else 0)))
        handler.end_headers()
        try:
            if self.drip:
                for start in range(0, len(body), 16):
                    self._write(handler, body[start : start + 16])
                    time.sleep(self.drip)
            else:
                self._write(handler, body)
            if self.padding:
                self._write(handler, b"<!--")
                piece = b" " * 65536
                for start in range(0, padding_size, len(piece)):
                    self._write(handler, piece[: padding_size - start])
                self._write(handler, b"-->")
        except OSError:
            handler.close_connection = True  # the reader hung up

    def _write(self, handler, data):
        handler.wfile.write(data)
        handler.wfile.flush()
        self.sent += len(data)


class TlsSmp(Smp):
    """An SMP over HTTPS, known by a host name, with a certificate from ``make_certificates``."""

    def start(self, host_name, cert_file, key_file, port=0):
        super().start(port=port)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        self.server_names = Counter()
        context.sni_callback = lambda sock, name, ctx: self.server_names.update([name])
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.url = f"https://{host_name}:{self._server.server_address[1]}"
        return self.url


def make_certificates(directory, host_name):
    """A test CA and a server certificate for ``host_name`` signed by it, as PEM files in
    ``directory``: (ca file, certificate file, key file)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    directory = Path(directory)
    now = datetime.datetime.now(datetime.timezone.utc)

    def certificate(subject, issuer, public_key, signing_key, extensions):
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
        )
        for extension, critical in extensions:
            builder = builder.add_extension(extension, critical=critical)
        return builder.sign(signing_key, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = certificate(
        "PEPPOL stand-in CA",
        "PEPPOL stand-in CA",
        ca_key.public_key(),
        ca_key,
        [(x509.BasicConstraints(ca=True, path_length=None), True)],
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = certificate(
        host_name,
        "PEPPOL stand-in CA",
        key.public_key(),
        ca_key,
        [(x509.SubjectAlternativeName([x509.DNSName(host_name)]), False)],
    )
    files = directory / "ca.pem", directory / "smp.pem", directory / "smp.key"
    files[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files[2].write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return tuple(str(f) for f in files)
