#!/usr/bin/env bash
# `make bench-scale` (not part of `make test` nor `make bench`): crm_clients at 10,000,
# 100,000 and 1,000,000 clients (CRM_SCALE_SIZES=10000,100000 for fewer), against plain
# Odoo in the same databases. Each size's database is built once as the template
# crm_scale_tpl_<size> and copied for each run, so a rerun takes minutes. Prints one
# table, writes docs/bench_scale.md and docs/bench_scale.png; non-zero exit when a goal
# is missed. `make bench-load` (argument `load`): the load test on 100,000 clients.
set -uo pipefail
cd "$(dirname "$0")/.."
source tools/env.sh || exit 1
# The chart's only requirement, kept out of the test environment.
python -c "import matplotlib" 2>/dev/null || pip install -q -r tools/requirements-bench.txt -c tools/constraints.txt || exit 1
if [ "${1:-}" = load ]; then
    # `make bench-load`: many users at once on the 100,000 clients' template.
    python tests/bench/scale/templates.py 100000 || exit 1
    exec python tests/bench/scale/load.py 100000
fi
IFS=, read -r -a sizes <<<"${CRM_SCALE_SIZES:-10000,100000,1000000}"
status=0
for size in "${sizes[@]}"; do
    echo "== $size clients"
    python tests/bench/scale/templates.py "$size" || exit 1
    python tests/bench/scale/measure.py "$size" || status=1
done
python tests/bench/scale/report.py "${sizes[@]}" || status=1
exit $status
