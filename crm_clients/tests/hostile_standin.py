"""A stand-in answering what no registry client may trust (tests only): ``huge`` (a body
beyond the size limit, chunked, so no Content-Length warns of it), ``bomb`` (a small
gzip body inflating beyond it), ``redirect`` (a 302 to ``redirect_to``: the address comes
from the answer, not from the configuration). Every request is counted in ``calls``."""

import gzip
from collections import Counter

from odoo.exceptions import UserError

from .http_standin import HttpStandin

HUGE = 8 * 1024 * 1024  # beyond the clients' limit (json_registry.MAX_ANSWER_BYTES, 5 MB)


def chunked(handler, status, content_type, parts, headers=None):
    """Answer ``parts`` (bytes) with chunked transfer encoding."""
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Transfer-Encoding", "chunked")
    for key, value in (headers or {}).items():
        handler.send_header(key, value)
    handler.end_headers()
    try:
        for part in parts:
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
        handler.wfile.write(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        handler.close_connection = True  # the client stopped reading: what it should do
        return
    handler.close_connection = True


def huge_parts(prefix=b'{"name": "', filler=b"A", suffix=b'"}', size=HUGE):
    yield prefix
    block = filler * (64 * 1024)
    for _ in range(size // len(block) + 1):
        yield block
    yield suffix


class HostileStandin(HttpStandin):
    def __init__(self, mode, redirect_to=None, content_type="application/json"):
        self.mode = mode
        self.redirect_to = redirect_to
        self.content_type = content_type
        self.calls = Counter()

    def handle(self, handler, method):
        length = int(handler.headers.get("Content-Length") or 0)
        if length:
            handler.rfile.read(length)
        self.calls["requests"] += 1
        self.calls[f"{method} {handler.path}"] += 1
        if self.mode == "redirect":
            self._send(handler, 302, {"moved": self.redirect_to}, headers={"Location": self.redirect_to})
        elif self.mode == "bomb":
            body = gzip.compress(b'{"name": "' + b"A" * HUGE + b'"}')
            self._send(handler, 200, body, self.content_type, headers={"Content-Encoding": "gzip"})
        else:
            chunked(handler, 200, self.content_type, huge_parts())


def check_hostile_answers(case, prefix, path, update, unchanged, messages):
    """Point registry ``prefix`` (its ``<prefix>.url`` system parameter, plus ``path``) at
    each hostile stand-in in turn: ``update()`` must fail with the translated message of
    ``messages[mode]``, ``unchanged()`` stay true, and a redirect's target get nothing."""
    params = case.env["ir.config_parameter"].sudo()
    target = HostileStandin("huge")
    target.start()
    case.addCleanup(target.stop)
    for mode in ("huge", "bomb", "redirect"):
        standin = HostileStandin(mode, redirect_to=f"{target.url}{path}/elsewhere")
        standin.start()
        case.addCleanup(standin.stop)
        params.set_param(f"{prefix}.url", standin.url + path)
        with case.subTest(mode=mode), case.env.cr.savepoint(), case.assertRaises(UserError) as caught:
            update()
        case.assertIn(messages[mode], str(caught.exception))
        case.assertEqual(standin.calls["requests"], 1, mode)
        case.assertTrue(unchanged(), mode)
    case.assertEqual(target.calls["requests"], 0, "a redirect is not followed")
