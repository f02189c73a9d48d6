#!/usr/bin/env bash
# A stage of `make test`: a database made with the previous release of the addons,
# upgraded with this checkout's code, loses nothing.
#   1. the previous release ($CRM_PREVIOUS_RELEASE, default d6d76a9: every addon before
#      the 18.0.1.1.0 versions) is extracted with `git archive` into a temporary folder;
#   2. all its addons are installed (with what they depend on: Invoicing, Sales, Odoo's
#      PEPPOL access point) and tests/install/upgrade_old_data.py, run by `odoo-bin shell`
#      on that code, makes data and writes what must survive ($LOGS/upgrade-snapshot.json);
#   3. `-u` of every addon of ours with this checkout's code;
#   4. tests/install/test_upgrade.py (pytest-odoo) checks the upgraded database.
# Usage: tools/test_upgrade.sh [DB [LOGDIR]]; the JUnit report is LOGDIR/pytest-upgrade.xml.
set -uo pipefail
cd "$(dirname "$0")/.."
source tools/env.sh >/dev/null || exit 1
DB=${1:-${CRM_TEST_DB:-crm_clients_test}_upgrade}
LOGS=${2:-.local/logs}
PREVIOUS=${CRM_PREVIOUS_RELEASE:-d6d76a9}
mkdir -p "$LOGS"
rm -f "$LOGS/pytest-upgrade.xml"
old=$(mktemp -d)
trap 'rm -rf "$old"' EXIT

failed() {  # message, log
    echo "$1"
    tail -n 40 "$2"
    exit 1
}
clean() { [ $? = 0 ] && ! grep -qE " (ERROR|CRITICAL) " "$1"; }

# From this clone's history, not from another checkout: CI's clean clone has it too
# (a shallow clone does not: `git fetch --unshallow` first).
git cat-file -e "$PREVIOUS^{commit}" 2>/dev/null || git fetch --quiet --unshallow 2>/dev/null
git archive "$PREVIOUS" 2>/dev/null | tar -x -C "$old" && [ -d "$old/crm_clients" ] \
    || { echo "No previous release $PREVIOUS in this clone (shallow? git fetch --unshallow)"; exit 1; }
addons=$(cd "$old" && ls -d crm_clients*/ | tr -d / | paste -sd, -)
# The same database server and filestore, the previous release's addons.
sed "s|^addons_path = .*|addons_path = $ODOO_SRC/addons,$old|" "$ODOO_RC" >"$old/odoo.conf"
# ODOO_RC (this checkout's configuration) must not reach the previous release's runs: the
# command line of `odoo-bin shell` finds addons before it reads -c.
old_odoo() { env -u ODOO_RC python "$ODOO_SRC/odoo-bin" "$@" -c "$old/odoo.conf"; }

dropdb --if-exists --force "$DB" >/dev/null 2>&1
old_odoo -d "$DB" -i "$addons" --without-demo=all --stop-after-init --log-level=warn >"$LOGS/upgrade-old-install.log" 2>&1
clean "$LOGS/upgrade-old-install.log" || failed "Installing the previous release ($PREVIOUS) failed:" "$LOGS/upgrade-old-install.log"
CRM_UPGRADE_SNAPSHOT="$LOGS/upgrade-snapshot.json" old_odoo shell -d "$DB" --log-level=warn --no-http \
    <tests/install/upgrade_old_data.py >"$LOGS/upgrade-old-data.log" 2>&1
clean "$LOGS/upgrade-old-data.log" && [ -s "$LOGS/upgrade-snapshot.json" ] \
    || failed "Making data with the previous release failed:" "$LOGS/upgrade-old-data.log"
odoo_bin -d "$DB" -u "$addons" --stop-after-init --log-level=warn >"$LOGS/upgrade.log" 2>&1
clean "$LOGS/upgrade.log" || failed "Upgrading $DB failed:" "$LOGS/upgrade.log"
CRM_UPGRADE_SNAPSHOT="$LOGS/upgrade-snapshot.json" python -m pytest -p no:cacheprovider -q \
    --odoo-config "$ODOO_RC" --odoo-database "$DB" --junitxml="$LOGS/pytest-upgrade.xml" \
    tests/install/test_upgrade.py >"$LOGS/pytest-upgrade.log" 2>&1
status=$?
grep -E "^(FAILED|ERROR) |passed|failed|error" "$LOGS/pytest-upgrade.log" | tail -n 20
exit $status
