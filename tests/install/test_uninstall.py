"""Uninstalling crm_clients leaves res_partner as it was before the install, and installing
it again works (tools/test.sh: CRM_LIVE_BEFORE_DB is the database before the install,
CRM_LIVE_SCHEMA_DB a copy of it with crm_clients installed, this test's to change)."""

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIG = os.environ.get("ODOO_RC") or str(ROOT / ".local" / "odoo.conf")
ODOO_BIN = Path(os.environ.get("ODOO_SRC", "/opt/odoo")) / "odoo-bin"
LOGS = ROOT / ".local" / "logs"

_UNINSTALL = """
env["ir.module.module"].search([("name", "=", "crm_clients")]).button_immediate_uninstall()
env.cr.commit()
"""


def databases():
    before, target = os.environ.get("CRM_LIVE_BEFORE_DB"), os.environ.get("CRM_LIVE_SCHEMA_DB")
    if not before or not target:
        pytest.fail("CRM_LIVE_BEFORE_DB and CRM_LIVE_SCHEMA_DB name the databases: run the tests with `make test`.")
    return before, target


def fetch(db, sql):
    with contextlib.closing(psycopg2.connect(dbname=db)) as conn, conn.cursor() as cr:
        cr.execute(sql)
        return cr.fetchall()


def schema(db):
    """Columns, indexes, constraints and triggers of res_partner."""
    return {
        "columns": fetch(
            db,
            """SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns
                WHERE table_name = 'res_partner' ORDER BY column_name""",
        ),
        "indexes": fetch(db, "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'res_partner' ORDER BY 1"),
        "constraints": fetch(
            db,
            """SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
                WHERE conrelid = 'res_partner'::regclass ORDER BY 1""",
        ),
        "foreign keys to it": fetch(
            db,
            """SELECT conrelid::regclass::text, conname FROM pg_constraint
                WHERE confrelid = 'res_partner'::regclass ORDER BY 1, 2""",
        ),
        "triggers": fetch(
            db,
            """SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger
                WHERE tgrelid = 'res_partner'::regclass AND NOT tgisinternal ORDER BY 1""",
        ),
    }


def odoo(db, *args, command=(), stdin=None, log_name):
    LOGS.mkdir(parents=True, exist_ok=True)
    with open(LOGS / log_name, "w") as log:
        result = subprocess.run(
            [sys.executable, str(ODOO_BIN), *command, "-c", CONFIG, "-d", db, *args, "--log-level", "warn"],
            input=stdin,
            text=True,
            stdout=log,
            stderr=subprocess.STDOUT,
            check=False,
        )
    text = (LOGS / log_name).read_text(errors="replace")
    assert result.returncode == 0 and " ERROR " not in text and " CRITICAL " not in text, text[-3000:]


def test_uninstall_restores_res_partner_and_reinstall_works():
    before, target = databases()
    expected = schema(before)
    installed = schema(target)
    assert installed != expected  # the install did change it
    assert ("res_partner_vat_crm_trgm",) in [(name,) for name, _def in installed["indexes"]]

    odoo(target, "--no-http", command=["shell"], stdin=_UNINSTALL, log_name="install-live-uninstall.log")
    assert fetch(target, "SELECT state FROM ir_module_module WHERE name = 'crm_clients'") == [("uninstalled",)]
    after = schema(target)
    for part, rows in expected.items():
        assert after[part] == rows, f"res_partner {part} differ after the uninstall"

    # Installing again gives the existing partners their lines, numbers and report again.
    odoo(target, "-i", "crm_clients", "--stop-after-init", log_name="install-live-reinstall.log")
    missing, clients, numbered, findings = fetch(
        target,
        """
        SELECT (SELECT count(*) FROM res_partner p WHERE btrim(p.email) <> ''
                   AND NOT EXISTS (SELECT 1 FROM crm_client_email e WHERE e.partner_id = p.id)),
               (SELECT count(*) FROM res_partner WHERE is_client),
               (SELECT count(client_number) FROM res_partner WHERE is_client),
               (SELECT count(*) FROM crm_client_data_quality)
        """,
    )[0]
    assert missing == 0
    assert clients > 1000 and numbered == clients
    assert findings > 0
    assert schema(target) == installed
