"""The HTTP server under every stand-in of an external service (tests and benchmarks).

A threaded HTTP/1.1 server on 127.0.0.1 handing each request to ``handle(handler,
method)``; ``_send`` answers bytes, text or JSON (dicts and lists). Stdlib only, so the
benchmarks can load the stand-ins without Odoo.
"""

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer


class HttpStandin:
    url_path = ""  # appended to the server's address to make ``url``
    default_content_type = "application/json;charset=UTF-8"

    _server = None
    base_url = None
    url = None

    def handle(self, handler, method):
        raise NotImplementedError

    def start(self, port=0):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def setup(self):  # pylint: disable=missing-return
                super().setup()
                # Headers and body leave in two writes: without this, Nagle's algorithm and
                # delayed ACKs add ~40 ms per answer, a delay the real services do not have.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_GET(self):
                standin.handle(self, "GET")

            def do_POST(self):
                standin.handle(self, "POST")

            def do_PUT(self):
                standin.handle(self, "PUT")

            def do_DELETE(self):
                standin.handle(self, "DELETE")

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.url = self.base_url + self.url_path
        return self.url

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def _send(self, handler, status, body=None, content_type=None, headers=None):
        if body is None:
            data = b""
        elif isinstance(body, bytes):
            data = body
        elif isinstance(body, str):
            data = body.encode("utf-8")
        else:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        handler.send_response(status)
        if body is not None:
            handler.send_header("Content-Type", content_type or self.default_content_type)
        for key, value in (headers or {}).items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    @staticmethod
    def _drop(handler):
        """Close the connection without answering (a dropped connection)."""
        handler.close_connection = True
        handler.connection.shutdown(socket.SHUT_RDWR)
