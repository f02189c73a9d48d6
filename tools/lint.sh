#!/usr/bin/env bash
# Linters run by CI: ruff, and pylint-odoo's mandatory checks on every addon.
set -uo pipefail
cd "$(dirname "$0")/.."
source tools/env.sh >/dev/null || exit 1
status=0
echo "== ruff"
ruff check . || status=1
echo "== pylint-odoo (mandatory checks)"
pylint --rcfile=.pylintrc-mandatory --disable=unknown-option-value $(ls -d crm_clients*/) || status=1
exit $status
