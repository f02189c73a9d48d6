#!/usr/bin/env bash
# Prepares everything `make run`, `make test` and `make bench` need, idempotently:
#   1. an Odoo 18.0 source tree (or an importable `odoo`),
#   2. the Debian packages Odoo's requirements and the browser tests need (when root),
#   3. a virtualenv with Odoo's requirements and our tooling,
#   4. a PostgreSQL server (a private cluster under .local/ unless PGHOST is set).
# It prints `export` lines for the caller to eval (see tools/env.sh).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
log() { printf '[bootstrap] %s\n' "$*" >&2; }

# ---------------------------------------------------------------- 1. Odoo
ODOO_SRC=${ODOO_SRC:-/opt/odoo}
ODOO_ARCHIVE_URL=${ODOO_ARCHIVE_URL:-https://nightly.odoo.com/18.0/nightly/src/odoo_18.0.latest.tar.gz}
PYTHON=${PYTHON:-python3}

odoo_importable() {
    "$PYTHON" - <<'PY' 2>/dev/null
import odoo.release, sys
sys.exit(0 if odoo.release.version_info[0] == 18 else 1)
PY
}

if [ -f "$ODOO_SRC/odoo-bin" ]; then
    :
elif odoo_importable; then
    ODOO_SRC=$("$PYTHON" -c 'import odoo, os; print(os.path.dirname(os.path.dirname(odoo.__file__)))')
else
    log "No Odoo 18 found at ODOO_SRC=$ODOO_SRC: downloading Odoo 18.0 Community from $ODOO_ARCHIVE_URL"
    tmp=$(mktemp -d)
    if ! curl -fsSL --max-time 600 -o "$tmp/odoo.tar.gz" "$ODOO_ARCHIVE_URL"; then
        log "Cannot download Odoo. Put an Odoo 18.0 source tree at $ODOO_SRC (or set ODOO_SRC)."
        exit 1
    fi
    mkdir -p "$ODOO_SRC"
    tar -xzf "$tmp/odoo.tar.gz" -C "$ODOO_SRC" --strip-components=1
    rm -rf "$tmp"
fi
[ -f "$ODOO_SRC/odoo/release.py" ] || { log "$ODOO_SRC is not an Odoo source tree"; exit 1; }
grep -q "version_info = (18, 0" "$ODOO_SRC/odoo/release.py" || { log "$ODOO_SRC is not Odoo 18.0"; exit 1; }

# ---------------------------------------------------------------- 2. system packages
debs=(postgresql libldap2-dev libsasl2-dev libpq-dev chromium fonts-dejavu-core wkhtmltopdf gettext)
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    missing=()
    for p in "${debs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
    if [ ${#missing[@]} -gt 0 ]; then
        log "Installing Debian packages: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >&2
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
    fi
fi

# ---------------------------------------------------------------- 3. virtualenv
VENV=${CRM_CLIENTS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/crm_clients/venv}
stamp_src=$(cat "$ODOO_SRC/requirements.txt" "$here/tools/requirements-dev.txt" "$here/tools/constraints.txt"; echo "$ODOO_SRC")
stamp=$(printf '%s' "$stamp_src" | sha1sum | cut -c1-16)
if [ ! -f "$VENV/.stamp-$stamp" ]; then
    log "Preparing the virtualenv $VENV"
    [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
    export PIP_CONSTRAINT="$here/tools/constraints.txt"   # also applies to isolated builds (cbor2 needs setuptools<70)
    "$VENV/bin/pip" install -q --disable-pip-version-check "setuptools<70" wheel >&2
    "$VENV/bin/pip" install -q --disable-pip-version-check -r "$ODOO_SRC/requirements.txt" >&2
    "$VENV/bin/pip" install -q --disable-pip-version-check -r "$here/tools/requirements-dev.txt" >&2
    unset PIP_CONSTRAINT
    site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    echo "$ODOO_SRC" > "$site/odoo_src.pth"
    rm -f "$VENV"/.stamp-*
    touch "$VENV/.stamp-$stamp"
fi

# ---------------------------------------------------------------- 4. PostgreSQL
if [ -z "${PGHOST:-}" ]; then
    # A port of its own per checkout, so that two clones (a developer's, CI's) never meet.
    PGPORT=${PGPORT:-$((54000 + $(printf '%s' "$here" | cksum | cut -d' ' -f1) % 900))}
    pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -n "$pgbin" ] || { log "PostgreSQL server binaries not found"; exit 1; }
    pgdir="$here/.local/pg"
    as_pg=()
    if [ "$(id -u)" = 0 ]; then
        # PostgreSQL refuses to run as root: run the private cluster as the `postgres` user,
        # in a folder it can reach.
        as_pg=(runuser -u postgres -- env -C /)
        mkdir -p "$here/.local"
        if ! runuser -u postgres -- test -x "$here/.local"; then
            pgdir="${TMPDIR:-/tmp}/crm_clients-pg-$(printf '%s' "$here" | sha1sum | cut -c1-10)"
        fi
    fi
    mkdir -p "$pgdir"
    [ ${#as_pg[@]} -eq 0 ] || chown postgres: "$pgdir"
    chmod 700 "$pgdir"
    if [ ! -f "$pgdir/data/PG_VERSION" ]; then
        log "Creating a private PostgreSQL cluster in $pgdir"
        rm -rf "$pgdir/data"
        "${as_pg[@]}" "$pgbin/initdb" -D "$pgdir/data" -U odoo --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
        cat >> "$pgdir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$pgdir'
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 512MB
max_connections = 200
CONF
    fi
    if ! "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdir/data" status >/dev/null 2>&1; then
        log "Starting PostgreSQL on 127.0.0.1:$PGPORT"
        rm -f "$pgdir/data/postmaster.pid"
        "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -o "-p $PGPORT" -w -t 60 start >/dev/null
    fi
    # A cluster started earlier may listen elsewhere: its pid file says where.
    PGPORT=$(sed -n 4p "$pgdir/data/postmaster.pid")
    PGHOST=127.0.0.1
    PGUSER=odoo
fi

cat <<ENV
export ODOO_SRC='$ODOO_SRC'
export CRM_CLIENTS_VENV='$VENV'
export PATH='$VENV/bin':"\$PATH"
export PGHOST='$PGHOST'
export PGPORT='${PGPORT:-5432}'
export PGUSER='${PGUSER:-odoo}'
ENV
