"""PEPPOL participant lookup (SML by U-NAPTR, legacy CNAME fallback, SMP over HTTP).

Pure Python, no ORM. Identifiers: :func:`derive` proposes an EAS scheme and endpoint from
a country and the identifiers Odoo holds, :func:`validate` checks one against its scheme.
:class:`Lookup` resolves a participant and reads what its SMP publishes; each outcome is a
:class:`Result` whose ``status`` is ``registered``, ``not_registered`` or ``error``.

SMP addresses come from DNS and from the SMPs themselves, so none is trusted: only http
and https without credentials, redirects followed a few times and each hop checked, the
service metadata on the service group's own host, and every host name resolved once and
connected to at the address checked (public addresses only, unless private networks are
allowed). Answers are read up to a size cap, XML without DTDs. Messages are lazily
translated (``_lt``): the ORM side turns them into the user's language.
"""

import base64
import hashlib
import ipaddress
import logging
import re
import socket
import threading
import time
from dataclasses import dataclass
from dataclasses import field
from http.client import HTTPException
from urllib.parse import quote
from urllib.parse import unquote
from urllib.parse import urljoin
from urllib.parse import urlsplit

import certifi
import urllib3
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

from odoo.tools.translate import LazyTranslate

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
_lt = LazyTranslate("crm_clients_peppol", default_lang="en_US")


class InvalidIdentifier(ValueError):
    """``message``: why, lazily translated."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


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
        raise InvalidIdentifier(_lt("a scheme and an endpoint are both needed"))
    if re.search(r"[\s:]", endpoint) or len(endpoint) > 50:
        raise InvalidIdentifier(_lt("an endpoint has no spaces or colons and at most 50 characters"))
    check = _VALIDATORS.get(eas)
    try:
        valid = check(endpoint) if check else True
    except Exception:  # noqa: BLE001 - stdnum raises on malformed input
        valid = False
    if not valid:
        raise InvalidIdentifier(
            _lt("%(endpoint)s is not a valid identifier for scheme %(eas)s", endpoint=endpoint, eas=eas)
        )


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


# ---- where a lookup may go ----

DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_REDIRECTS = 3
MAX_ANSWER_BYTES = 2 * 1024 * 1024
ANSWER_TIME_FACTOR = 4  # an answer arrives in full within this many timeouts
_REDIRECTS = (301, 302, 303, 307, 308)
# Cloud metadata services: never reached, even where private networks are allowed.
_METADATA = {ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")}
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def address_kind(address):
    """``public``; ``private`` (loopback, RFC 1918, fc00::/7, shared and documentation
    ranges...: reached only where private networks are allowed); or ``never``
    (link-local, multicast, unspecified, reserved, cloud metadata). IPv6 forms that carry
    an IPv4 address (mapped, 6to4, NAT64) are judged by that address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6:
        ip = ip.ipv4_mapped or ip.sixtofour or (ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF) if ip in _NAT64 else ip)
    if ip in _METADATA or ip.is_link_local or ip.is_multicast or ip.is_unspecified:
        return "never"
    if ip.is_loopback or getattr(ip, "is_site_local", False):  # fec0::/10, deprecated site-local
        return "private"
    if ip.is_reserved:
        return "never"
    return "public" if ip.is_global and not ip.is_private else "private"


def _is_ip_address(host):
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def _shorten(text, size=120):
    return text if len(text) <= size else text[: size - 1] + "…"


@dataclass(frozen=True)
class Target:
    """A checked SMP URL: where to connect (``host``, ``port``) and what to ask (``path``)."""

    url: str
    scheme: str
    host: str
    port: int
    path: str

    @property
    def host_header(self):
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"

    def same_smp(self, other):
        """Same host name and port (or both on their scheme's standard port: an SMP behind
        a TLS proxy may write http:// references)."""
        return self.host == other.host and (
            self.port == other.port
            or (self.port == DEFAULT_PORTS[self.scheme] and other.port == DEFAULT_PORTS[other.scheme])
        )


def parse_smp_url(url):
    """The :class:`Target` of an SMP URL, or :class:`Refused` when it breaks a rule:
    http or https only, a host, no credentials, no spaces or control characters."""
    url = url or ""
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise Refused(_lt("the SMP address %(url)s is malformed", url=_shorten(repr(url))))
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise Refused(_lt("the SMP address %(url)s is malformed", url=_shorten(url))) from exc
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise Refused(_lt("the SMP address %(url)s is not an http or https address", url=_shorten(url)))
    if "@" in parts.netloc:
        # The credentials are never shown (nor given to babel's extraction as code).
        hidden = f"{scheme}://…@{_shorten(parts.netloc.rpartition('@')[2], 60)}"
        raise Refused(_lt("the SMP address %(url)s carries credentials", url=hidden))
    try:
        host = (parts.hostname or "").rstrip(".").encode("idna").decode("ascii")
    except UnicodeError:
        host = ""
    if not host:
        raise Refused(_lt("the SMP address %(url)s is malformed", url=_shorten(url)))
    # What requests did: non-ASCII and unsafe characters escaped, escapes kept.
    path = quote(parts.path or "/", safe="!#$%&'()*+,/:;=?@[]~")
    if parts.query:
        path += "?" + quote(parts.query, safe="!#$%&'()*+,/:;=?@[]~")
    return Target(url, scheme, host, port or DEFAULT_PORTS[scheme], path)


# ---- lookup ----


@dataclass(eq=False)
class Result:
    """``error``: a lazily translated message (or ``""``)."""

    status: str
    error: object = ""
    smp_url: str = ""
    document_types: list = field(default_factory=list)
    can_receive_invoice: bool = False


class LookupError_(Exception):
    """A failed lookup; ``message`` says why, lazily translated."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class Refused(LookupError_):
    """A lookup that would have gone where lookups may not go."""


class Lookup:
    """Resolve participants against one SML zone. Thread-safe: parallel checks share the
    answers of this run (SML entries, host addresses, service groups and metadata, each
    asked once) and a connection pool per SMP address.

    ``allow_private``: reach loopback and private addresses too (private networks, tests).
    ``max_bytes``: the largest answer read. ``ca_bundle``: the CAs trusted for https
    (certifi's by default). ``connections``: connections kept per SMP address."""

    def __init__(
        self,
        zone="production",
        dns_server=None,
        timeout=5.0,
        allow_private=False,
        max_bytes=MAX_ANSWER_BYTES,
        ca_bundle=None,
        connections=16,
    ):
        import dns.resolver

        self.zone = zone
        self.timeout = timeout
        self.allow_private = allow_private
        self.max_bytes = max_bytes
        self.ca_bundle = ca_bundle or certifi.where()
        self.connections = connections
        self.use_dns_server = bool(dns_server)
        self.resolver = dns.resolver.Resolver(configure=dns_server is None)
        if dns_server:
            host, _, port = dns_server.rpartition(":") if ":" in dns_server else (dns_server, "", "53")
            self.resolver.nameservers = [host]
            self.resolver.port = int(port)
        self.resolver.timeout = timeout
        self.resolver.lifetime = timeout
        self._pools = {}
        self._answers = {}
        self._key_locks = {}
        self._lock = threading.Lock()

    def close(self):
        """Close the connections of this run."""
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.close()

    def _once(self, key, compute):
        """``compute()``, once per run and key even when threads ask together (a failure
        is not kept: the next one asks again)."""
        with self._lock:
            if key in self._answers:
                return self._answers[key]
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._answers:
                    return self._answers[key]
            value = compute()
            with self._lock:
                self._answers[key] = value
            return value

    # -- DNS --

    def smp_url(self, participant):
        """The SMP base URL for a participant, or ``None`` when the SML has no entry
        (asked once per run and participant)."""
        return self._once(("dns", participant.lower()), lambda: self._resolve_smp_url(participant))

    def _resolve_smp_url(self, participant):
        import dns.exception
        import dns.resolver

        name = naptr_name(participant, self.zone)
        try:
            answer = self.resolver.resolve(name, "NAPTR")
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            answer = None
        except dns.exception.Timeout as exc:
            raise LookupError_(_lt("DNS timeout asking the SML for %(name)s", name=name)) from exc
        except dns.exception.DNSException as exc:
            raise LookupError_(_lt("DNS error asking the SML: %(error)s", error=str(exc))) from exc
        if answer is not None:
            records = sorted(
                (r for r in answer if r.flags.decode().upper() == "U" and r.service.decode() == "Meta:SMP"),
                key=lambda r: (r.order, r.preference),
            )
            if records:
                try:
                    return apply_naptr_regexp(records[0].regexp.decode(), name).rstrip("/")
                except (ValueError, re.error) as exc:
                    raise LookupError_(_lt("unreadable NAPTR record: %(error)s", error=str(exc))) from exc
        # Legacy CNAME scheme, only where NAPTR has no answer.
        legacy = cname_name(participant, self.zone)
        try:
            cname = self.resolver.resolve(legacy, "CNAME")
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return None
        except dns.exception.Timeout as exc:
            raise LookupError_(_lt("DNS timeout asking the SML for %(name)s", name=legacy)) from exc
        except dns.exception.DNSException as exc:
            raise LookupError_(_lt("DNS error asking the SML: %(error)s", error=str(exc))) from exc
        # The old scheme fetched http://<legacy name>/..., which the CNAME sends to the
        # SMP's host: ask that host directly (same address, one resolution less).
        return f"http://{cname[0].target.to_text().rstrip('.')}"

    def _addresses(self, host):
        """The addresses of ``host`` this run may connect to (asked once), or
        :class:`Refused` when none is allowed."""
        addresses = self._once(("address", host), lambda: self._resolve_host(host))
        allowed = [
            a for a in addresses if address_kind(a) == "public" or (self.allow_private and address_kind(a) == "private")
        ]
        if allowed:
            return allowed
        address = addresses[0]
        if address_kind(address) == "never":
            raise Refused(
                _lt(
                    "the SMP at %(host)s (%(address)s) is on a link-local, multicast, reserved or cloud metadata "
                    "address, which is never reached: refused",
                    host=host,
                    address=address,
                )
            )
        raise Refused(
            _lt(
                "the SMP at %(host)s (%(address)s) is on a private or local network: refused (reached only "
                "when the system parameter crm_clients_peppol.allow_private_networks is set)",
                host=host,
                address=address,
            )
        )

    def _resolve_host(self, host):
        """A host's addresses: an IP address is itself; a name is asked from the configured
        DNS server (A, then AAAA), else from the system's resolver."""
        if _is_ip_address(host):
            return [host]
        if not self.use_dns_server:
            try:
                infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
            except (OSError, UnicodeError) as exc:
                raise LookupError_(
                    _lt("the SMP host name %(host)s cannot be resolved: %(error)s", host=host, error=str(exc))
                ) from exc
            return list(dict.fromkeys(info[4][0] for info in infos))
        import dns.exception
        import dns.resolver

        addresses = []
        for rdtype in ("A", "AAAA"):
            try:
                addresses += [record.address for record in self.resolver.resolve(host, rdtype)]
            except dns.resolver.NXDOMAIN as exc:
                raise LookupError_(_lt("the SMP host name %(host)s does not exist in DNS", host=host)) from exc
            except dns.resolver.NoAnswer:
                continue
            except dns.exception.Timeout as exc:
                raise LookupError_(_lt("DNS timeout resolving the SMP host name %(host)s", host=host)) from exc
            except dns.exception.DNSException as exc:
                raise LookupError_(
                    _lt("DNS error resolving the SMP host name %(host)s: %(error)s", host=host, error=str(exc))
                ) from exc
        if not addresses:
            raise LookupError_(_lt("the SMP host name %(host)s has no address", host=host))
        return addresses

    # -- HTTP --

    def _pool(self, target, address):
        key = (target.scheme, address, target.port, target.host)
        with self._lock:
            pool = self._pools.get(key)
            if pool is None:
                options = {
                    "maxsize": self.connections,
                    "retries": False,
                    "timeout": urllib3.Timeout(connect=self.timeout, read=self.timeout),
                }
                if target.scheme == "https":
                    # Connected to the checked address; the TLS server name and the
                    # certificate check stay those of the SMP's host name.
                    pool = urllib3.HTTPSConnectionPool(
                        address,
                        target.port,
                        cert_reqs="CERT_REQUIRED",
                        ca_certs=self.ca_bundle,
                        server_hostname=target.host,
                        assert_hostname=target.host,
                        **options,
                    )
                else:
                    pool = urllib3.HTTPConnectionPool(address, target.port, **options)
                self._pools[key] = pool
        return pool

    def _open(self, target):
        """The answer (headers read, body not) of a GET of ``target`` at one of its
        allowed addresses, tried in turn while they cannot be connected to."""
        headers = {
            "Host": target.host_header,
            "Accept": "application/xml, text/xml",
            "Accept-Encoding": "identity",
        }
        failure = None
        for address in self._addresses(target.host):
            try:
                return self._pool(target, address).urlopen(
                    "GET",
                    target.path,
                    headers=headers,
                    redirect=False,
                    retries=False,
                    preload_content=False,
                    assert_same_host=False,
                )
            except urllib3.exceptions.SSLError as exc:
                raise LookupError_(
                    _lt(
                        "the SMP at %(host)s failed the TLS check: %(error)s",
                        host=target.host,
                        error=_shorten(str(exc), 200),
                    )
                ) from exc
            except urllib3.exceptions.ConnectTimeoutError as exc:  # NewConnectionError too
                failure = exc
            except (urllib3.exceptions.HTTPError, HTTPException, OSError, ValueError) as exc:
                raise self._failure(target, exc) from exc
        raise self._failure(target, failure) from failure

    @staticmethod
    def _failure(target, exc):
        cause = getattr(exc, "reason", None) or exc
        timed_out = isinstance(exc, (TimeoutError, socket.timeout, urllib3.exceptions.TimeoutError)) and not isinstance(
            exc, urllib3.exceptions.NewConnectionError
        )
        if timed_out:
            return LookupError_(_lt("the SMP at %(host)s did not answer in time", host=target.host))
        return LookupError_(
            _lt("the SMP at %(host)s cannot be reached: %(error)s", host=target.host, error=cause.__class__.__name__)
        )

    def _get(self, url):
        """``(status, body, target answering)`` of a GET of ``url``; redirects followed at
        most ``MAX_REDIRECTS`` times, each hop checked like the first (and never from
        https down to http); only a 200 answer's body is read."""
        target = parse_smp_url(url)
        deadline = time.monotonic() + self.timeout * ANSWER_TIME_FACTOR
        for _hop in range(MAX_REDIRECTS + 1):
            response = self._open(target)
            complete = False
            try:
                if response.status in _REDIRECTS:
                    location = (response.headers.get("Location") or "").strip()
                    if not location:
                        raise LookupError_(_lt("the SMP at %(host)s redirected nowhere", host=target.host))
                    hop = parse_smp_url(urljoin(target.url, location))
                    if target.scheme == "https" and hop.scheme == "http":
                        raise Refused(
                            _lt("the SMP at %(host)s redirected from https to http: refused", host=target.host)
                        )
                    target = hop
                    continue
                if response.status != 200:
                    return response.status, b"", target
                body = self._read(response, target, deadline)
                complete = True
                return response.status, body, target
            finally:
                if not complete:
                    response.close()
                response.release_conn()
        raise LookupError_(
            _lt("the SMP at %(host)s redirected more than %(count)s times", host=target.host, count=MAX_REDIRECTS)
        )

    def _read(self, response, target, deadline):
        """The body, read as it arrives up to ``max_bytes`` and the deadline."""
        declared = response.headers.get("Content-Length", "").strip()
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise self._too_large(target)
        encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
        if encoding not in ("", "identity"):
            raise LookupError_(
                _lt("the SMP at %(host)s answered in a %(encoding)s encoding", host=target.host, encoding=encoding)
            )
        # http.client's read1 returns what has arrived: a sender dripping bytes cannot
        # hold a read past the deadline (urllib3's read waits for the whole piece).
        raw = response._fp
        body = bytearray()
        try:
            while piece := raw.read1(65536):
                body += piece
                if len(body) > self.max_bytes:
                    raise self._too_large(target)
                if time.monotonic() > deadline:
                    raise LookupError_(
                        _lt(
                            "the SMP at %(host)s did not answer in full within %(seconds)s s",
                            host=target.host,
                            seconds=format(self.timeout * ANSWER_TIME_FACTOR, "g"),
                        )
                    )
            raw.read()  # the end: the connection can serve the next request
        except (OSError, HTTPException) as exc:
            raise self._failure(target, exc) from exc
        return bytes(body)

    def _too_large(self, target):
        return Refused(
            _lt("the SMP at %(host)s answered more than %(size)s bytes: refused", host=target.host, size=self.max_bytes)
        )

    @staticmethod
    def _xml(content, what):
        """The parsed answer: no DTD (so no entity), nothing fetched, no huge trees."""
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
        try:
            root = etree.fromstring(content, parser=parser)  # noqa: S320 - DTDs refused below
        except etree.XMLSyntaxError as exc:
            if b"<!DOCTYPE" in content:
                raise Refused(_lt("the SMP answered a %(what)s with a DTD, which is refused", what=what)) from exc
            raise LookupError_(_lt("the SMP answered a %(what)s that is not XML", what=what)) from exc
        if root.getroottree().docinfo.doctype:
            raise Refused(_lt("the SMP answered a %(what)s with a DTD, which is refused", what=what))
        return root

    # -- SMP --

    def check(self, eas, endpoint):
        """The registration of ``eas:endpoint``."""
        participant = f"{eas}:{endpoint}"
        try:
            base = self.smp_url(participant)
            if base is None:
                return Result("not_registered", _lt("the SML has no entry for this participant"))
            parse_smp_url(base)  # refused here, the SML's answer is the one named
            references = self._service_group(f"{base}/{quote(f'{SCHEME}::{participant}', safe='')}", participant)
            if references is None:
                return Result("not_registered", _lt("the SMP does not know this participant"), smp_url=base)
            invoice_href = next((href for document, href in references if document == BIS_BILLING_INVOICE), None)
            return Result(
                "registered",
                smp_url=base,
                document_types=[{"id": d, "name": document_type_name(d)} for d, _href in references],
                can_receive_invoice=bool(invoice_href) and self._accepts_billing_process(invoice_href),
            )
        except Refused as exc:
            _logger.warning("PEPPOL lookup of %s refused: %s", participant, exc.message._translate("en_US"))
            return Result("error", exc.message)
        except LookupError_ as exc:
            return Result("error", exc.message)

    def _service_group(self, url, participant):
        """``[(document type, metadata href)]`` of a participant, ``None`` when its SMP
        does not know it."""
        return self._once(("group", url), lambda: self._read_service_group(url, participant))

    def _read_service_group(self, url, participant):
        status, content, served_by = self._get(url)
        if status == 404:
            return None
        if status != 200:
            raise LookupError_(_lt("the SMP answered HTTP %(status)s", status=status))
        group = self._xml(content, _lt("service group"))
        found = group.xpath("//*[local-name()='ParticipantIdentifier']/text()")
        if not found or found[0].strip().lower() != participant.lower():
            raise LookupError_(
                _lt(
                    "the SMP answered for %(found)s, not %(participant)s",
                    found=found[0].strip() if found else _lt("no participant"),
                    participant=participant,
                )
            )
        asked = parse_smp_url(url)
        references = []
        for href in group.xpath("//*[local-name()='ServiceMetadataReference']/@href"):
            # The SMP spec puts the metadata under the service group's own URL.
            if not any(parse_smp_url(href).same_smp(where) for where in (asked, served_by)):
                raise Refused(
                    _lt(
                        "the SMP lists service metadata at %(url)s, not on the SMP's own host %(host)s: refused",
                        url=_shorten(href),
                        host=served_by.host_header,
                    )
                )
            document_id = unquote(href.rsplit("/services/", 1)[-1])
            references.append(
                (document_id.split("::", 1)[1] if document_id.startswith("busdox-docid-qns::") else document_id, href)
            )
        return references

    def _accepts_billing_process(self, href):
        return self._once(("metadata", href), lambda: self._read_billing_process(href))

    def _read_billing_process(self, href):
        status, content, _served_by = self._get(href)
        if status != 200:
            raise LookupError_(_lt("the SMP answered HTTP %(status)s for the invoice service metadata", status=status))
        metadata = self._xml(content, _lt("service metadata"))
        processes = [p.strip() for p in metadata.xpath("//*[local-name()='ProcessIdentifier']/text()")]
        return BIS_BILLING_PROCESS in processes
