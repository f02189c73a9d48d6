"""Fixtures for the cross-addon and end-to-end tests: a live Odoo server on a free
port of 127.0.0.1, serving a copy of the test database (see tools/test.sh)."""

import configparser
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import xmlrpc.client
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONFIG = os.environ.get("ODOO_RC") or str(ROOT / ".local" / "odoo.conf")
ODOO_BIN = Path(os.environ.get("ODOO_SRC", "/opt/odoo")) / "odoo-bin"


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

    def log_text(self):
        return Path(self.log_path).read_text(errors="replace")

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def login(self, login, password):
        # Proxies of their own: xmlrpc.client proxies must not be shared between threads.
        common = xmlrpc.client.ServerProxy(f"{self.url}/xmlrpc/2/common")
        uid = common.authenticate(self.db, login, password, {})
        assert uid, f"cannot log in as {login}"
        return Session(self, uid, password)


class Session:
    def __init__(self, server, uid, password):
        self.server, self.uid, self.password = server, uid, password
        self.models = xmlrpc.client.ServerProxy(f"{server.url}/xmlrpc/2/object")

    def call(self, model, method, *args, **kwargs):
        return self.models.execute_kw(self.server.db, self.uid, self.password, model, method, list(args), kwargs)


def addons_path_with_test_addons():
    """The configuration's addons path and tests/addons (addons for the tests only)."""
    config = configparser.ConfigParser()
    config.read(CONFIG)
    return f"{config['options']['addons_path']},{ROOT / 'tests' / 'addons'}"


def start_server(database, workers=0, new_session=False, replica=None, test_addons=False):
    """``workers``: worker processes (prefork, as in production; 0: threaded).
    ``replica``: (host, port) of a read-only replica of the database server, given to
    Odoo as ``--db_replica_host`` / ``--db_replica_port`` (tests/test_replica.py).
    ``test_addons``: tests/addons in the addons path too (a database tools/test.sh
    installed one of them in)."""
    port = free_port()
    addons_options = ["--addons-path", addons_path_with_test_addons()] if test_addons else []
    replica_options = ["--db_replica_host", replica[0], "--db_replica_port", str(replica[1])] if replica else []
    # Prefork also serves long polling on a port of its own.
    worker_options = ["--gevent-port", str(free_port())] if workers else []
    log = open(ROOT / ".local" / "logs" / f"e2e-server-{database}-{port}.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [
            sys.executable,
            str(ODOO_BIN),
            "-c",
            CONFIG,
            "-d",
            database,
            "--db-filter",
            f"^{database}$",
            "--http-port",
            str(port),
            "--workers",
            str(workers),
            *worker_options,
            "--max-cron-threads",
            "0",
            "--log-level",
            "info",
            *replica_options,
            *addons_options,
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=new_session,  # its own process group, to be killed as a whole
    )
    deadline = time.monotonic() + 120
    proxy = xmlrpc.client.ServerProxy(f"http://127.0.0.1:{port}/xmlrpc/2/common")
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Odoo exited with {process.returncode}, see {log.name}")
        try:
            proxy.version()
            server = LiveOdoo(database, port, process)
            server.log_path = log.name
            return server
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError(f"Odoo did not answer on port {port} within 120 s, see {log.name}")


@pytest.fixture(scope="session")
def live_odoo():
    database = os.environ.get("CRM_E2E_DB")
    if not database:
        pytest.fail("CRM_E2E_DB names the database the live server serves: run the tests with `make test`.")
    server = start_server(database)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def admin(live_odoo):
    return live_odoo.login("admin", "admin")


def fault_of(call, *args, **kwargs):
    """The message of the XML-RPC fault a call answers (it must answer one)."""
    with pytest.raises(xmlrpc.client.Fault) as caught:
        call(*args, **kwargs)
    return caught.value.faultString


def odoo_shell(database, script, tag):
    """Run ``script`` in `odoo-bin shell` on ``database``; answers the JSON it printed on
    the line starting with ``<tag>=`` (how the end-to-end tests set up their data)."""
    output = subprocess.run(
        [sys.executable, str(ODOO_BIN), "shell", "-c", CONFIG, "-d", database, "--no-http", "--log-level", "warn"],
        input=script,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout
    [line] = [line for line in output.splitlines() if line.startswith(f"{tag}=")]
    return json.loads(line.split("=", 1)[1])


def get_json(server, path, key=None, method="GET", **params):
    """(status, headers, JSON body) of an HTTP API call with a bearer key, errors included."""
    url = f"{server.url}{path}"
    if params:
        url += "?" + urllib.parse.urlencode(params)
    request = urllib.request.Request(url, method=method, headers={"Authorization": f"Bearer {key}"} if key else {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, json.load(exc)
