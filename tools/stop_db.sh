#!/usr/bin/env bash
# Stops the private PostgreSQL cluster that `make run` / `make test` started.
cd "$(dirname "$0")/.."
here=$(pwd)
for dir in "$here/.local/pg" "${TMPDIR:-/tmp}/crm_clients-pg-$(printf '%s' "$here" | sha1sum | cut -c1-10)"; do
    [ -f "$dir/data/postmaster.pid" ] || continue
    pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$pgbin/pg_ctl" -D "$dir/data" stop -m fast; else "$pgbin/pg_ctl" -D "$dir/data" stop -m fast; fi
done
