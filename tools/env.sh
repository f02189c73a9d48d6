# Sourced by the Makefile recipes: bootstrap once, then export the environment and
# write the Odoo configuration used by `make run`, `make test` and `make bench`.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
eval "$(bash "$here/tools/bootstrap.sh")" || return 1
mkdir -p "$here/.local"
ODOO_RC="$here/.local/odoo.conf"
cat > "$ODOO_RC" <<CONF
[options]
addons_path = $ODOO_SRC/addons,$here
data_dir = $here/.local/filestore
db_host = $PGHOST
db_port = $PGPORT
db_user = $PGUSER
db_password = False
admin_passwd = admin
http_interface = 127.0.0.1
list_db = True
CONF
export ODOO_RC here
odoo_bin() { python "$ODOO_SRC/odoo-bin" -c "$ODOO_RC" "$@"; }
