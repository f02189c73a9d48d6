#!/usr/bin/env bash
# The screenshots of the addons' Apps descriptions (static/description/*.png), remade in
# headless Chromium from the running web client: the tests tagged crm_clients_screenshots
# (each addon's tests/test_tours_screenshots.py, with the local stand-ins of the services)
# write them, 1280 pixels wide in 256 colours, to a temporary folder, one subfolder per
# addon; they are then copied into each addon's static/description/.
#
#   tools/screenshots.sh [DATABASE]   # a database with the addons installed (default: a
#                                     # copy of crm_clients_test, dropped afterwards)
# Run tools/gen_readme.py afterwards when a screenshot is added or renamed.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/env.sh
OUT=$(mktemp -d)
DB=${1:-}
if [ -z "$DB" ]; then
    DB="crm_clients_screenshots_$$"
    createdb -T "${CRM_TEST_DB:-crm_clients_test}" "$DB"
    trap 'dropdb --if-exists --force "$DB"; rm -rf "$OUT"' EXIT
else
    trap 'rm -rf "$OUT"' EXIT
fi
# The web client's assets are attachments whose files stay in the template's filestore:
# the copy makes them anew.
psql -q -d "$DB" -c "DELETE FROM ir_attachment WHERE res_model = 'ir.ui.view' AND url LIKE '/web/assets/%'"
PORT=$(python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
CRM_SCREENSHOTS_DIR="$OUT" odoo_bin -d "$DB" --test-tags crm_clients_screenshots --stop-after-init \
    --log-level=info --http-port="$PORT" >"$OUT/odoo.log" 2>&1 || true
grep -E "odoo\.tests\.result|(ERROR|FAIL): " "$OUT/odoo.log" | tail -n 20 || true
if ! grep -q "odoo.tests.result: 0 failed, 0 error(s)" "$OUT/odoo.log"; then
    echo "The screenshot tests failed: nothing copied."
    exit 1
fi
for folder in "$OUT"/crm_clients*/; do
    addon=$(basename "$folder")
    cp "$folder"*.png "$addon/static/description/"
    echo "$addon: $(cd "$folder" && ls *.png | paste -sd' ')"
done
