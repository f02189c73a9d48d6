"""A BIR 1.1 client (GUS REGON registry, ``UslugaBIRzewnPubl``) on top of zeep.

Pure Python, no ORM: the addon turns :class:`BirError` into translated messages. One
:class:`BirClient` holds one GUS session (``sid``, sent as an HTTP header as BIR 1.1
requires), logs in lazily, logs in again once when GUS says the session is gone, and paces
its requests. :func:`entity_from_reports` turns a search row and its reports into one flat
dict with the addon's vocabulary.
"""

import copy
import functools
import logging
import threading
import time
from collections import Counter

import requests
from lxml import etree

from odoo.addons.crm_clients.tools.pacing import pace
from odoo.addons.crm_clients.tools.soap_registry import transport_class

_logger = logging.getLogger(__name__)

SERVICE_URLS = {
    "production": "https://wyszukiwarkaregon.stat.gov.pl/wsBIR/UslugaBIRzewnPubl.svc",
    "test": "https://wyszukiwarkaregontest.stat.gov.pl/wsBIR/UslugaBIRzewnPubl.svc",
}
TEST_API_KEY = "abcde12345abcde12345"  # published by GUS for its test environment
_BINDING = "{http://tempuri.org/}e3"

# Main report and activity-code report of each entity type (search row ``Typ`` / ``SilosID``).
_NATURAL_PERSON_REPORTS = {
    "1": "BIR11OsFizycznaDzialalnoscCeidg",
    "2": "BIR11OsFizycznaDzialalnoscRolnicza",
    "3": "BIR11OsFizycznaDzialalnoscPozostala",
    "4": "BIR11OsFizycznaDzialalnoscSkreslonaDo20141108",
}
_PREFIXES = {"P": "praw_", "F": "fiz_", "LP": "lokpraw_", "LF": "lokfiz_"}


class BirError(Exception):
    """A lookup that could not complete. ``kind`` is one of ``key_rejected``,
    ``maintenance``, ``session``, ``timeout``, ``unreachable``, ``fault``, ``malformed``,
    ``registry`` (an error code GUS answered with, in ``code``)."""

    def __init__(self, kind, detail="", code=None):
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.detail = detail
        self.code = code


def wsdl_url(service_url, environment):
    """GUS publishes the WSDL beside the service: ``.../wsBIR/wsdl/UslugaBIRzewnPubl-ver11-<env>.wsdl``."""
    base = service_url.rsplit("/", 1)[0]
    return f"{base}/wsdl/UslugaBIRzewnPubl-ver11-{'prod' if environment == 'production' else 'test'}.wsdl"


_ZEEP_CLIENTS = {}
_ZEEP_LOCK = threading.Lock()


def _zeep_client(wsdl, timeout):
    """One parsed WSDL per process and address (parsing costs more than a lookup)."""
    import zeep
    from zeep.cache import InMemoryCache
    from zeep.wsa import WsAddressingPlugin

    with _ZEEP_LOCK:
        if wsdl not in _ZEEP_CLIENTS:
            # Its schemas are loaded from the WSDL's own host only.
            transport = _Transport(
                allowed_urls=[wsdl], timeout=timeout, operation_timeout=timeout, cache=InMemoryCache()
            )
            _ZEEP_CLIENTS[wsdl] = zeep.Client(wsdl, transport=transport, plugins=[WsAddressingPlugin()])
        return _ZEEP_CLIENTS[wsdl]


@functools.cache
def _transport_class():
    class GusTransport(transport_class()):
        """Gateways in front of GUS answer 502-504 with an HTML page during maintenance:
        say so instead of letting zeep read the page as a SOAP fault."""

        def post(self, address, message, headers):
            response = super().post(address, message, headers)
            if response.status_code in (502, 503, 504):
                raise BirError("maintenance", f"HTTP {response.status_code}")
            return response

    return GusTransport


def _Transport(**kwargs):
    return _transport_class()(**kwargs)


class BirClient:
    """One GUS session. Not thread-safe: use one client per thread (see :class:`BirPool`)."""

    def __init__(self, api_key, service_url, environment="test", timeout=15.0, min_interval=0.0, deadline=None):
        self.api_key = api_key
        self.service_url = service_url
        self.environment = environment
        self.timeout = timeout
        self.min_interval = min_interval
        # time.monotonic() by which everything must be answered (a lookup typed in a form)
        self.deadline = deadline
        self.sid = None
        self.stats = Counter()
        self._service = None
        self._session = None
        self._transport = None

    # ---- transport ----

    def _time_left(self):
        """The timeout of the next request: ``timeout``, cut to what is left before the
        deadline; none left is a timeout."""
        if self.deadline is None:
            return self.timeout
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise BirError("timeout", "no time left before the deadline")
        return min(self.timeout, left)

    def _ensure_service(self):
        if self._service is None:
            timeout = self._time_left()
            try:
                parsed = _zeep_client(wsdl_url(self.service_url, self.environment), timeout)
            except requests.Timeout as exc:
                raise BirError("timeout", str(exc)) from exc
            except (requests.RequestException, OSError) as exc:
                raise BirError("unreachable", str(exc)) from exc
            except Exception as exc:
                raise BirError("malformed", f"WSDL: {exc}") from exc
            # The parsed WSDL is shared; the HTTP session (which carries the sid) is ours.
            self._session = requests.Session()
            client = copy.copy(parsed)
            client.transport = self._transport = _Transport(
                session=self._session,
                allowed_urls=[self.service_url],
                timeout=self.timeout,
                operation_timeout=self.timeout,
            )
            self._service = client.create_service(_BINDING, self.service_url)
        return self._service

    def _invoke(self, operation, **params):
        from zeep.exceptions import Fault
        from zeep.exceptions import TransportError
        from zeep.exceptions import XMLSyntaxError

        service = self._ensure_service()
        # Paced per process and service, across the pooled clients of parallel workers' threads.
        pace(self.service_url, self.min_interval)
        self._transport.operation_timeout = self._time_left()
        self.stats["requests"] += 1
        self.stats[operation] += 1
        try:
            return getattr(service, operation)(**params)
        except Fault as exc:
            raise BirError("fault", exc.message or str(exc)) from exc
        except TransportError as exc:
            if exc.status_code == 200:
                raise BirError("malformed", "the answer is not a SOAP envelope") from exc
            if exc.status_code in (502, 503, 504):
                raise BirError("maintenance", f"HTTP {exc.status_code}") from exc
            raise BirError("fault", f"HTTP {exc.status_code}") from exc
        except requests.Timeout as exc:
            raise BirError("timeout", str(exc)) from exc
        except (requests.RequestException, OSError) as exc:
            raise BirError("unreachable", str(exc)) from exc
        except (XMLSyntaxError, etree.XMLSyntaxError, ValueError) as exc:
            raise BirError("malformed", str(exc)) from exc

    def _get_value(self, name):
        return self._invoke("GetValue", pNazwaParametru=name) or ""

    # ---- session ----

    def login(self):
        sid = self._invoke("Zaloguj", pKluczUzytkownika=self.api_key)
        self.stats["logins"] += 1
        if not sid:
            status = self._get_value("StatusUslugi")
            if status and status != "1":
                raise BirError("maintenance", self._get_value("KomunikatUslugi"))
            raise BirError("key_rejected")
        self.sid = sid
        self._session.headers["sid"] = sid
        return sid

    def logout(self):
        if not self.sid:
            return
        sid, self.sid = self.sid, None
        self._session.headers.pop("sid", None)
        try:
            self._invoke("Wyloguj", pIdentyfikatorSesji=sid)
        except BirError as exc:
            _logger.info("GUS logout failed (the session expires by itself): %s", exc)

    def _call(self, operation, **params):
        """Invoke a data operation, logging in first and once more when GUS says the
        session is gone; answers the parsed ``<dane>`` rows, ``[]`` when not found."""
        if not self.sid:
            self.login()
        for attempt in (1, 2):
            result = self._invoke(operation, **params)
            if result:
                rows = parse_rows(result)
                code = rows[0].get("ErrorCode") if rows else None
                if code is None:
                    return rows
                if code == "4":
                    return []
                if code != "7":
                    raise BirError("registry", rows[0].get("ErrorMessageEn") or rows[0].get("ErrorMessagePl"), code)
            # Empty answer (or code 7): ask GUS why.
            if self._get_value("StatusSesji") != "1":
                if attempt == 2:
                    raise BirError("session")
                self.login()
                continue
            code = self._get_value("KomunikatKod")
            if code == "4":
                return []
            raise BirError("registry", self._get_value("KomunikatTresc"), code or None)
        raise BirError("session")

    # ---- data ----

    def search(self, nip=None, regon=None, krs=None):
        params = {key: value for key, value in (("Nip", nip), ("Regon", regon), ("Krs", krs)) if value}
        return self._call("DaneSzukajPodmioty", pParametryWyszukiwania=params)

    def report(self, regon, name):
        return self._call("DanePobierzPelnyRaport", pRegon=regon, pNazwaRaportu=name)

    def entities(self, nip=None, regon=None, krs=None):
        """Every entity matching the identifier with its full data: the search plus the
        reports its type needs (at most 3 requests per entity)."""
        entities = []
        reports = {}  # a person's activities share one activity codes report
        for row in self.search(nip=nip, regon=regon, krs=krs):
            main_name, pkd_name = report_names(row)
            for name in filter(None, (main_name, pkd_name)):
                if (row["Regon"], name) not in reports:
                    reports[row["Regon"], name] = self.report(row["Regon"], name)
            main = reports[row["Regon"], main_name]
            pkd = reports[row["Regon"], pkd_name] if pkd_name else []
            entities.append(entity_from_reports(row, main[0] if main else {}, pkd))
        return entities


class BirPool:
    """Clients with live sessions kept per process for reuse, one per thread at a time."""

    def __init__(self):
        self._idle = {}
        self._lock = threading.Lock()

    def acquire(self, api_key, service_url, environment, **options):
        key = (api_key, service_url, environment)
        with self._lock:
            idle = self._idle.get(key) or []
            client = idle.pop() if idle else None
        if client is None:
            client = BirClient(api_key, service_url, environment, **options)
        else:
            client.timeout = options.get("timeout", client.timeout)
            client.min_interval = options.get("min_interval", client.min_interval)
            client.deadline = options.get("deadline")
        client.stats = Counter()
        return client

    def release(self, client):
        with self._lock:
            self._idle.setdefault((client.api_key, client.service_url, client.environment), []).append(client)

    def clear(self):
        with self._lock:
            self._idle.clear()


POOL = BirPool()


# ---- answers ----

_SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def parse_rows(result):
    """The ``<root><dane>`` rows of a result string, as dicts of stripped texts."""
    try:
        data = result.encode("utf-8") if isinstance(result, str) else result
        root = etree.fromstring(data, parser=_SAFE_PARSER)  # noqa: S320 - entities and network off
    except etree.XMLSyntaxError as exc:
        raise BirError("malformed", f"result is not XML: {exc}") from exc
    if root.tag != "root":
        raise BirError("malformed", f"unexpected result element <{root.tag}>")
    rows = [{child.tag: (child.text or "").strip() for child in dane} for dane in root.iterfind("dane")]
    if not rows:
        raise BirError("malformed", "result without data rows")
    return rows


def report_names(row):
    """(main report, activity codes report or None) for a search row."""
    kind = row.get("Typ")
    if kind == "P":
        return "BIR11OsPrawna", "BIR11OsPrawnaPkd"
    if kind == "F":
        silo = row.get("SilosID")
        if silo not in _NATURAL_PERSON_REPORTS:
            raise BirError("malformed", f"unknown natural person silo {silo!r}")
        # Activities deleted before 2014-11-08 have no activity codes (GUS error 11).
        return _NATURAL_PERSON_REPORTS[silo], None if silo == "4" else "BIR11OsFizycznaPkd"
    if kind == "LP":
        return "BIR11JednLokalnaOsPrawnej", "BIR11JednLokalnaOsPrawnejPkd"
    if kind == "LF":
        return "BIR11JednLokalnaOsFizycznej", "BIR11JednLokalnaOsFizycznejPkd"
    raise BirError("malformed", f"unknown entity type {kind!r}")


def format_zip(value):
    digits = "".join(ch for ch in value or "" if ch.isdigit())
    return f"{digits[:2]}-{digits[2:]}" if len(digits) == 5 else (value or "")


def format_pkd(code):
    """``6512Z`` -> ``65.12.Z`` (the way the PKD classification writes it)."""
    code = (code or "").strip()
    if len(code) == 5 and code[:4].isdigit():
        return f"{code[:2]}.{code[2:4]}.{code[4]}"
    return code


def _main_pkd(kind, silo, rows):
    for row in rows:
        if kind == "F" and row.get("fiz_SilosID") and row.get("fiz_SilosID") != silo:
            continue
        flag = row.get("praw_pkdPrzewazajace") or row.get("fiz_pkd_Przewazajace") or row.get("lokpraw_pkdPrzewazajace")
        flag = flag or row.get("lokfiz_pkd_Przewazajace")
        if flag == "1":
            code = (
                row.get("praw_pkdKod")
                or row.get("fiz_pkd_Kod")
                or row.get("lokpraw_pkdKod")
                or row.get("lokfiz_pkd_Kod")
            )
            name = row.get("praw_pkdNazwa") or row.get("fiz_pkd_Nazwa") or row.get("lokpraw_pkdNazwa")
            return format_pkd(code), (name or row.get("lokfiz_pkd_Nazwa") or "").strip()
    return "", ""


def _krs(report):
    """The register number is a KRS number when the register is the National Court Register."""
    number = report.get("praw_numerWRejestrzeEwidencji", "")
    organ = report.get("praw_organRejestrowy_Nazwa", "").upper()
    if number.isdigit() and len(number) <= 10 and "REJESTRU SĄDOWEGO" in organ:
        return number.zfill(10)
    return ""


_NATURAL_PERSON_FORMS = {
    "2": "OSOBA FIZYCZNA PROWADZĄCA DZIAŁALNOŚĆ ROLNICZĄ",
}


def entity_from_reports(row, report, pkd_rows):
    """One flat dict for an entity: the contract's keys (``name, nip, regon, krs, street,
    zip, city, state_name, country_code, entity_type, pkd_main, ended_on``) and the
    details the addon maps on partners."""
    kind = row.get("Typ", "")
    prefix = _PREFIXES.get(kind, "")
    silo = row.get("SilosID", "")

    def get(name):
        return (report.get(prefix + name) or "").strip()

    locality = get("adSiedzMiejscowosc_Nazwa") or row.get("Miejscowosc", "")
    post_city = get("adSiedzMiejscowoscPoczty_Nazwa") or row.get("MiejscowoscPoczty", "") or locality
    street_name = get("adSiedzUlica_Nazwa") or row.get("Ulica", "")
    number = get("adSiedzNumerNieruchomosci") or row.get("NrNieruchomosci", "")
    unit = get("adSiedzNumerLokalu") or row.get("NrLokalu", "")
    building = f"{number}/{unit}" if number and unit else number
    # Villages without streets are addressed "<locality> <number>".
    street = " ".join(part for part in (street_name or locality, building) if part)
    street2 = locality if street_name and locality and locality != post_city else ""
    pkd_code, pkd_name = _main_pkd(kind, silo, pkd_rows)
    if kind == "P":
        legal_form = get("szczegolnaFormaPrawna_Nazwa") or get("podstawowaFormaPrawna_Nazwa")
    elif kind == "F":
        legal_form = _NATURAL_PERSON_FORMS.get(silo, "OSOBA FIZYCZNA PROWADZĄCA DZIAŁALNOŚĆ GOSPODARCZĄ")
    else:
        legal_form = "JEDNOSTKA LOKALNA"
    ended_on = (
        get("dataZakonczeniaDzialalnosci")
        or get("dataSkresleniaZRegon")
        or get("dataSkresleniaDzialalnosciZRegon")
        or row.get("DataZakonczeniaDzialalnosci", "")
    )
    phone = get("numerTelefonu")
    extension = get("numerWewnetrznyTelefonu")
    return {
        "name": get("nazwa") or row.get("Nazwa", ""),
        "nip": row.get("Nip", "") or get("nip"),
        "regon": row.get("Regon", "") or get("regon9") or get("regon14"),
        "krs": _krs(report) if kind == "P" else "",
        "street": street,
        "street2": street2,
        "zip": format_zip(get("adSiedzKodPocztowy") or row.get("KodPocztowy", "")),
        "city": post_city,
        "state_code": get("adSiedzWojewodztwo_Symbol"),
        "state_name": get("adSiedzWojewodztwo_Nazwa") or row.get("Wojewodztwo", ""),
        "country_code": get("adSiedzKraj_Symbol") or "PL",
        "entity_type": kind,
        "silo": silo,
        "pkd_main": pkd_code,
        "pkd_name": pkd_name,
        "legal_form": legal_form,
        "registered_on": get("dataRozpoczeciaDzialalnosci") or get("dataPowstania") or "",
        "ended_on": ended_on or False,
        "email": get("adresEmail").lower(),
        "phone": f"{phone} ext. {extension}" if phone and extension else phone,
        "website": get("adresStronyinternetowej"),
    }
