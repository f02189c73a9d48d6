#!/usr/bin/env bash
# `make test`: a fresh database with every crm_clients addon (and the core modules our
# bridges glue to), then
#   1. Odoo's own runner: our tours in headless Chromium, and core's partner tests
#      (base, mail, base_vat, phone_validation, account, sale) with our addons installed;
#   2. pytest with pytest-odoo: every addon's Python tests, and tests/ (end-to-end over
#      XML-RPC against a live server, stand-in servers);
# and one summary of all of it.
set -uo pipefail
cd "$(dirname "$0")/.."
source tools/env.sh || exit 1

DB=${CRM_TEST_DB:-crm_clients_test}
ADDONS=$(ls -d crm_clients*/ | tr -d / | paste -sd, -)
MODULES="$ADDONS,base_vat,account,sale"
LOGS=.local/logs
mkdir -p "$LOGS"
rm -f "$LOGS"/*.log "$LOGS"/*.xml

echo "== Installing $MODULES in a fresh database $DB"
dropdb --if-exists "$DB" >/dev/null 2>&1
if ! odoo_bin -d "$DB" -i "$MODULES" --stop-after-init --log-level=warn >"$LOGS/install.log" 2>&1 \
        || grep -q " ERROR \| CRITICAL " "$LOGS/install.log"; then
    tail -n 60 "$LOGS/install.log"
    echo "0 passed, 1 failed"
    exit 1
fi
export CRM_TEST_DB=$DB

# Tours (tag crm_clients_tour) and core's partner tests go through Odoo's runner, which
# hosts the HTTP server and Chromium that tours need.
CORE_TAGS=(
    crm_clients_tour
    /base:TestPartner /base:TestPartnerAddressCompany /base:TestPartnerForm /base:TestPartnerRecursion
    /base:TestMergePartner /base:TestResPartnerBank
    /mail:TestPartner
    /base_vat:TestStructure
    /phone_validation
    /account:TestAccountPartner /account:TestMergePartner /account:TestMultiVAT
    /sale:TestSaleOrder /sale:TestSaleOnchanges
)
TAGS=$(IFS=,; echo "${CORE_TAGS[*]}")
echo "== Odoo test runner: tours and core partner tests"
odoo_bin -d "$DB" --test-tags "$TAGS" --stop-after-init --log-level=info \
    --http-port="${CRM_TEST_HTTP_PORT:-8169}" >"$LOGS/odoo-runner.log" 2>&1
grep -E "odoo\.tests\.result|(ERROR|FAIL): |skipped " "$LOGS/odoo-runner.log" | tail -n 40

echo "== pytest: addon tests and tests/"
python -m pytest -p no:cacheprovider --odoo-config "$ODOO_RC" --odoo-database "$DB" \
    --ignore-glob='*/tests/test_tours*.py' --ignore=tests/bench \
    --junitxml="$LOGS/pytest.xml" -q "$@" crm_clients*/tests tests \
    2>&1 | tee "$LOGS/pytest.log" | tail -n 40

echo "== Summary"
python tools/summarize.py "odoo:odoo runner (tours, core partner tests):$LOGS/odoo-runner.log" \
    "junit:pytest (addons, tests/):$LOGS/pytest.xml"
