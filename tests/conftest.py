"""Fixtures for the cross-addon and end-to-end tests: a live Odoo server on a free
port of 127.0.0.1, serving a copy of the test database (see tools/test.sh)."""

import os
import socket
import subprocess
import sys
import time
import xmlrpc.client
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveOdoo:
    """An Odoo server process and XML-RPC helpers, the way an integrator talks to it."""

    def __init__(self, database, port, process):
        self.db = database
        self.port = port
        self.process = process
        self.url = f"http://127.0.0.1:{port}"
        self.common = xmlrpc.client.ServerProxy(f"{self.url}/xmlrpc/2/common")
        self.models = xmlrpc.client.ServerProxy(f"{self.url}/xmlrpc/2/object")

    def login(self, login, password):
        uid = self.common.authenticate(self.db, login, password, {})
        assert uid, f"cannot log in as {login}"
        return Session(self, uid, password)


class Session:
    def __init__(self, server, uid, password):
        self.server, self.uid, self.password = server, uid, password

    def call(self, model, method, *args, **kwargs):
        return self.server.models.execute_kw(self.server.db, self.uid, self.password, model, method, list(args), kwargs)


def _start_server(database):
    port = free_port()
    config = os.environ.get("ODOO_RC") or str(ROOT / ".local" / "odoo.conf")
    odoo_bin = Path(os.environ.get("ODOO_SRC", "/opt/odoo")) / "odoo-bin"
    log = open(ROOT / ".local" / "logs" / f"e2e-server-{database}.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [
            sys.executable,
            str(odoo_bin),
            "-c",
            config,
            "-d",
            database,
            "--db-filter",
            f"^{database}$",
            "--http-port",
            str(port),
            "--workers",
            "0",
            "--max-cron-threads",
            "0",
            "--log-level",
            "info",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    proxy = xmlrpc.client.ServerProxy(f"http://127.0.0.1:{port}/xmlrpc/2/common")
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Odoo exited with {process.returncode}, see {log.name}")
        try:
            proxy.version()
            return LiveOdoo(database, port, process)
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError(f"Odoo did not answer on port {port} within 120 s, see {log.name}")


@pytest.fixture(scope="session")
def live_odoo():
    database = os.environ.get("CRM_E2E_DB")
    if not database:
        pytest.fail("CRM_E2E_DB names the database the live server serves: run the tests with `make test`.")
    server = _start_server(database)
    yield server
    server.process.terminate()
    try:
        server.process.wait(30)
    except subprocess.TimeoutExpired:
        server.process.kill()


@pytest.fixture(scope="session")
def admin(live_odoo):
    return live_odoo.login("admin", "admin")
