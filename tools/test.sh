#!/usr/bin/env bash
# `make test`: fresh databases, every test, one summary.
#   Our addons' tests (crm_clients*/tests) run with Odoo's own runner, as OCA's CI runs
#   them (`odoo-bin --test-tags /<addon>,... --stop-after-init`: the post_install tests of
#   the addons named, in a database where they are installed); pytest runs tests/ (end to
#   end, across addons) and core's partner tests (with pytest-odoo).
#   core DB  : crm_clients alone (and what it depends on), plus crm_clients_peppol
#              (without account, so without core's PEPPOL fields): crm_clients' and
#              crm_clients_peppol's own tests (they must work without the bridges; the
#              tours and HTTP tests run in the full DB only), and core's base / mail /
#              phone_validation partner tests.
#   modules DB: crm_clients with CRM, Project, Timesheets, Calendar, Purchase and Repair
#              (their boxes, "+ Add" entries and timeline entries; tests/modules).
#   full DB  : every crm_clients addon with base_vat, account and sale (so the bridges
#              install): our addons' tests, with the tours in headless Chromium and the
#              HTTP tests (tags crm_clients_tour / crm_clients_http) served by the
#              runner's HTTP server; tests/ (end to end over XML-RPC against a live
#              server) and core's base_vat / account / sale partner tests.
#   peppol DB: the full DB with account_peppol, so crm_clients_peppol_account installs:
#              crm_clients_peppol's and crm_clients_peppol_account's tests.
set -uo pipefail
cd "$(dirname "$0")/.."
source tools/env.sh || exit 1

DB=${CRM_TEST_DB:-crm_clients_test}
DB_CORE="${DB}_core"
DB_E2E="${DB}_e2e"
# crm_clients_peppol_account needs account_peppol: it gets a database of its own.
ADDONS=$(ls -d crm_clients*/ | tr -d / | grep -vx crm_clients_peppol_account | paste -sd, -)
DB_PEPPOL="${DB}_peppol"
DB_MODULES="${DB}_modules"
# Modules whose records get boxes, "+ Add" entries and timeline entries without a bridge.
OTHER_MODULES=crm,project,hr_timesheet,calendar,purchase,repair
LOGS=.local/logs
mkdir -p "$LOGS"
rm -f "$LOGS"/*.log "$LOGS"/*.xml
S=$ODOO_SRC

install_db() {  # name, modules, log[, database to start from (a copy of it), odoo-bin arguments...]
    local db=$1 modules=$2 log=$3 template=${4:-}
    shift $(($# < 4 ? $# : 4))
    dropdb --if-exists --force "$db" >/dev/null 2>&1
    if [ -n "$template" ]; then
        createdb -T "$template" "$db" || exit 1
    fi
    if ! odoo_bin -d "$db" "$@" -i "$modules" --stop-after-init --log-level=warn >"$log" 2>&1 \
            || grep -qE " (ERROR|CRITICAL) " "$log"; then
        echo "Installing $modules in $db failed:"
        tail -n 60 "$log"
        echo "0 passed, 1 failed"
        exit 1
    fi
}

echo "== Installing crm_clients, crm_clients_peppol (without account) in $DB_CORE"
install_db "$DB_CORE" crm_clients,crm_clients_peppol "$LOGS/install-core.log"
echo "== Installing $ADDONS,base_vat,account,sale in $DB"
install_db "$DB" "$ADDONS,base_vat,account,sale" "$LOGS/install-full.log"
dropdb --if-exists --force "$DB_E2E" >/dev/null 2>&1
createdb -T "$DB" "$DB_E2E" || exit 1
echo "== Installing account_peppol (and so crm_clients_peppol_account) in $DB_PEPPOL"
install_db "$DB_PEPPOL" account_peppol "$LOGS/install-peppol.log" "$DB"
echo "== Installing crm_clients with $OTHER_MODULES in $DB_MODULES"
install_db "$DB_MODULES" "crm_clients,$OTHER_MODULES" "$LOGS/install-modules.log"
# An integrator's addon overriding client_upsert (tests/addons, for the tests only).
DB_OVERRIDE="${DB}_override"
echo "== Installing crm_clients_test_upsert_override (tests/addons) in $DB_OVERRIDE"
install_db "$DB_OVERRIDE" crm_clients_test_upsert_override "$LOGS/install-override.log" "$DB_CORE" \
    --addons-path="$ODOO_SRC/addons,$PWD,$PWD/tests/addons"
export CRM_TEST_DB=$DB CRM_E2E_DB=$DB_E2E CRM_OVERRIDE_DB=$DB_OVERRIDE

# Odoo's runner on one database: the post_install tests selected by the tags, on a free
# port for the HTTP server of the tours and HTTP tests. odoo-bin's exit status ends the
# log (tools/summarize.py counts a non-zero status as a failure).
free_port() { python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
odoo_tests() {  # database, test tags, log
    odoo_bin -d "$1" --test-tags "$2" --stop-after-init --log-level=info \
        --http-port="${CRM_TEST_HTTP_PORT:-$(free_port)}" >"$3" 2>&1
    echo "odoo-bin exit status: $?" >>"$3"
    grep -E "odoo\.tests\.result|^odoo-bin exit status| (ERROR|FAIL): | skipped " "$3" | tail -n 20
}
# /<addon> selects the tests of that addon (every test of ours is post_install).
tags() { tr , '\n' <<<"$1" | sed 's|^|/|' | paste -sd, -; }

echo "== Odoo test runner ($DB): our addons' tests, tours in Chromium, HTTP tests"
CRM_SCREENSHOTS_DIR="$PWD/docs/screenshots" odoo_tests "$DB" "$(tags "$ADDONS")" "$LOGS/odoo-full.log"

echo "== Odoo test runner ($DB_CORE): crm_clients and crm_clients_peppol alone"
odoo_tests "$DB_CORE" "$(tags crm_clients,crm_clients_peppol),-crm_clients_tour,-crm_clients_http" \
    "$LOGS/odoo-core.log"

echo "== Odoo test runner ($DB_PEPPOL): crm_clients_peppol with Odoo's PEPPOL access point"
odoo_tests "$DB_PEPPOL" "$(tags crm_clients_peppol,crm_clients_peppol_account)" "$LOGS/odoo-peppol.log"

PYTEST=(python -m pytest -p no:cacheprovider -q --odoo-config "$ODOO_RC"
        --ignore=tests/bench --ignore=tests/modules --ignore=tests/install)

echo "== pytest ($DB): tests/, core's base_vat / account / sale partner tests"
"${PYTEST[@]}" --odoo-database "$DB" --junitxml="$LOGS/pytest-full.xml" \
    -k "not TestStructureVIES and not TestSaleMailComposerUI" \
    tests \
    "$S/addons/base_vat/tests/test_validate_ruc.py" \
    "$S/addons/account/tests/test_account_partner.py" "$S/addons/account/tests/test_res_partner_merge.py" \
    "$S/addons/account/tests/test_multivat.py" \
    "$S/addons/sale/tests/test_sale_order.py" "$S/addons/sale/tests/test_onchange.py" \
    "$@" >"$LOGS/pytest-full.log" 2>&1
grep -E "^(FAILED|ERROR) |passed|failed|error" "$LOGS/pytest-full.log" | tail -n 30

echo "== pytest ($DB_CORE): core's base / mail / phone_validation partner tests"
"${PYTEST[@]}" --odoo-database "$DB_CORE" --junitxml="$LOGS/pytest-core.xml" \
    "$S/odoo/addons/base/tests/test_res_partner.py" "$S/odoo/addons/base/tests/test_res_partner_merge.py" \
    "$S/odoo/addons/base/tests/test_res_partner_bank.py" \
    "$S/addons/mail/tests/test_res_partner.py" "$S/addons/phone_validation/tests" \
    >"$LOGS/pytest-core.log" 2>&1
grep -E "^(FAILED|ERROR) |passed|failed|error" "$LOGS/pytest-core.log" | tail -n 30

echo "== pytest ($DB_MODULES): the client workspace with $OTHER_MODULES"
"${PYTEST[@]}" --odoo-database "$DB_MODULES" --junitxml="$LOGS/pytest-modules.xml" \
    tests/modules/test_module_workspace.py \
    >"$LOGS/pytest-modules.log" 2>&1
grep -E "^(FAILED|ERROR) |passed|failed|error" "$LOGS/pytest-modules.log" | tail -n 30

# crm_clients installed into a database that already holds partners (base, contacts, a
# second company, 3,000 partners made by SQL: tests/install/existing_partners.py), then
# uninstalled and installed again on a copy (tests/install/test_uninstall.py).
DB_LIVE="${DB}_live"
echo "== Installing crm_clients into a database with existing partners ($DB_LIVE)"
live_ready=0
install_db "${DB_LIVE}_before" base,contacts "$LOGS/install-live-before.log"
dropdb --if-exists --force "$DB_LIVE" >/dev/null 2>&1
if python tests/install/existing_partners.py "${DB_LIVE}_before" 3000 >"$LOGS/install-live-fill.log" 2>&1 \
        && createdb -T "${DB_LIVE}_before" "$DB_LIVE" \
        && odoo_bin -d "$DB_LIVE" -i crm_clients --stop-after-init --log-level=warn >"$LOGS/install-live.log" 2>&1 \
        && ! grep -qE " (ERROR|CRITICAL) " "$LOGS/install-live.log"; then
    live_ready=1
    for copy in "${DB_LIVE}_schema" "${DB_LIVE}_e2e"; do
        dropdb --if-exists --force "$copy" >/dev/null 2>&1
        createdb -T "$DB_LIVE" "$copy" || live_ready=0
    done
fi
if [ "$live_ready" = 1 ]; then
    echo "== pytest ($DB_LIVE): the existing partners, the Data Quality report, uninstall and reinstall"
    CRM_LIVE_BEFORE_DB="${DB_LIVE}_before" CRM_LIVE_SCHEMA_DB="${DB_LIVE}_schema" CRM_LIVE_E2E_DB="${DB_LIVE}_e2e" \
    "${PYTEST[@]}" --odoo-database "$DB_LIVE" --junitxml="$LOGS/pytest-live.xml" \
        tests/install/test_existing_partners.py tests/install/test_xmlrpc_data_quality.py \
        tests/install/test_uninstall.py \
        >"$LOGS/pytest-live.log" 2>&1
    grep -E "^(FAILED|ERROR) |passed|failed|error" "$LOGS/pytest-live.log" | tail -n 30
else
    echo "Installing crm_clients into existing partners failed:"
    tail -n 40 "$LOGS/install-live-fill.log" "$LOGS/install-live.log" 2>/dev/null
fi

# The addons as integrators install them: the wheels of `make dist` in a fresh virtualenv
# next to Odoo, a database installed from them (no addons_path entry for this checkout)
# and one test per addon by Odoo's own runner (tests/install/test_wheels.py); then a
# database made with the previous release and some data, upgraded with this code
# (tools/test_upgrade.sh, tests/install/test_upgrade.py).
echo "== Wheels of make dist in a fresh virtualenv, installed into ${DB}_wheels"
CRM_WHEELS_DB="${DB}_wheels" python -m pytest -p no:odoo -p no:cacheprovider -q \
    --junitxml="$LOGS/pytest-wheels.xml" tests/install/test_wheels.py >"$LOGS/pytest-wheels.log" 2>&1
grep -E "^(FAILED|ERROR) |passed|failed|error" "$LOGS/pytest-wheels.log" | tail -n 30
echo "== Upgrade of a database made with the previous release (${DB}_upgrade)"
bash tools/test_upgrade.sh "${DB}_upgrade" "$LOGS"

echo "== Summary"
python tools/summarize.py \
    "odoo:Odoo runner, full database (our addons, tours, HTTP tests):$LOGS/odoo-full.log" \
    "odoo:Odoo runner, crm_clients alone:$LOGS/odoo-core.log" \
    "odoo:Odoo runner, with account_peppol:$LOGS/odoo-peppol.log" \
    "junit:pytest, full database (tests/, core's partner tests):$LOGS/pytest-full.xml" \
    "junit:pytest, crm_clients alone (core's partner tests):$LOGS/pytest-core.xml" \
    "junit:pytest, with CRM / Project / Calendar / Purchase / Repair:$LOGS/pytest-modules.xml" \
    "junit:pytest, installed into existing partners:$LOGS/pytest-live.xml" \
    "junit:pytest, installed from the wheels:$LOGS/pytest-wheels.xml" \
    "junit:pytest, upgraded from the previous release:$LOGS/pytest-upgrade.xml"
