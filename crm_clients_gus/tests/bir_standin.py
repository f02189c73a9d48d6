"""A local stand-in for GUS's BIR 1.1 service (``UslugaBIRzewnPubl``), for tests and benchmarks.

It speaks the real protocol: serves the real WSDL (address rewritten to itself), accepts
SOAP 1.2 requests with WS-Addressing headers, answers MTOM/XOP multipart envelopes with
``RelatesTo`` like the real WCF service, reads the session id from the ``sid`` HTTP header,
returns results as XML-in-a-string with the real field names, and the documented error
codes. Switches make it hang, fail, answer garbage, expire sessions or go into maintenance.
"""

import random
import string
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from xml.sax.saxutils import escape

from lxml import etree

from odoo.addons.crm_clients.tests.http_standin import HttpStandin

DATA = Path(__file__).parent / "data"
TEST_API_KEY = "abcde12345abcde12345"
NS_SOAP = "http://www.w3.org/2003/05/soap-envelope"
NS_WSA = "http://www.w3.org/2005/08/addressing"
NS_PUBL = "http://CIS/BIR/PUBL/2014/07"
NS_BIR = "http://CIS/BIR/2014/07"
NS_DC = "http://CIS/BIR/PUBL/2014/07/DataContract"
REAL_ADDRESSES = (
    "https://wyszukiwarkaregontest.stat.gov.pl/wsBIR/UslugaBIRzewnPubl.svc",
    "https://wyszukiwarkaregon.stat.gov.pl/wsBIR/UslugaBIRzewnPubl.svc",
)
WCF_CONTENT_TYPE_ERROR = (
    "Cannot process the message because the content type '{0}' was not the expected type "
    "'multipart/related; type=\"application/xop+xml\"'."
)

# Field names of each report, in the order GUS sends them (BIR11_report_fields).
_PRAW = (
    "praw_regon9 praw_nip praw_statusNip praw_nazwa praw_nazwaSkrocona praw_numerWRejestrzeEwidencji "
    "praw_dataWpisuDoRejestruEwidencji praw_dataPowstania praw_dataRozpoczeciaDzialalnosci praw_dataWpisuDoRegon "
    "praw_dataZawieszeniaDzialalnosci praw_dataWznowieniaDzialalnosci praw_dataZaistnieniaZmiany "
    "praw_dataZakonczeniaDzialalnosci praw_dataSkresleniaZRegon praw_dataOrzeczeniaOUpadlosci "
    "praw_dataZakonczeniaPostepowaniaUpadlosciowego praw_adSiedzKraj_Symbol praw_adSiedzWojewodztwo_Symbol "
    "praw_adSiedzPowiat_Symbol praw_adSiedzGmina_Symbol praw_adSiedzKodPocztowy praw_adSiedzMiejscowoscPoczty_Symbol "
    "praw_adSiedzMiejscowosc_Symbol praw_adSiedzUlica_Symbol praw_adSiedzNumerNieruchomosci praw_adSiedzNumerLokalu "
    "praw_adSiedzNietypoweMiejsceLokalizacji praw_numerTelefonu praw_numerWewnetrznyTelefonu praw_numerFaksu "
    "praw_adresEmail praw_adresStronyinternetowej praw_adSiedzKraj_Nazwa praw_adSiedzWojewodztwo_Nazwa "
    "praw_adSiedzPowiat_Nazwa praw_adSiedzGmina_Nazwa praw_adSiedzMiejscowosc_Nazwa "
    "praw_adSiedzMiejscowoscPoczty_Nazwa praw_adSiedzUlica_Nazwa praw_podstawowaFormaPrawna_Symbol "
    "praw_szczegolnaFormaPrawna_Symbol praw_formaFinansowania_Symbol praw_formaWlasnosci_Symbol "
    "praw_organZalozycielski_Symbol praw_organRejestrowy_Symbol praw_rodzajRejestruEwidencji_Symbol "
    "praw_podstawowaFormaPrawna_Nazwa praw_szczegolnaFormaPrawna_Nazwa praw_formaFinansowania_Nazwa "
    "praw_formaWlasnosci_Nazwa praw_organZalozycielski_Nazwa praw_organRejestrowy_Nazwa "
    "praw_rodzajRejestruEwidencji_Nazwa praw_liczbaJednLokalnych"
).split()
_FIZ_CORE = (
    "fiz_regon9 fiz_nazwa fiz_nazwaSkrocona fiz_dataPowstania fiz_dataRozpoczeciaDzialalnosci "
    "fiz_dataWpisuDzialalnosciDoRegon fiz_dataZawieszeniaDzialalnosci fiz_dataWznowieniaDzialalnosci "
    "fiz_dataZaistnieniaZmianyDzialalnosci fiz_dataZakonczeniaDzialalnosci fiz_dataSkresleniaDzialalnosciZRegon "
    "fiz_dataOrzeczeniaOUpadlosci fiz_dataZakonczeniaPostepowaniaUpadlosciowego fiz_adSiedzKraj_Symbol "
    "fiz_adSiedzWojewodztwo_Symbol fiz_adSiedzPowiat_Symbol fiz_adSiedzGmina_Symbol fiz_adSiedzKodPocztowy "
    "fiz_adSiedzMiejscowoscPoczty_Symbol fiz_adSiedzMiejscowosc_Symbol fiz_adSiedzUlica_Symbol "
    "fiz_adSiedzNumerNieruchomosci fiz_adSiedzNumerLokalu fiz_adSiedzNietypoweMiejsceLokalizacji fiz_numerTelefonu "
    "fiz_numerWewnetrznyTelefonu fiz_numerFaksu fiz_adresEmail fiz_adresStronyinternetowej fiz_adSiedzKraj_Nazwa "
    "fiz_adSiedzWojewodztwo_Nazwa fiz_adSiedzPowiat_Nazwa fiz_adSiedzGmina_Nazwa fiz_adSiedzMiejscowosc_Nazwa "
    "fiz_adSiedzMiejscowoscPoczty_Nazwa fiz_adSiedzUlica_Nazwa"
).split()
_FIZ_CEIDG = (
    _FIZ_CORE
    + (
        "fizC_dataWpisuDoRejestruEwidencji fizC_dataSkresleniaZRejestruEwidencji fizC_numerWRejestrzeEwidencji "
        "fizC_OrganRejestrowy_Symbol fizC_OrganRejestrowy_Nazwa fizC_RodzajRejestru_Symbol fizC_RodzajRejestru_Nazwa "
        "fizC_NiePodjetoDzialalnosci"
    ).split()
)
_LOKPRAW = (
    "lokpraw_regon14 lokpraw_nazwa lokpraw_numerWrejestrzeEwidencji lokpraw_dataWpisuDoRejestruEwidencji "
    "lokpraw_dataPowstania lokpraw_dataRozpoczeciaDzialalnosci lokpraw_dataWpisuDoRegon "
    "lokpraw_dataZawieszeniaDzialalnosci lokpraw_dataWznowieniaDzialalnosci lokpraw_dataZaistnieniaZmiany "
    "lokpraw_dataZakonczeniaDzialalnosci lokpraw_dataSkresleniaZRegon lokpraw_adSiedzKraj_Symbol "
    "lokpraw_adSiedzWojewodztwo_Symbol lokpraw_adSiedzPowiat_Symbol lokpraw_adSiedzGmina_Symbol "
    "lokpraw_adSiedzKodPocztowy lokpraw_adSiedzMiejscowoscPoczty_Symbol lokpraw_adSiedzMiejscowosc_Symbol "
    "lokpraw_adSiedzUlica_Symbol lokpraw_adSiedzNumerNieruchomosci lokpraw_adSiedzNumerLokalu "
    "lokpraw_adSiedzNietypoweMiejsceLokalizacji lokpraw_adSiedzKraj_Nazwa lokpraw_adSiedzWojewodztwo_Nazwa "
    "lokpraw_adSiedzPowiat_Nazwa lokpraw_adSiedzGmina_Nazwa lokpraw_adSiedzMiejscowosc_Nazwa "
    "lokpraw_adSiedzMiejscowoscPoczty_Nazwa lokpraw_adSiedzUlica_Nazwa lokpraw_formaFinansowania_Symbol "
    "lokpraw_organRejestrowy_Symbol lokpraw_rodzajRejestruEwidencji_Symbol lokpraw_formaFinansowania_Nazwa "
    "lokpraw_organRejestrowy_Nazwa lokpraw_rodzajRejestruEwidencji_Nazwa"
).split()
_SEARCH = (
    "Regon Nip StatusNip Nazwa Wojewodztwo Powiat Gmina Miejscowosc KodPocztowy Ulica NrNieruchomosci NrLokalu "
    "Typ SilosID DataZakonczeniaDzialalnosci MiejscowoscPoczty"
).split()
_VOIVODESHIPS = {
    "02": "DOLNOŚLĄSKIE", "04": "KUJAWSKO-POMORSKIE", "06": "LUBELSKIE", "08": "LUBUSKIE", "10": "ŁÓDZKIE",
    "12": "MAŁOPOLSKIE", "14": "MAZOWIECKIE", "16": "OPOLSKIE", "18": "PODKARPACKIE", "20": "PODLASKIE",
    "22": "POMORSKIE", "24": "ŚLĄSKIE", "26": "ŚWIĘTOKRZYSKIE", "28": "WARMIŃSKO-MAZURSKIE",
    "30": "WIELKOPOLSKIE", "32": "ZACHODNIOPOMORSKIE",
}  # fmt: skip


def _row(names, values):
    return {name: values.get(name, "") for name in names}


class Entity:
    """What the registry holds about one entity: its search row and its reports."""

    def __init__(self, row, reports):
        self.row = row
        self.reports = reports


def legal_person(regon, nip, name, krs="", street="Rondo Ignacego Daszyńskiego", number="4", unit="",
                 zip_code="00843", city="Warszawa", post_city="", voivodeship="14", pkd=("6512Z", "POZOSTAŁE UBEZPIECZENIA OSOBOWE"),
                 legal_form="SPÓŁKI AKCYJNE", ended_on="", email="", phone="", website=""):  # fmt: skip
    """A legal person (``Typ`` P, silo 6) with BIR11OsPrawna and BIR11OsPrawnaPkd reports."""
    state = _VOIVODESHIPS[voivodeship]
    report = _row(_PRAW, {
        "praw_regon9": regon, "praw_nip": nip, "praw_nazwa": name, "praw_numerWRejestrzeEwidencji": krs,
        "praw_dataWpisuDoRejestruEwidencji": "2001-04-30" if krs else "", "praw_dataPowstania": "1992-01-15",
        "praw_dataRozpoczeciaDzialalnosci": "1992-01-15", "praw_dataZakonczeniaDzialalnosci": ended_on,
        "praw_adSiedzKraj_Symbol": "PL", "praw_adSiedzWojewodztwo_Symbol": voivodeship,
        "praw_adSiedzKodPocztowy": zip_code, "praw_adSiedzNumerNieruchomosci": number,
        "praw_adSiedzNumerLokalu": unit, "praw_numerTelefonu": phone, "praw_adresEmail": email,
        "praw_adresStronyinternetowej": website, "praw_adSiedzKraj_Nazwa": "POLSKA",
        "praw_adSiedzWojewodztwo_Nazwa": state, "praw_adSiedzMiejscowosc_Nazwa": city,
        "praw_adSiedzMiejscowoscPoczty_Nazwa": post_city, "praw_adSiedzUlica_Nazwa": street,
        "praw_podstawowaFormaPrawna_Symbol": "1", "praw_szczegolnaFormaPrawna_Symbol": "116",
        "praw_podstawowaFormaPrawna_Nazwa": "OSOBA PRAWNA", "praw_szczegolnaFormaPrawna_Nazwa": legal_form,
        "praw_organRejestrowy_Nazwa": (
            "SĄD REJONOWY DLA M.ST.WARSZAWY W WARSZAWIE,XIII WYDZIAŁ GOSPODARCZY KRAJOWEGO REJESTRU SĄDOWEGO"
            if krs else ""
        ),
        "praw_rodzajRejestruEwidencji_Nazwa": "REJESTR PRZEDSIĘBIORCÓW" if krs else "",
        "praw_liczbaJednLokalnych": "0",
    })  # fmt: skip
    row = _row(_SEARCH, {
        "Regon": regon, "Nip": nip, "Nazwa": name, "Wojewodztwo": state, "Miejscowosc": city,
        "KodPocztowy": f"{zip_code[:2]}-{zip_code[2:]}", "Ulica": f"ul. {street}" if street else "",
        "NrNieruchomosci": number, "NrLokalu": unit, "Typ": "P", "SilosID": "6",
        "DataZakonczeniaDzialalnosci": ended_on, "MiejscowoscPoczty": post_city or city,
    })  # fmt: skip
    pkd_rows = [
        {"praw_pkdKod": pkd[0], "praw_pkdNazwa": pkd[1], "praw_pkdPrzewazajace": "1"},
        {"praw_pkdKod": "6622Z", "praw_pkdNazwa": "DZIAŁALNOŚĆ AGENTÓW I BROKERÓW UBEZPIECZENIOWYCH", "praw_pkdPrzewazajace": "0"},
    ]  # fmt: skip
    return Entity(row, {"BIR11OsPrawna": [report], "BIR11OsPrawnaPkd": pkd_rows})


_SILO_REPORTS = {
    "1": "BIR11OsFizycznaDzialalnoscCeidg",
    "2": "BIR11OsFizycznaDzialalnoscRolnicza",
    "3": "BIR11OsFizycznaDzialalnoscPozostala",
}


def natural_person(regon, nip, name, silo="1", street="Piotrkowska", number="77", unit="", zip_code="90224",
                   city="Łódź", post_city="", voivodeship="10", pkd=("4791Z", "SPRZEDAŻ DETALICZNA PROWADZONA PRZEZ DOMY SPRZEDAŻY WYSYŁKOWEJ LUB INTERNET"),
                   ended_on="", email="", phone=""):  # fmt: skip
    """One business activity of a natural person (``Typ`` F) in a silo (1 CEIDG, 2 farming, 3 other)."""
    state = _VOIVODESHIPS[voivodeship]
    report = _row(_FIZ_CEIDG if silo == "1" else _FIZ_CORE, {
        "fiz_regon9": regon, "fiz_nazwa": name, "fiz_nazwaSkrocona": name, "fiz_dataPowstania": "2019-09-16",
        "fiz_dataRozpoczeciaDzialalnosci": "2019-09-16", "fiz_dataZakonczeniaDzialalnosci": ended_on,
        "fiz_adSiedzKraj_Symbol": "PL", "fiz_adSiedzWojewodztwo_Symbol": voivodeship, "fiz_adSiedzKodPocztowy": zip_code,
        "fiz_adSiedzNumerNieruchomosci": number, "fiz_adSiedzNumerLokalu": unit, "fiz_numerTelefonu": phone,
        "fiz_adresEmail": email, "fiz_adSiedzKraj_Nazwa": "POLSKA", "fiz_adSiedzWojewodztwo_Nazwa": state,
        "fiz_adSiedzMiejscowosc_Nazwa": city, "fiz_adSiedzMiejscowoscPoczty_Nazwa": post_city,
        "fiz_adSiedzUlica_Nazwa": street, "fizC_NiePodjetoDzialalnosci": "false",
    })  # fmt: skip
    row = _row(_SEARCH, {
        "Regon": regon, "Nip": nip, "Nazwa": name, "Wojewodztwo": state, "Miejscowosc": city,
        "KodPocztowy": f"{zip_code[:2]}-{zip_code[2:]}", "Ulica": f"ul. {street}" if street else "",
        "NrNieruchomosci": number, "NrLokalu": unit, "Typ": "F", "SilosID": silo,
        "DataZakonczeniaDzialalnosci": ended_on, "MiejscowoscPoczty": post_city or city,
    })  # fmt: skip
    pkd_rows = [{
        "fiz_pkd_Kod": pkd[0], "fiz_pkd_Nazwa": pkd[1], "fiz_pkd_Przewazajace": "1", "fiz_SilosID": silo,
        "fiz_Silos_Symbol": {"1": "CEIDG", "2": "Rolnicza", "3": "Pozostała"}[silo],
        "fiz_dataSkresleniaDzialalnosciZRegon": "",
    }]  # fmt: skip
    return Entity(row, {_SILO_REPORTS[silo]: [report], "BIR11OsFizycznaPkd": pkd_rows})


def local_unit(regon14, nip, name, street="Marszałkowska", number="10", zip_code="00590", city="Warszawa",
               voivodeship="14", kind="LP"):  # fmt: skip
    """A local unit (``Typ`` LP of a legal person, LF of a natural person's business),
    found by its 14-digit REGON."""
    state = _VOIVODESHIPS[voivodeship]
    prefix = "lokpraw_" if kind == "LP" else "lokfiz_"
    names = _LOKPRAW if kind == "LP" else [name.replace("lokpraw_", "lokfiz_") for name in _LOKPRAW]
    report = _row(names, {
        prefix + "regon14": regon14, prefix + "nazwa": name, prefix + "dataPowstania": "2005-03-01",
        prefix + "dataRozpoczeciaDzialalnosci": "2005-03-01", prefix + "adSiedzKraj_Symbol": "PL",
        prefix + "adSiedzWojewodztwo_Symbol": voivodeship, prefix + "adSiedzKodPocztowy": zip_code,
        prefix + "adSiedzNumerNieruchomosci": number, prefix + "adSiedzKraj_Nazwa": "POLSKA",
        prefix + "adSiedzWojewodztwo_Nazwa": state, prefix + "adSiedzMiejscowosc_Nazwa": city,
        prefix + "adSiedzUlica_Nazwa": street,
    })  # fmt: skip
    row = _row(_SEARCH, {
        "Regon": regon14, "Nip": nip, "Nazwa": name, "Wojewodztwo": state, "Miejscowosc": city,
        "KodPocztowy": f"{zip_code[:2]}-{zip_code[2:]}", "Ulica": f"ul. {street}", "NrNieruchomosci": number,
        "Typ": kind, "SilosID": "6" if kind == "LP" else "1", "MiejscowoscPoczty": city,
    })  # fmt: skip
    if kind == "LP":
        pkd_rows = [
            {
                "lokpraw_pkdKod": "6512Z",
                "lokpraw_pkdNazwa": "POZOSTAŁE UBEZPIECZENIA OSOBOWE",
                "lokpraw_pkdPrzewazajace": "1",
            }
        ]
        return Entity(row, {"BIR11JednLokalnaOsPrawnej": [report], "BIR11JednLokalnaOsPrawnejPkd": pkd_rows})
    pkd_rows = [
        {
            "lokfiz_pkd_Kod": "4932Z",
            "lokfiz_pkd_Nazwa": "DZIAŁALNOŚĆ TAKSÓWEK OSOBOWYCH",
            "lokfiz_pkd_Przewazajace": "1",
            "lokfiz_Silos_Symbol": "1",
        }
    ]
    return Entity(row, {"BIR11JednLokalnaOsFizycznej": [report], "BIR11JednLokalnaOsFizycznejPkd": pkd_rows})


def _inner(rows):
    body = "".join(
        "  <dane>\r\n"
        + "".join(
            f"    <{key}>{escape(value)}</{key}>\r\n" if value else f"    <{key} />\r\n" for key, value in row.items()
        )
        + "  </dane>\r\n"
        for row in rows
    )
    return f"<root>\r\n{body}</root>"


class BirStandin(HttpStandin):
    """The service. ``start()`` answers its address; attributes are the switches."""

    url_path = "/wsBIR/UslugaBIRzewnPubl.svc"

    def __init__(self, api_keys=(TEST_API_KEY,)):
        self.api_keys = set(api_keys)
        self.entities = []
        self.sessions = {}
        self.calls = Counter()
        self.delay = 0.0  # seconds slept before each SOAP answer
        # queued one-shot faults: "hang", "soap_fault", "http_503", "garbage", "not_xml",
        # "huge" (an answer beyond any size limit), "redirect" (a 307 to ``redirect_to``)
        self.faults = []
        self.hang_seconds = 3.0
        self.redirect_to = None
        self.schema_location = None  # where the served WSDL says its schema is (default: beside it)
        self.maintenance = False
        self.received_sid_headers = []
        self._lock = threading.Lock()

    # ---- control ----

    def add(self, *entities):
        self.entities.extend(entities)
        return self

    def expire_sessions(self):
        with self._lock:
            self.sessions.clear()

    def handle(self, handler, method):
        if method == "GET":
            self._serve_get(handler)
        elif method == "POST":
            self._serve_post(handler)
        else:
            self._send(handler, 405, "Method Not Allowed", "text/plain")

    def _serve_get(self, handler):
        name = handler.path.split("?")[0].rsplit("/", 1)[-1]
        path = DATA / name
        if not handler.path.startswith("/wsBIR/wsdl/") or not path.is_file():
            self._send(handler, 404, "Not Found", "text/plain")
            return
        self.calls["wsdl"] += 1
        text = path.read_text(encoding="utf-8")
        for address in REAL_ADDRESSES:
            text = text.replace(address, self.url)
        if self.schema_location:
            text = text.replace('schemaLocation="./DataContract.xsd"', f'schemaLocation="{self.schema_location}"')
        self._send(handler, 200, text, "text/xml; charset=UTF-8")

    def _serve_post(self, handler):
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        content_type = handler.headers.get("Content-Type", "")
        if handler.path.split("?")[0] != "/wsBIR/UslugaBIRzewnPubl.svc":
            self._send(handler, 404, "Not Found", "text/plain")
            return
        if content_type.startswith("multipart/related"):
            body = body.split(b"\r\n\r\n", 1)[1].rsplit(b"\r\n--", 1)[0]
        elif not content_type.startswith("application/soap+xml"):
            self._send(handler, 415, WCF_CONTENT_TYPE_ERROR.format(content_type), "text/plain")
            return
        try:
            envelope = etree.fromstring(body)
        except etree.XMLSyntaxError:
            self._fault(handler, "The message could not be processed.")
            return
        header = envelope.find(f"{{{NS_SOAP}}}Header")
        action = header.findtext(f"{{{NS_WSA}}}Action") if header is not None else None
        message_id = header.findtext(f"{{{NS_WSA}}}MessageID") if header is not None else None
        operation = envelope.find(f"{{{NS_SOAP}}}Body/*")
        if not action or operation is None or not action.endswith("/" + etree.QName(operation).localname):
            # WCF refuses messages without a matching WS-Addressing action.
            self._fault(handler, "The message could not be processed. WS-Addressing Action is missing or wrong.")
            return
        name = etree.QName(operation).localname
        sid = handler.headers.get("sid") or (header.findtext(f"{{{NS_PUBL}}}sid") if header is not None else None)
        with self._lock:
            self.calls[name] += 1
            self.calls["requests"] += 1
            if sid:
                self.received_sid_headers.append(sid)
            fault = self.faults.pop(0) if self.faults and name != "Wyloguj" else None
        if self.delay:
            time.sleep(self.delay)
        if fault == "hang":
            time.sleep(self.hang_seconds)
        elif fault == "soap_fault":
            self._fault(handler, "Wystąpił błąd wewnętrzny usługi.", code="s:Receiver")
            return
        elif fault == "http_503":
            self._send(handler, 503, "<html><body>Service Unavailable</body></html>", "text/html")
            return
        elif fault == "not_xml":
            self._send(handler, 200, "<html>Przerwa techniczna</html", "application/soap+xml; charset=utf-8")
            return
        elif fault == "huge":
            self._send_huge(handler)
            return
        elif fault == "redirect":
            self._send(handler, 307, "", "text/plain", headers={"Location": self.redirect_to})
            return
        result = self._answer(name, operation, sid)
        if fault == "garbage":
            result = "<root><dane><Regon>1"
        self._reply(handler, name, result, message_id)

    def _send_huge(self, handler, size=8 * 1024 * 1024):
        """An envelope of ``size`` bytes, chunked: no Content-Length warns of its size."""
        handler.send_response(200)
        handler.send_header("Content-Type", "application/soap+xml; charset=utf-8")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        block = b"A" * (64 * 1024)
        parts = [f'<s:Envelope xmlns:s="{NS_SOAP}"><s:Body>'.encode(), *[block] * (size // len(block))]
        try:
            for part in [*parts, b"</s:Body></s:Envelope>"]:
                handler.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            handler.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            handler.close_connection = True  # the client stopped reading: what it should do
            return
        handler.close_connection = True

    def _fault(self, handler, reason, code="s:Sender"):
        xml = (
            f'<s:Envelope xmlns:s="{NS_SOAP}"><s:Body><s:Fault><s:Code><s:Value>{code}</s:Value></s:Code>'
            f'<s:Reason><s:Text xml:lang="en-US">{escape(reason)}</s:Text></s:Reason></s:Fault></s:Body></s:Envelope>'
        )
        self._send(handler, 500, xml, "application/soap+xml; charset=utf-8")

    def _reply(self, handler, name, result, message_id):
        ns = NS_BIR if name == "GetValue" else NS_PUBL
        action = (
            "http://CIS/BIR/2014/07/IUslugaBIR/GetValueResponse"
            if name == "GetValue"
            else f"http://CIS/BIR/PUBL/2014/07/IUslugaBIRzewnPubl/{name}Response"
        )
        value = f"<{name}Result>{escape(result)}</{name}Result>" if result else f"<{name}Result/>"
        relates = f"<a:RelatesTo>{escape(message_id)}</a:RelatesTo>" if message_id else ""
        envelope = (
            f'<s:Envelope xmlns:s="{NS_SOAP}" xmlns:a="{NS_WSA}"><s:Header>'
            f'<a:Action s:mustUnderstand="1">{action}</a:Action>{relates}</s:Header>'
            f'<s:Body><{name}Response xmlns="{ns}">{value}</{name}Response></s:Body></s:Envelope>'
        )
        boundary = f"uuid:{uuid.uuid4()}+id={random.randint(1000, 9999999)}"
        body = (
            f"\r\n--{boundary}\r\nContent-ID: <http://tempuri.org/0>\r\nContent-Transfer-Encoding: 8bit\r\n"
            f'Content-Type: application/xop+xml;charset=utf-8;type="application/soap+xml"\r\n\r\n'
            f"{envelope}\r\n--{boundary}--\r\n"
        )
        content_type = (
            f'multipart/related; type="application/xop+xml"; start="<http://tempuri.org/0>"; '
            f'boundary="{boundary}"; start-info="application/soap+xml"'
        )
        self._send(handler, 200, body, content_type)

    # ---- operations ----

    def _answer(self, name, operation, sid):
        params = {etree.QName(child).localname: (child.text or "") for child in operation}
        if name == "Zaloguj":
            if self.maintenance or params.get("pKluczUzytkownika") not in self.api_keys:
                return ""
            new_sid = "".join(random.choices(string.ascii_lowercase + string.digits, k=20))
            with self._lock:
                self.sessions[new_sid] = {"code": "0", "message": ""}
            return new_sid
        if name == "Wyloguj":
            with self._lock:
                return "true" if self.sessions.pop(params.get("pIdentyfikatorSesji"), None) else "false"
        session = self.sessions.get(sid) if sid else None
        if name == "GetValue":
            return self._get_value(params.get("pNazwaParametru"), session)
        if session is None:
            return ""  # what GUS answers to a missing or expired sid
        if name == "DaneSzukajPodmioty":
            criteria = {
                etree.QName(child).localname: (child.text or "").strip()
                for child in operation.find(f"{{{NS_PUBL}}}pParametryWyszukiwania")
            }
            return self._search(criteria, session)
        if name == "DanePobierzPelnyRaport":
            return self._report(params.get("pRegon", ""), params.get("pNazwaRaportu", ""), session)
        return ""

    def _get_value(self, parameter, session):
        if parameter == "StatusSesji":
            return "1" if session else "0"
        if parameter == "KomunikatKod":
            return session["code"] if session else "7"
        if parameter == "KomunikatTresc":
            return session["message"] if session else "Brak sesji."
        if parameter == "StatusUslugi":
            return "0" if self.maintenance else "1"
        if parameter == "KomunikatUslugi":
            return "Przerwa techniczna do godz. 06:00." if self.maintenance else "Usluga dostepna"
        if parameter == "StanDanych":
            return "2026-11-20"
        return ""

    def _search(self, criteria, session):
        (key, value), *_ = criteria.items() or [("Regon", "")]
        if key == "Krs":
            found = [
                e
                for e in self.entities
                if e.row["Typ"] == "P" and e.reports["BIR11OsPrawna"][0]["praw_numerWRejestrzeEwidencji"] == value
            ]
        elif key == "Nip":
            found = [e for e in self.entities if e.row["Nip"] == value and e.row["Typ"] in ("P", "F")]
        else:
            found = [e for e in self.entities if e.row["Regon"] == value]
        if not found:
            session.update(code="4", message="Nie znaleziono podmiotów.")
            return _inner([{
                "ErrorCode": "4",
                "ErrorMessagePl": "Nie znaleziono podmiotu dla podanych kryteriów wyszukiwania.",
                "ErrorMessageEn": "No data found for the specified search criteria.",
                key: value,
            }])  # fmt: skip
        session.update(code="0", message="")
        return _inner([entity.row for entity in found])

    def _report(self, regon, report, session):
        known = {"BIR11OsPrawna", "BIR11OsPrawnaPkd", "BIR11JednLokalnaOsPrawnej", "BIR11JednLokalnaOsPrawnejPkd",
                 "BIR11OsFizycznaPkd", "BIR11JednLokalnaOsFizycznej", "BIR11JednLokalnaOsFizycznejPkd",
                 "BIR11OsFizycznaDaneOgolne", *_SILO_REPORTS.values()}  # fmt: skip
        entities = [e for e in self.entities if e.row["Regon"] == regon]
        if report not in known:
            code, pl, en = "5", "Nieprawidłowa lub pusta nazwa raportu.", "Invalid or empty report name."
        else:
            # A natural person's activity codes report lists the codes of all its silos.
            rows = [row for entity in entities for row in entity.reports.get(report, [])]
            if rows:
                session.update(code="0", message="")
                return _inner(rows if report == "BIR11OsFizycznaPkd" else rows[:1])
            code, pl, en = "4", "Nie znaleziono wpisu dla podanych kryteriów wyszukiwania.", "No data found for the specified search criteria."  # fmt: skip
        session.update(code=code, message=pl)
        return _inner([{
            "ErrorCode": code, "ErrorMessagePl": pl, "ErrorMessageEn": en, "pRegon": regon,
            "Typ_podmiotu": entities[0].row["Typ"] if entities else "", "Raport": report,
        }])  # fmt: skip
