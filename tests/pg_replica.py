"""A streaming replica of the PostgreSQL cluster the tests use (tools/bootstrap.sh's private
cluster), for tests/test_replica.py and tests/bench/bench_replica.py.

``Replica().start()`` copies the running primary with ``pg_basebackup -R`` (a physical
replication slot of its own keeps the WAL it needs), starts it as a hot standby on a free
port of 127.0.0.1, and waits until it has replayed everything; ``stop()`` stops it, drops
its slot and removes its folder. Run as root, PostgreSQL's programs run as the
``postgres`` user, like the primary (bootstrap.sh).

The primary must accept replication connections: ``wal_level`` replica or logical and
``max_wal_senders`` > 0 (PostgreSQL's defaults; changing them needs a restart, so a cluster
without them is refused with what to set), and a ``replication`` line in pg_hba.conf for
127.0.0.1, which ``start()`` adds (and reloads) when the primary refuses the connection.
"""

import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from contextlib import closing
from contextlib import contextmanager
from contextlib import suppress
from pathlib import Path

import psycopg2
import psycopg2.extras

PREFIX = "crm_clients-replica-"
SLOT_PREFIX = "crm_clients_replica_"
HBA_LINE = "host    replication     all             127.0.0.1/32            trust  # crm_clients tests/pg_replica.py\n"
# One log entry per statement (log_statement = all): "<time> [<pid>] <database> <application>: LOG:  statement: <sql>"
_ENTRY = re.compile(r"^\S+ \S+ \S+ \[\d+\] (\S*) (\S*): LOG:  statement: (.*)\Z", re.DOTALL)
_ENTRY_START = re.compile(r"\n(?=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)")


class ReplicaError(RuntimeError):
    pass


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Replica:
    """A hot standby of the primary PostgreSQL server named by PGHOST / PGPORT / PGUSER."""

    def __init__(self, log_statements=False):
        self.log_statements = log_statements
        self.primary = {
            "host": os.environ.get("PGHOST") or "127.0.0.1",
            "port": int(os.environ.get("PGPORT") or 5432),
            "user": os.environ.get("PGUSER") or "odoo",
        }
        self.host = "127.0.0.1"
        self.port = None
        self.folder = None
        self.name = None
        self.bin = None
        self.as_postgres = ["runuser", "-u", "postgres", "--", "env", "-C", "/"] if os.geteuid() == 0 else []

    # ---- connections ----

    def connect_primary(self, dbname="postgres"):
        conn = psycopg2.connect(dbname=dbname, **self.primary)
        conn.autocommit = True
        return conn

    def connect(self, dbname="postgres"):
        """A connection to the replica."""
        conn = psycopg2.connect(dbname=dbname, host=self.host, port=self.port, user=self.primary["user"])
        conn.autocommit = True
        return conn

    def primary_query(self, sql, params=None, dbname="postgres"):
        with closing(self.connect_primary(dbname)) as conn, conn.cursor() as cr:
            cr.execute(sql, params)
            return cr.fetchall() if cr.description else None

    def query(self, sql, params=None, dbname="postgres"):
        with closing(self.connect(dbname)) as conn, conn.cursor() as cr:
            cr.execute(sql, params)
            return cr.fetchall() if cr.description else None

    # ---- life cycle ----

    def start(self):
        """Make and start the replica; on any failure, what was made is removed."""
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self):
        names = ("server_version_num", "is_superuser", "data_directory", "wal_level", "max_wal_senders", "hba_file")
        [values] = self.primary_query("SELECT " + ", ".join("current_setting(%s)" for _name in names), names)
        settings = dict(zip(names, values, strict=True))
        if settings.get("is_superuser") != "on":
            raise ReplicaError(f"{self.primary['user']} is no superuser of the primary: cannot make a replica")
        if not Path(settings.get("data_directory") or "/nonexistent").is_dir():
            raise ReplicaError("the primary's data directory is not on this machine: start it with tools/bootstrap.sh")
        if settings["wal_level"] == "minimal" or int(settings["max_wal_senders"]) < 1:
            raise ReplicaError(
                "the primary cannot stream to a replica: set wal_level = replica and max_wal_senders = 10 in its "
                "postgresql.conf and restart it (tools/bootstrap.sh)"
            )
        major = int(settings["server_version_num"]) // 10000
        self.bin = self._find_bin(major)
        self._clean_leftovers()
        self._allow_replication(settings["hba_file"])

        base = "/tmp" if self.as_postgres else tempfile.gettempdir()
        self.folder = Path(tempfile.mkdtemp(prefix=PREFIX, dir=base))
        self.port = _free_port()
        self.name = f"{SLOT_PREFIX}{self.port}"
        (self.folder / "owner").write_text(f"{os.getpid()} {self.name}")
        if self.as_postgres:
            shutil.chown(self.folder, "postgres", "postgres")
        self.folder.chmod(0o700)
        data = self.folder / "data"
        backup = [
            str(self.bin / "pg_basebackup"),
            *("-h", self.primary["host"], "-p", str(self.primary["port"]), "-U", self.primary["user"]),
            *("-D", str(data), "-R", "-X", "stream", "-c", "fast", "--no-sync"),
            *("-C", "-S", self.name),  # a slot of its own: the primary keeps the WAL it has not received
        ]
        if major >= 13:
            backup.append("--no-manifest")
        self._run(backup, "pg_basebackup")
        options = {
            "port": self.port,
            "listen_addresses": self.host,
            "unix_socket_directories": self.folder,
            "cluster_name": self.name,  # its application name on the primary (synchronous_standby_names)
            "shared_buffers": "128MB",
            "hot_standby": "on",
            "hot_standby_feedback": "on",
            "logging_collector": "off",
            "log_line_prefix": "%m [%p] %d %a: ",
            "log_statement": "all" if self.log_statements else "none",
        }
        command_line = " ".join(f"-c {shlex.quote(f'{key}={value}')}" for key, value in options.items())
        self._run(
            [
                str(self.bin / "pg_ctl"),
                *("-D", str(data), "-l", str(self.log_path), "-w", "-t", "120", "-o", command_line, "start"),
            ],
            "pg_ctl start",
        )
        self.catch_up()
        return self

    def stop(self):
        """Stop the server, drop its slot, remove its folder: each step even when the one
        before failed (the first failure is raised after)."""
        if self.folder is None:
            return
        data = self.folder / "data"
        try:
            if (data / "postmaster.pid").exists():
                self._run(
                    [str(self.bin / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "-t", "60", "stop"],
                    "pg_ctl stop",
                )
        finally:
            try:
                self._drop_slot(self.name)
                self.reset_synchronous()
            finally:
                shutil.rmtree(self.folder, ignore_errors=True)
                self.folder = None

    def halt(self):
        """Stop the server at once, as a crash would (stop() still cleans up after)."""
        self._run(
            [str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "-w", "-t", "60", "stop"],
            "pg_ctl stop",
        )

    @property
    def log_path(self):
        return self.folder / "server.log"

    # ---- replay ----

    def catch_up(self, timeout=60):
        """Wait until the replica has replayed everything the primary wrote so far."""
        [(lsn,)] = self.primary_query("SELECT pg_current_wal_lsn()")
        deadline = time.monotonic() + timeout
        while True:
            try:
                [(done,)] = self.query("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn])
                if done:
                    return
            except psycopg2.OperationalError:
                pass  # still starting
            if time.monotonic() > deadline:
                raise ReplicaError(f"the replica did not replay up to {lsn} within {timeout} s, see {self.log_path}")
            time.sleep(0.05)

    @contextmanager
    def paused(self):
        """The replica stops replaying the primary's changes (it keeps receiving them):
        as far behind as a replica can be, for as long as the block lasts."""
        self.query("SELECT pg_wal_replay_pause()")
        try:
            yield
        finally:
            self.query("SELECT pg_wal_replay_resume()")

    def set_apply_delay(self, delay):
        """``recovery_min_apply_delay`` (e.g. '300ms', '0'): each transaction is applied
        that long after its commit on the primary, a steady replication lag."""
        with open(self.folder / "data" / "postgresql.conf", "a") as conf:
            conf.write(f"recovery_min_apply_delay = '{delay}'\n")
        self.query("SELECT pg_reload_conf()")
        deadline = time.monotonic() + 10
        while self.query("SHOW recovery_min_apply_delay")[0][0] != self._normalized_delay(delay):
            if time.monotonic() > deadline:
                raise ReplicaError(f"recovery_min_apply_delay = {delay} not taken")
            time.sleep(0.05)

    @staticmethod
    def _normalized_delay(delay):
        return "0" if delay in ("0", "0ms") else delay

    @contextmanager
    def synchronous(self):
        """The primary waits for this replica on commit: until it applied the commit for
        the sessions with ``synchronous_commit = remote_apply``, until it wrote it to disk
        for the others (``on``, the default: a few milliseconds), cluster-wide. Set with
        ALTER SYSTEM and removed after, even when the block fails; a run killed inside the
        block leaves it set (every commit of the cluster then waits for a replica that is
        gone) until the next start() or stop() of a Replica resets it: keep blocks short."""
        self.primary_query(f"ALTER SYSTEM SET synchronous_standby_names = '\"{self.name}\"'")
        self.primary_query("SELECT pg_reload_conf()")
        try:
            deadline = time.monotonic() + 30
            while self.primary_query(
                "SELECT sync_state FROM pg_stat_replication WHERE application_name = %s", [self.name]
            ) != [("sync",)]:
                if time.monotonic() > deadline:
                    raise ReplicaError("the primary did not make the replica synchronous")
                time.sleep(0.05)
            yield
        finally:
            self.reset_synchronous()

    def reset_synchronous(self):
        [(names,)] = self.primary_query("SELECT current_setting('synchronous_standby_names')")
        if SLOT_PREFIX in names:
            self.primary_query("ALTER SYSTEM RESET synchronous_standby_names")
            self.primary_query("SELECT pg_reload_conf()")

    # ---- what ran there ----

    def log_offset(self):
        return self.log_path.stat().st_size

    def statements(self, since=0, application_name=None, dbname=None):
        """SQL statements the replica ran after ``since`` (a log_offset()), for this
        application name and database when given (needs log_statements)."""
        assert self.log_statements, "start the replica with log_statements=True"
        with open(self.log_path, "rb") as log:
            log.seek(since)
            text = log.read().decode("utf-8", "replace")
        found = []
        for entry in _ENTRY_START.split(text):
            match = _ENTRY.match(entry.strip("\n"))
            if not match:
                continue
            database, application, sql = match.groups()
            if application_name not in (None, application) or dbname not in (None, database):
                continue
            found.append(sql)
        return found

    # ---- helpers ----

    def _find_bin(self, major):
        for candidate in (Path(f"/usr/lib/postgresql/{major}/bin"), Path(f"/usr/pgsql-{major}/bin")):
            if (candidate / "pg_basebackup").exists():
                return candidate
        found = shutil.which("pg_basebackup")
        if found:
            return Path(found).parent
        raise ReplicaError(f"pg_basebackup of PostgreSQL {major} not found (/usr/lib/postgresql/{major}/bin)")

    def _run(self, command, what):
        result = subprocess.run([*self.as_postgres, *command], capture_output=True, text=True, timeout=600, check=False)
        if result.returncode:
            raise ReplicaError(f"{what} failed ({result.returncode}): {result.stderr.strip()[-2000:]}")
        return result

    def _allow_replication(self, hba_file):
        """A replication connection from 127.0.0.1 must be accepted: add the pg_hba.conf
        line when the primary refuses one (idempotent: only when refused)."""
        try:
            self._replication_connection().close()
            return
        except psycopg2.OperationalError as refused:
            if "pg_hba.conf" not in str(refused):
                raise
        with open(hba_file, "a") as hba:
            hba.write(HBA_LINE)
        self.primary_query("SELECT pg_reload_conf()")
        time.sleep(0.5)
        self._replication_connection().close()

    def _replication_connection(self):
        return psycopg2.connect(
            connection_factory=psycopg2.extras.PhysicalReplicationConnection, dbname="replication", **self.primary
        )

    def _drop_slot(self, name, timeout=30):
        deadline = time.monotonic() + timeout
        while self.primary_query("SELECT active FROM pg_replication_slots WHERE slot_name = %s", [name]) == [(True,)]:
            if time.monotonic() > deadline:
                raise ReplicaError(f"the replication slot {name} stays in use")
            time.sleep(0.1)
        self.primary_query(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = %s", [name]
        )

    def _clean_leftovers(self):
        """Replicas of earlier runs that died without stopping theirs (their process is
        gone): stopped, removed, their slots dropped, the primary no longer waiting for
        them. Replicas of runs still going on are left alone."""
        live = set()
        for base in {Path("/tmp"), Path(tempfile.gettempdir())}:
            for folder in base.glob(f"{PREFIX}*"):
                try:
                    owner, slot = (folder / "owner").read_text().split()
                except (OSError, ValueError):
                    owner, slot = "0", None
                if _pid_alive(int(owner)):
                    live.add(slot)
                    continue
                pid_file = folder / "data" / "postmaster.pid"
                if pid_file.exists():
                    with suppress(OSError, ValueError):
                        os.kill(int(pid_file.read_text().split()[0]), signal.SIGQUIT)  # immediate shutdown
                shutil.rmtree(folder, ignore_errors=True)
        for (slot,) in self.primary_query(
            "SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE %s", [SLOT_PREFIX + "%"]
        ):
            if slot not in live:
                self._drop_slot(slot)
        [(names,)] = self.primary_query("SELECT current_setting('synchronous_standby_names')")
        if SLOT_PREFIX in names and not any(slot in names for slot in live):
            self.reset_synchronous()
