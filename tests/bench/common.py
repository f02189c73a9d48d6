"""Shared pieces of the benchmarks: databases, a live server, timing."""

import hashlib
import os
import subprocess
import sys
import time
import xmlrpc.client
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ODOO_BIN = Path(os.environ.get("ODOO_SRC", "/opt/odoo")) / "odoo-bin"
CONFIG = os.environ.get("ODOO_RC") or str(ROOT / ".local" / "odoo.conf")
LOGS = ROOT / ".local" / "logs"


def odoo(*args, log_name):
    LOGS.mkdir(parents=True, exist_ok=True)
    with open(LOGS / log_name, "w") as log:
        return subprocess.run(
            [sys.executable, str(ODOO_BIN), "-c", CONFIG, *args], stdout=log, stderr=subprocess.STDOUT, check=False
        ).returncode


def fresh_database(name, modules):
    subprocess.run(["dropdb", "--if-exists", "--force", name], check=False, capture_output=True)
    code = odoo(
        "-d",
        name,
        "-i",
        modules,
        "--without-demo",
        "all",
        "--stop-after-init",
        "--log-level",
        "warn",
        log_name=f"bench-install-{name}.log",
    )
    if code:
        raise SystemExit(f"installing {modules} in {name} failed, see .local/logs/bench-install-{name}.log")


class Server:
    """One Odoo server (threaded, like `odoo-bin` without workers) serving the databases;
    ``options`` are more odoo-bin options (given last, they win)."""

    def __init__(self, port, workers=0, *, options=(), log_name="bench-server.log"):
        self.port = port
        self.log_path = LOGS / log_name
        self.log = open(self.log_path, "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(ODOO_BIN),
                "-c",
                CONFIG,
                "--http-port",
                str(port),
                "--workers",
                "0",
                "--max-cron-threads",
                "0",
                "--log-level",
                "warn",
                *options,
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        proxy = xmlrpc.client.ServerProxy(f"http://127.0.0.1:{port}/xmlrpc/2/common")
        deadline = time.monotonic() + 120
        while True:
            try:
                proxy.version()
                break
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise SystemExit(f"the benchmark server did not start, see {self.log_path}") from None
                time.sleep(0.5)

    def session(self, db):
        common = xmlrpc.client.ServerProxy(f"http://127.0.0.1:{self.port}/xmlrpc/2/common")
        uid = common.authenticate(db, "admin", "admin", {})
        models = xmlrpc.client.ServerProxy(f"http://127.0.0.1:{self.port}/xmlrpc/2/object")
        return lambda model, method, *args, **kw: models.execute_kw(db, uid, "admin", model, method, list(args), kw)

    def stop(self, timeout=30):
        self.process.terminate()
        self.process.wait(timeout)
        self.log.close()


def free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def valid_nip(n):
    """A valid NIP (official weights) derived from n."""
    weights = (6, 5, 7, 2, 3, 4, 5, 6, 7)
    base = 100000000 + n * 7919 % 900000000
    for bump in range(20):
        digits = f"{base + bump:09d}"
        check = sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
        if check < 10:
            return digits + str(check)
    raise ValueError(n)


def varied_name(seed):
    """A company name of pseudo words, like the scale templates': names of a batch that
    are all alike ("Shop 1", "Shop 2"...) make every new client a likely duplicate of
    every other (beyond 200 alike, of those of its equal name only: docs/API.md), which
    is not what a benchmark of creating or upserting clients measures."""
    digest = hashlib.md5(seed.encode()).hexdigest()
    return f"{digest[:8].title()} {digest[8:14].title()} Sp. z o.o."


def load_standin(addon, module, tools=()):
    """A stand-in module of ``addon``'s tests, loaded without Odoo: its package-relative
    imports (``..tools.<name>`` for each of ``tools``) and the shared HTTP server
    (``odoo.addons.crm_clients.tests.http_standin``) are registered under their names."""
    import importlib.util
    import types

    def load(name, path):
        spec = importlib.util.spec_from_file_location(name, path)
        loaded = importlib.util.module_from_spec(spec)
        sys.modules[name] = loaded
        spec.loader.exec_module(loaded)
        return loaded

    if "odoo.addons.crm_clients.tests.http_standin" not in sys.modules:
        load("odoo.addons.crm_clients.tests.http_standin", ROOT / "crm_clients" / "tests" / "http_standin.py")
    package = f"bench_{addon}"
    for name, path in (
        (package, addon),
        (f"{package}.tools", f"{addon}/tools"),
        (f"{package}.tests", f"{addon}/tests"),
    ):
        stub = types.ModuleType(name)
        stub.__path__ = [str(ROOT / path)]
        sys.modules[name] = stub
    for tool in tools:
        load(f"{package}.tools.{tool}", ROOT / addon / "tools" / f"{tool}.py")
    return load(f"{package}.tests.{module}", ROOT / addon / "tests" / f"{module}.py")
