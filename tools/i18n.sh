#!/usr/bin/env bash
# Refresh the translation templates (*/i18n/*.pot) of every addon from a database with all
# of them installed, and merge them into the pl.po / es.po catalogs (existing translations
# kept, no fuzzy guesses). Then translate the new empty entries; `make test` fails until
# every term is translated (tests/test_translations.py).
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/env.sh
DB=${CRM_I18N_DB:-crm_clients_i18n}
ADDONS=$(ls -d crm_clients*/ | tr -d / | paste -sd, -)
# A database left half-installed by an earlier failure is made again.
installed=$(psql -d "$DB" -Atc "SELECT count(*) FROM ir_module_module WHERE name = 'crm_clients' AND state = 'installed'" 2>/dev/null || echo 0)
if [ "$installed" = 1 ]; then
    odoo_bin -d "$DB" -u "$ADDONS" --stop-after-init --log-level=warn
else
    dropdb --if-exists "$DB"
    odoo_bin -d "$DB" -i "$ADDONS,account_peppol,base_vat" --without-demo=all --stop-after-init --log-level=warn
fi
for addon in ${ADDONS//,/ }; do
    mkdir -p "$addon/i18n"
    new=$(mktemp --suffix=.pot)
    odoo_bin -d "$DB" --i18n-export="$new" --modules="$addon" --stop-after-init --log-level=warn
    # An export without any term means the addon is not installed: never merge it.
    grep -q '^msgid "[^"]' "$new" || { echo "No terms exported for $addon: is it installed in $DB?"; exit 1; }
    # keep the template untouched when only its dates changed
    if ! diff -q <(grep -v -e '-Date: ' "$new") <(grep -v -e '-Date: ' "$addon/i18n/$addon.pot" 2>/dev/null) >/dev/null; then
        cp "$new" "$addon/i18n/$addon.pot"
    fi
    rm -f "$new"
    for lang in pl es; do
        po="$addon/i18n/$lang.po"
        if [ -f "$po" ]; then
            msgmerge --quiet --no-fuzzy-matching --update --backup=none "$po" "$addon/i18n/$addon.pot"
        else
            msginit --no-translator --locale="$lang" --input="$addon/i18n/$addon.pot" --output-file="$po"
        fi
        printf '%-45s ' "$po"; msgfmt --statistics -o /dev/null "$po"
    done
done
