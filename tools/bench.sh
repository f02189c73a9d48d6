#!/usr/bin/env bash
# `make bench`: every benchmark under tests/bench/, each compared with plain Odoo doing the
# same work in the same run; non-zero exit when a goal is missed.
# CRM_BENCH_INSTALL_SIZES=100000,1000000 adds the million partners to bench_install.py
# (about ten more minutes).
set -uo pipefail
cd "$(dirname "$0")/.."
source tools/env.sh || exit 1
status=0
for bench in tests/bench/bench_*.py; do
    echo "== $bench"
    (cd tests/bench && python "$(basename "$bench")") || status=1
done
exit $status
