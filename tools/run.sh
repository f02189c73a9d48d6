#!/usr/bin/env bash
# `make run`: Odoo with every crm_clients addon and demo data on http://127.0.0.1:8069.
# Safe to run again: an existing, complete database is reused (and its addons updated);
# a database left half-installed by an interrupted run is recreated.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/env.sh

DB=${CRM_RUN_DB:-crm_clients}
PORT=${CRM_RUN_PORT:-8069}
# crm_clients_peppol_account installs itself with account_peppol, which `make run` leaves out.
ADDONS=$(ls -d crm_clients*/ | tr -d / | grep -vx crm_clients_peppol_account | paste -sd, -)
MODULES="$ADDONS,contacts"

state=$(psql -d "$DB" -Atc "SELECT state FROM ir_module_module WHERE name = 'crm_clients'" 2>/dev/null || true)
if [ "$state" != "installed" ]; then
    echo "Creating the database $DB with $MODULES and demo data (a minute or two)..."
    dropdb --if-exists --force "$DB" >/dev/null 2>&1 || true
    odoo_bin -d "$DB" -i "$MODULES" --stop-after-init --log-level=warn
else
    echo "Updating $ADDONS in the existing database $DB (and installing new ones)..."
    odoo_bin -d "$DB" -i "$MODULES" -u "$ADDONS" --stop-after-init --log-level=warn
fi

cat <<MSG

  Odoo is starting on http://127.0.0.1:$PORT  (database $DB)
  Log in as admin / admin  (manager of every crm_clients group),
  or demo / demo           (a CRM Clients user).
  The Clients app is in the main menu. Stop with Ctrl+C.

MSG
exec python "$ODOO_SRC/odoo-bin" -c "$ODOO_RC" -d "$DB" --db-filter "^$DB\$" --http-port "$PORT" --http-interface 127.0.0.1
