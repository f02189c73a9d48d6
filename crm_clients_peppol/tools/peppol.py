"""PEPPOL participant lookup (SML by U-NAPTR, legacy CNAME fallback, SMP over HTTP).

Pure Python, no ORM. Identifiers: :func:`derive` proposes an EAS scheme and endpoint from
a country and the identifiers Odoo holds, :func:`validate` checks one against its scheme.
:class:`Lookup` resolves a participant and reads what its SMP publishes; each outcome is a
:class:`Result` whose ``status`` is ``registered``, ``not_registered`` or ``error``.
"""

import base64
import hashlib
import logging
import re
import threading
from dataclasses import dataclass
from dataclasses import field
from urllib.parse import quote
from urllib.parse import unquote

import requests
from lxml import etree
from stdnum import ean
from stdnum.at import uid as at_uid
from stdnum.be import vat as be_vat
from stdnum.de import vat as de_vat
from stdnum.dk import cvr as dk_cvr
from stdnum.es import nif as es_nif
from stdnum.fi import alv as fi_alv
from stdnum.fi import ytunnus as fi_ytunnus
from stdnum.fr import siret as fr_siret
from stdnum.it import iva as it_iva
from stdnum.nl import btw as nl_btw
from stdnum.no import orgnr as no_orgnr
from stdnum.pl import nip as pl_nip
from stdnum.se import orgnr as se_orgnr

_logger = logging.getLogger(__name__)

SCHEME = "iso6523-actorid-upis"
ZONES = {
    "production": "participant.sml.prod.tech.peppol.org",
    "test": "participant.sml.test.tech.peppol.org",
}
BIS_BILLING_INVOICE = (
    "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2::Invoice"
    "##urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0::2.1"
)
BIS_BILLING_PROCESS = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
_NS = {
    "busdox": "http://busdox.org/serviceMetadata/publishing/1.0/",
    "ids": "http://busdox.org/transport/identifiers/1.0/",
    "bdxr": "http://docs.oasis-open.org/bdxr/ns/SMP/2016/05",
}
_SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


class InvalidIdentifier(ValueError):
    pass


# ---- identifiers ----


def _compact(value):
    return re.sub(r"[\s.\-/]", "", value or "").upper()


def _strip_prefix(value, prefix):
    value = _compact(value)
    return value[len(prefix) :] if value.startswith(prefix) else value


def _digits(value):
    return "".join(ch for ch in value or "" if ch.isdigit())


def _be_number(value):
    digits = _strip_prefix(value, "BE")
    digits = digits.zfill(10) if digits.isdigit() and len(digits) == 9 else digits
    return digits if digits.isdigit() and len(digits) == 10 and be_vat.is_valid(digits) else None


def _validators():
    return {
        "9945": lambda v: pl_nip.is_valid(_strip_prefix(v, "PL")),
        "0208": lambda v: bool(_be_number(v)) and _digits(v) == _compact(v),
        "9925": lambda v: _compact(v).startswith("BE") and bool(_be_number(v)),
        "0106": lambda v: bool(re.fullmatch(r"\d{8}", _compact(v))),
        "9944": lambda v: _compact(v).startswith("NL") and nl_btw.is_valid(v),
        "9930": lambda v: _compact(v).startswith("DE") and de_vat.is_valid(v),
        "0009": lambda v: fr_siret.is_valid(v),
        "0211": lambda v: it_iva.is_valid(_strip_prefix(v, "IT")),
        "9920": lambda v: _compact(v).startswith("ES") and es_nif.is_valid(_strip_prefix(v, "ES")),
        "0192": lambda v: no_orgnr.is_valid(v),
        "0216": lambda v: bool(re.fullmatch(r"0037\d{8}\w{0,5}", _compact(v)))
        and fi_ytunnus.is_valid(_compact(v)[4:12]),
        "0213": lambda v: _compact(v).startswith("FI") and fi_alv.is_valid(v),
        "0007": lambda v: se_orgnr.is_valid(v),
        "0184": lambda v: dk_cvr.is_valid(_strip_prefix(v, "DK")),
        "9914": lambda v: _compact(v).startswith("ATU") and at_uid.is_valid(v),
        "0088": lambda v: len(_compact(v)) == 13 and ean.is_valid(_compact(v)),
    }


_VALIDATORS = _validators()


def validate(eas, endpoint):
    """Raise :class:`InvalidIdentifier` when the endpoint does not fit its scheme."""
    if not eas or not endpoint:
        raise InvalidIdentifier("a scheme and an endpoint are both needed")
    if re.search(r"[\s:]", endpoint) or len(endpoint) > 50:
        raise InvalidIdentifier("an endpoint has no spaces or colons and at most 50 characters")
    check = _VALIDATORS.get(eas)
    try:
        valid = check(endpoint) if check else True
    except Exception:  # noqa: BLE001 - stdnum raises on malformed input
        valid = False
    if not valid:
        raise InvalidIdentifier(f"{endpoint} is not a valid identifier for scheme {eas}")


def derive(country_code, vat=None, company_registry=None, gln=None):
    """(eas, endpoint) proposed for a partner, or ``(False, False)``."""
    vat, registry = _compact(vat), _compact(company_registry)
    candidates = []
    if country_code == "PL" and vat:
        candidates.append(("9945", "PL" + _strip_prefix(vat, "PL")))
    elif country_code == "BE":
        number = _be_number(registry) or _be_number(vat)
        if number:
            candidates.append(("0208", number))
        if vat:
            candidates.append(("9925", "BE" + _strip_prefix(vat, "BE")))
    elif country_code == "NL":
        if registry:
            candidates.append(("0106", registry))
        if vat:
            candidates.append(("9944", "NL" + _strip_prefix(vat, "NL")))
    elif country_code == "DE" and vat:
        candidates.append(("9930", "DE" + _strip_prefix(vat, "DE")))
    elif country_code == "FR" and registry:
        candidates.append(("0009", registry))
    elif country_code == "IT" and vat:
        candidates.append(("0211", "IT" + _strip_prefix(vat, "IT")))
    elif country_code == "ES" and vat:
        candidates.append(("9920", "ES" + _strip_prefix(vat, "ES")))
    elif country_code == "NO":
        number = registry or _strip_prefix(vat, "NO").removesuffix("MVA")
        candidates.append(("0192", number))
    elif country_code == "FI":
        if registry.startswith("0037"):
            candidates.append(("0216", registry))
        if vat:
            candidates.append(("0213", "FI" + _strip_prefix(vat, "FI")))
    elif country_code == "SE":
        number = registry or _strip_prefix(vat, "SE")[:10]
        candidates.append(("0007", number))
    elif country_code == "DK" and vat:
        candidates.append(("0184", _strip_prefix(vat, "DK")))
    elif country_code == "AT" and vat:
        candidates.append(("9914", "ATU" + _strip_prefix(vat, "ATU")))
    if gln:
        candidates.append(("0088", _compact(gln)))
    for eas, endpoint in candidates:
        try:
            validate(eas, endpoint)
        except InvalidIdentifier:
            continue
        return eas, endpoint
    return False, False


# ---- SML ----


def naptr_name(participant, zone):
    """U-NAPTR owner name: BASE32(SHA-256(lower-cased value)) without padding."""
    digest = hashlib.sha256(participant.lower().encode("utf-8")).digest()
    label = base64.b32encode(digest).decode("ascii").rstrip("=")
    return f"{label}.{SCHEME}.{ZONES.get(zone, zone)}"


def cname_name(participant, zone):
    """Legacy (pre-2025) name: ``B-`` + hex MD5 of the lower-cased value."""
    return f"B-{hashlib.md5(participant.lower().encode('utf-8')).hexdigest()}.{SCHEME}.{ZONES.get(zone, zone)}"  # noqa: S324 - the SML's own scheme


def apply_naptr_regexp(regexp, name):
    """Apply an RFC 3402 substitution expression (``!pattern!replacement!``) to ``name``."""
    if not regexp or len(regexp) < 3:
        raise ValueError("empty NAPTR regexp")
    delimiter = regexp[0]
    parts = regexp[1:].split(delimiter)
    if len(parts) < 2:
        raise ValueError(f"malformed NAPTR regexp {regexp!r}")
    pattern, replacement = parts[0], parts[1]
    replacement = re.sub(r"\\(\d)", r"\\g<\1>", replacement)
    return re.sub(pattern, replacement, name, count=1)


# ---- document types ----

_ROOTS = {
    "Invoice": "Invoice",
    "CreditNote": "Credit Note",
    "Order": "Order",
    "OrderResponse": "Order Response",
    "OrderChange": "Order Change",
    "OrderCancellation": "Order Cancellation",
    "DespatchAdvice": "Despatch Advice",
    "Catalogue": "Catalogue",
    "ApplicationResponse": "Invoice Response",
    "SelfBilledInvoice": "Self-billed Invoice",
    "SelfBilledCreditNote": "Self-billed Credit Note",
}


def document_type_name(document_id):
    """A readable name for a document type identifier ("Invoice (BIS Billing 3.0)")."""
    body = document_id.split("::", 1)[1] if document_id.startswith("busdox-docid-qns::") else document_id
    root = body.split("##", 1)[0].rsplit("::", 1)[-1]
    customization = body.split("##", 1)[1].rsplit("::", 1)[0] if "##" in body else ""
    name = _ROOTS.get(root, root)
    if "poacc:billing:3.0" in customization and "xrechnung" not in customization.lower():
        profile = "BIS Billing 3.0" if customization.endswith("billing:3.0") else "Billing 3.0 extension"
    elif "xrechnung" in customization.lower():
        profile = "XRechnung"
    elif "poacc:trns" in customization:
        transaction, _, version = customization.rsplit("poacc:trns:", 1)[1].partition(":")
        profile = f"Peppol {transaction.replace('_', ' ').title()} {version.split(':')[0]}".strip()
    elif customization:
        profile = customization.rsplit(":", 2)[-2] if customization.count(":") > 2 else customization
    else:
        profile = ""
    return f"{name} ({profile})" if profile else name


# ---- lookup ----


@dataclass
class Result:
    status: str
    error: str = ""
    smp_url: str = ""
    document_types: list = field(default_factory=list)
    can_receive_invoice: bool = False


class LookupError_(Exception):
    pass


class Lookup:
    """Resolve participants against one SML zone. Thread-safe: parallel checks share the
    SMP answers of this run (per SMP and path) and an HTTP session per SMP host."""

    def __init__(self, zone="production", dns_server=None, timeout=5.0):
        import dns.resolver

        self.zone = zone
        self.timeout = timeout
        self.resolver = dns.resolver.Resolver(configure=dns_server is None)
        if dns_server:
            host, _, port = dns_server.rpartition(":") if ":" in dns_server else (dns_server, "", "53")
            self.resolver.nameservers = [host]
            self.resolver.port = int(port)
        self.resolver.timeout = timeout
        self.resolver.lifetime = timeout
        self._sessions = {}
        self._answers = {}
        self._lock = threading.Lock()

    # -- DNS --

    def smp_url(self, participant):
        """The SMP base URL for a participant, or ``None`` when the SML has no entry
        (asked once per run and participant)."""
        key = ("dns", participant.lower())
        with self._lock:
            if key in self._answers:
                return self._answers[key]
        url = self._resolve_smp_url(participant)
        with self._lock:
            self._answers[key] = url
        return url

    def _resolve_smp_url(self, participant):
        import dns.exception
        import dns.resolver

        name = naptr_name(participant, self.zone)
        try:
            answer = self.resolver.resolve(name, "NAPTR")
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            answer = None
        except dns.exception.Timeout as exc:
            raise LookupError_(f"DNS timeout asking the SML for {name}") from exc
        except dns.exception.DNSException as exc:
            raise LookupError_(f"DNS error asking the SML: {exc}") from exc
        if answer is not None:
            records = sorted(
                (r for r in answer if r.flags.decode().upper() == "U" and r.service.decode() == "Meta:SMP"),
                key=lambda r: (r.order, r.preference),
            )
            if records:
                try:
                    return apply_naptr_regexp(records[0].regexp.decode(), name).rstrip("/")
                except (ValueError, re.error) as exc:
                    raise LookupError_(f"unreadable NAPTR record: {exc}") from exc
        # Legacy CNAME scheme, only where NAPTR has no answer.
        legacy = cname_name(participant, self.zone)
        try:
            cname = self.resolver.resolve(legacy, "CNAME")
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return None
        except dns.exception.Timeout as exc:
            raise LookupError_(f"DNS timeout asking the SML for {legacy}") from exc
        except dns.exception.DNSException as exc:
            raise LookupError_(f"DNS error asking the SML: {exc}") from exc
        # The old scheme fetched http://<legacy name>/..., which the CNAME sends to the
        # SMP's host: ask that host directly (same address, one resolution less).
        return f"http://{cname[0].target.to_text().rstrip('.')}"

    # -- HTTP --

    def _get(self, url):
        host = url.split("/", 3)[2]
        with self._lock:
            if url in self._answers:
                return self._answers[url]
            session = self._sessions.setdefault(host, requests.Session())
        try:
            response = session.get(url, timeout=self.timeout, headers={"Accept": "application/xml, text/xml"})
        except requests.Timeout as exc:
            raise LookupError_(f"the SMP at {host} did not answer in time") from exc
        except requests.RequestException as exc:
            raise LookupError_(f"the SMP at {host} cannot be reached: {exc.__class__.__name__}") from exc
        answer = (response.status_code, response.content)
        with self._lock:
            self._answers[url] = answer
        return answer

    @staticmethod
    def _xml(content, what):
        try:
            return etree.fromstring(content, parser=_SAFE_PARSER)  # noqa: S320 - entities and network off
        except etree.XMLSyntaxError as exc:
            raise LookupError_(f"the SMP answered a {what} that is not XML") from exc

    def check(self, eas, endpoint):
        """The registration of ``eas:endpoint``."""
        participant = f"{eas}:{endpoint}"
        try:
            base = self.smp_url(participant)
            if base is None:
                return Result("not_registered", "the SML has no entry for this participant")
            status, content = self._get(f"{base}/{quote(f'{SCHEME}::{participant}', safe='')}")
            if status == 404:
                return Result("not_registered", "the SMP does not know this participant", smp_url=base)
            if status != 200:
                raise LookupError_(f"the SMP answered HTTP {status}")
            group = self._xml(content, "service group")
            found = group.xpath("//*[local-name()='ParticipantIdentifier']/text()")
            if not found or found[0].strip().lower() != participant.lower():
                raise LookupError_(
                    f"the SMP answered for {found[0].strip() if found else 'no participant'}, not {participant}"
                )
            hrefs = group.xpath("//*[local-name()='ServiceMetadataReference']/@href")
            documents = []
            for href in hrefs:
                document_id = unquote(href.rsplit("/services/", 1)[-1])
                documents.append(
                    document_id.split("::", 1)[1] if document_id.startswith("busdox-docid-qns::") else document_id
                )
            can_receive = False
            invoice_href = next((h for h, d in zip(hrefs, documents, strict=True) if d == BIS_BILLING_INVOICE), None)
            if invoice_href:
                can_receive = self._accepts_billing_process(invoice_href)
            return Result(
                "registered",
                smp_url=base,
                document_types=[{"id": d, "name": document_type_name(d)} for d in documents],
                can_receive_invoice=can_receive,
            )
        except LookupError_ as exc:
            return Result("error", str(exc))

    def _accepts_billing_process(self, href):
        status, content = self._get(href)
        if status != 200:
            raise LookupError_(f"the SMP answered HTTP {status} for the invoice service metadata")
        metadata = self._xml(content, "service metadata")
        processes = [p.strip() for p in metadata.xpath("//*[local-name()='ProcessIdentifier']/text()")]
        return BIS_BILLING_PROCESS in processes
