"""A local stand-in for the Polish VAT white list (wl-api.mf.gov.pl) and the Ministry's
daily flat file (plikplaski.mf.gov.pl), for tests and benchmarks. Stdlib only.

The API answers like the real one (shapes, key order and messages of the captured answers
in ``data/``): ``/api/search/nip/{nip}``, ``/api/search/nips/{n1,...}`` (up to 30; a NIP it
refuses is an error of its own entry, WL-113 to WL-115, in a 200 answer; more than 30 is
WL-130), ``/api/check/nip/{nip}/bank-account/{account}`` (TAK / NIE), each for a ``date``
(missing: WL-101, malformed: WL-102, future: WL-103, before 2019-09-01: WL-118), an unknown
path WL-190 (404), and the daily limits per IP address the Ministry publishes (100
searches, 5,000 checks; past them HTTP 429 WL-191). Every answer has a ``requestId``.

The flat file for a day (``/pliki/YYYYMMDD.7z``, or ``.json``) is built from the same
register by the specification: SHA-512 iterated ``transformations`` times over date + NIP
+ account, active and exempt taxpayers apart, virtual accounts through their bank's mask,
``filler`` unrelated hashes for volume, all sorted, in a 7z archive written by LZMA2.
"""

import io
import itertools
import json
import random
import re
from collections import Counter
from datetime import date
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from odoo.addons.crm_clients.tests.http_standin import HttpStandin

from ..tools import flatfile

DATA = Path(__file__).parent / "data"
MESSAGES = {
    "WL-101": "Pole 'data' nie może być puste.",
    "WL-102": "Pole 'data' ma nieprawidłowy format.",
    "WL-103": "Data nie może być datą przyszłą.",
    "WL-109": "Pole 'numer konta' ma nieprawidłową długość. Wymagane 26 znaków ({value}).",
    "WL-110": "Pole 'numer konta' zawiera niedozwolone znaki. Wymagane tylko cyfry ({value}).",
    "WL-112": "Pole 'NIP' nie może być puste.",
    "WL-113": "Pole 'NIP' ma nieprawidłową długość. Wymagane 10 znaków ({value}).",
    "WL-114": "Pole 'NIP' zawiera niedozwolone znaki. Wymagane tylko cyfry ({value}).",
    "WL-115": "Nieprawidłowy NIP.",
    "WL-118": "Data sprzed zakresu rejestru.",
    "WL-130": "Przekroczono maksymalna liczbę argumentów zapytania.",
    "WL-190": "Niepoprawne żądanie.",
    "WL-191": "Limit żądań dla tego adresu IP został na dziś wyczerpany.",
}
STATUS_VAT = {"active": "Czynny", "exempt": "Zwolniony", "unregistered": "Niezarejestrowany"}


def nip_error(nip):
    """The Ministry's code for a NIP it refuses, or None."""
    if not nip:
        return "WL-112"
    if len(nip) != 10:
        return "WL-113"
    if not nip.isdigit():
        return "WL-114"
    total = sum(int(d) * w for d, w in zip(nip, (6, 5, 7, 2, 3, 4, 5, 6, 7), strict=False)) % 11
    return None if total == int(nip[9]) and total != 10 else "WL-115"


def orlen_subject():
    """The real ORLEN subject (236 accounts, virtual accounts) of the captured answer."""
    data = json.loads((DATA / "search-nip.7740001454.ORLEN.2026-09-24.json").read_text(encoding="utf-8"))
    return data["result"]["subject"]


def subject(nip, name, accounts, status="active", virtual=False):
    """A register entry shaped like the captured ones."""
    return {
        "name": name,
        "nip": nip,
        "statusVat": STATUS_VAT[status],
        "regon": None,
        "pesel": None,
        "krs": None,
        "residenceAddress": None,
        "workingAddress": "UL. PROSTA 1, 00-838 WARSZAWA",
        "representatives": [],
        "authorizedClerks": [],
        "partners": [],
        "registrationLegalDate": "2010-01-01",
        "registrationDenialBasis": None,
        "registrationDenialDate": None,
        "restorationBasis": None,
        "restorationDate": None,
        "removalBasis": None,
        "removalDate": None,
        "exemptionSmeDate": None,
        "accountNumbers": list(accounts) if status != "unregistered" else [],
        "hasVirtualAccounts": virtual,
    }


class WhitelistStandin(HttpStandin):
    search_limit = 100
    check_limit = 5000

    def __init__(self, today=None, transformations=5000, filler=200):
        self.register = {}  # nip -> subject dict
        self.virtual = {}  # nip -> [(mask, an account of its range)]
        self.masks = set()  # every bank mask the flat file lists
        self.routes = {}  # fixed answers: (method, path) -> (status, body) or callable(query)
        self.today = today  # None: the real today
        self.transformations = transformations
        self.filler = filler
        self.faults = []  # one-shot: "500", "429", "drop", "garbage"
        self.fault_body = {"code": "WL-100", "message": "Wystąpił nieoczekiwany błąd serwera."}
        self.calls = Counter()
        self.requests = []
        self.used = Counter()  # (kind, day) -> requests counted against the daily limit
        self.archives = {}  # day -> bytes
        self._ids = (f"{a:05x}-98jk{b:04x}" for a, b in zip(itertools.count(0x1D000), itertools.count(0x3A00)))

    # ---- the register ----

    def add(self, entry, virtual=()):
        self.register[entry["nip"]] = entry
        if virtual:
            self.virtual[entry["nip"]] = list(virtual)
            self.masks.update(mask for mask, _account in virtual)
        self.archives.clear()
        return self

    def route(self, method, path, status=200, body=None):
        self.routes[(method, path)] = (status, body) if not callable(body) else body
        return self

    def day(self):
        # The Ministry's day is Poland's (an hour or two ahead of UTC).
        return self.today or datetime.now(ZoneInfo("Europe/Warsaw")).date()

    # ---- HTTP ----

    def _answer(self, handler, status, body):
        self._send(handler, status, body)

    def _error(self, handler, status, code, value=""):
        self._send(handler, status, {"code": code, "message": MESSAGES[code].format(value=value)})

    def _stamp(self, result):
        result["requestId"] = next(self._ids)
        result["requestDateTime"] = datetime.now().strftime("%d-%m-%Y %H:%M:%S")
        return {"result": result}

    def handle(self, handler, method):
        parsed = urlparse(handler.path)
        query = {key: values[-1] for key, values in parse_qs(parsed.query, keep_blank_values=True).items()}
        self.calls["requests"] += 1
        self.calls[f"{method} {parsed.path}"] += 1
        self.requests.append((method, parsed.path, query))
        fault = self.faults.pop(0) if self.faults else None
        if fault == "drop":
            self._drop(handler)
            return
        if fault == "garbage":
            self._send(handler, 200, b"<html>Przerwa techniczna</html>", "text/html")
            return
        if fault:
            self._send(handler, int(fault), self.fault_body)
            return
        if parsed.path.startswith("/pliki/"):
            self._flat_file(handler, parsed.path)
            return
        search_one = re.fullmatch(r"/api/search/nip/([^/]*)", parsed.path)
        search_many = re.fullmatch(r"/api/search/nips/([^/]*)", parsed.path)
        check = re.fullmatch(r"/api/check/nip/([^/]*)/bank-account/([^/]*)", parsed.path)
        if method != "GET" or not (search_one or search_many or check):
            self._error(handler, 404, "WL-190")
            return
        kind = "check" if check else "search"
        limit = self.check_limit if check else self.search_limit
        if self.used[(kind, self.day())] >= limit:
            self._error(handler, 429, "WL-191")
            return
        self.used[(kind, self.day())] += 1
        fixed = self.routes.get((method, parsed.path))
        if fixed is not None:  # a captured answer, as it was
            status, body = fixed(query) if callable(fixed) else fixed
            self._answer(handler, status, body)
            return
        if self._date(handler, query) is None:
            return
        if search_one:
            self._search_one(handler, search_one.group(1))
        elif search_many:
            self._search_many(handler, search_many.group(1).split(","))
        else:
            self._check(handler, *check.groups())

    def _search_one(self, handler, nip):
        if code := nip_error(nip):
            self._error(handler, 400, code, nip)
            return
        self._answer(handler, 200, self._stamp({"subject": self.register.get(nip)}))

    def _search_many(self, handler, nips):
        if len(nips) > 30:
            self._error(handler, 400, "WL-130")
            return
        entries = []
        for nip in nips:
            if code := nip_error(nip):
                entries.append(
                    {"identifier": nip, "error": {"code": code, "message": MESSAGES[code].format(value=nip)}}
                )
            else:
                entries.append({"identifier": nip, "subjects": [self.register[nip]] if nip in self.register else []})
        self._answer(handler, 200, {"result": {"entries": entries, **self._stamp({})["result"]}})

    def _check(self, handler, nip, account):
        if code := nip_error(nip):
            self._error(handler, 400, code, nip)
            return
        if len(account) != 26:
            self._error(handler, 400, "WL-109", account)
            return
        if not account.isdigit():
            self._error(handler, 400, "WL-110", account)
            return
        entry = self.register.get(nip)
        assigned = bool(entry) and entry["statusVat"] != "Niezarejestrowany" and account in entry["accountNumbers"]
        self._answer(handler, 200, self._stamp({"accountAssigned": "TAK" if assigned else "NIE"}))

    def _date(self, handler, query):
        value = query.get("date")
        if not value:
            self._error(handler, 400, "WL-101")
            return None
        try:
            asked = date.fromisoformat(value)
        except ValueError:
            self._error(handler, 400, "WL-102")
            return None
        if asked > self.day():
            self._error(handler, 400, "WL-103")
            return None
        if asked < date(2019, 9, 1):
            self._error(handler, 400, "WL-118")
            return None
        return asked

    # ---- the flat file ----

    def document(self, day):
        """The flat file's JSON document for ``day`` (a date), as bytes."""
        stamp = day.strftime("%Y%m%d")
        active, exempt = [], []
        for nip, entry in self.register.items():
            status = {"Czynny": active, "Zwolniony": exempt}.get(entry["statusVat"])
            if status is None:
                continue
            for account in entry["accountNumbers"]:
                status.append(flatfile.chain(stamp, nip, account, self.transformations))
            for mask, account in self.virtual.get(nip, ()):
                status.append(flatfile.chain(stamp, nip, flatfile.masked(account, mask), self.transformations))
        rng = random.Random(stamp)
        active += [f"{rng.getrandbits(512):0128x}" for _ in range(self.filler)]
        exempt += [f"{rng.getrandbits(512):0128x}" for _ in range(self.filler // 10)]
        document = {
            "naglowek": {
                "dataGenerowaniaDanych": stamp,
                "liczbaTransformacji": str(self.transformations),
                "schemat": "RRRRMMDDNNNNNNNNNNBBBBBBBBBBBBBBBBBBBBBBBBBB",
            },
            "skrotyPodatnikowCzynnych": sorted(active),
            "skrotyPodatnikowZwolnionych": sorted(exempt),
            "maski": sorted(self.masks),
        }
        return json.dumps(document, indent=1).encode("utf-8")

    def archive(self, day):
        if day not in self.archives:
            out = io.BytesIO()
            data = self.document(day)
            flatfile.write_archive(out, f"{day:%Y%m%d}.json", [data[i : i + 65536] for i in range(0, len(data), 65536)])
            self.archives[day] = out.getvalue()
        return self.archives[day]

    def _flat_file(self, handler, path):
        match = re.fullmatch(r"/pliki/(\d{8})\.(7z|json)", path)
        if not match:
            self._send(handler, 404, b"Not Found", "text/plain")
            return
        day = datetime.strptime(match.group(1), "%Y%m%d").date()
        if day > self.day():
            self._send(handler, 404, b"Not Found", "text/plain")
            return
        if match.group(2) == "json":
            self._send(handler, 200, self.document(day), "application/json")
        else:
            self._send(handler, 200, self.archive(day), "application/x-7z-compressed")
