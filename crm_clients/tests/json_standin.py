"""A small HTTP/JSON stand-in for the open registries' REST APIs (tests only).

Routes map a method and a path (``GET /enheter/991825827``) to a status and a JSON body
(or a callable answering them from the query string). Unknown paths answer 404 with the
``not_found`` body. One-shot faults: ``"500"``, ``"503"``, ``"429"`` (answered with the
``fault_body``), ``"drop"`` (connection closed), ``"garbage"`` (not JSON), ``"hang"``.
"""

import time
from collections import Counter
from urllib.parse import parse_qs
from urllib.parse import urlparse

from .http_standin import HttpStandin


class JsonStandin(HttpStandin):
    def __init__(self, not_found=None):
        self.routes = {}
        self.not_found = not_found
        self.faults = []
        self.fault_body = {"message": "Internal error"}
        self.hang_seconds = 3.0
        self.calls = Counter()
        self.requests = []

    def route(self, method, path, status=200, body=None):
        self.routes[(method, path)] = (status, body) if not callable(body) else body
        return self

    def handle(self, handler, method):
        parsed = urlparse(handler.path)
        query = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
        length = int(handler.headers.get("Content-Length") or 0)
        if length:
            handler.rfile.read(length)
        self.calls["requests"] += 1
        self.calls[f"{method} {parsed.path}"] += 1
        self.requests.append((method, parsed.path, query))
        fault = self.faults.pop(0) if self.faults else None
        if fault == "drop":
            self._drop(handler)
            return
        if fault == "hang":
            time.sleep(self.hang_seconds)
        elif fault == "garbage":
            self._send(handler, 200, b"<html>maintenance</html>", "text/html")
            return
        elif fault:
            self._send(handler, int(fault), self.fault_body)
            return
        answer = self.routes.get((method, parsed.path))
        if answer is None:
            self._send(handler, 404, self.not_found if self.not_found is not None else {"message": "Not found"})
            return
        status, body = answer(query) if callable(answer) else answer
        self._send(handler, status, body)
