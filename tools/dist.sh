#!/usr/bin/env bash
# `make dist`: one wheel per addon (odoo-addon-<addon>, built by whool from its manifest)
# and the meta distribution odoo-addons-crm-clients (setup/_metapackage), into dist/ or $1.
#   pip install --find-links dist odoo-addon-crm_clients_gus   # one addon and what it needs
#   pip install --find-links dist odoo-addons-crm-clients      # every addon
# Versions are the manifests' (WHOOL_POST_VERSION_STRATEGY_OVERRIDE=none); set it to
# dot_n for OCA's nightly versions (manifest version + commits since the last bump).
# What is packed is what git would commit: tracked files and new files not ignored
# (whool itself packs `git ls-files`, which leaves out a file not yet added).
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/env.sh >/dev/null || exit 1
out=$(realpath -m "${1:-dist}")
rm -rf "$out"
mkdir -p "$out"
export WHOOL_POST_VERSION_STRATEGY_OVERRIDE=${WHOOL_POST_VERSION_STRATEGY_OVERRIDE:-none}
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -z --cached --others --exclude-standard -- crm_clients*/ setup/_metapackage \
        | while IFS= read -r -d '' f; do [ -f "$f" ] && printf '%s\0' "$f"; done \
        | xargs -0 cp --parents -t "$stage"
else
    cp -r crm_clients*/ setup "$stage"
fi
cd "$stage"
# No build isolation: whool and setuptools come from the virtualenv (tools/requirements-dev.txt).
pip wheel --quiet --no-deps --no-build-isolation --wheel-dir "$out" $(ls -d crm_clients*/ | sed 's|^|./|') ./setup/_metapackage
ls "$out"
