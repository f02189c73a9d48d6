# Two commands do everything on a fresh machine:
#   make run   - Odoo with every crm_clients addon and demo data on http://127.0.0.1:8069
#   make test  - every test of every addon and of tests/, one summary, non-zero on failure
SHELL := /bin/bash
.PHONY: run test bench bench-scale bench-load lint dist stop-db clean

run:
	@bash tools/run.sh

test:
	@bash tools/test.sh

bench:
	@bash tools/bench.sh

# 10,000 / 100,000 / 1,000,000 clients vs plain Odoo (CRM_SCALE_SIZES=10000,100000 for fewer).
bench-scale:
	@bash tools/bench_scale.sh

# 8 integrators and 20 web users for 5 minutes on 100,000 clients, Odoo with 4 workers.
bench-load:
	@bash tools/bench_scale.sh load

lint:
	@bash tools/lint.sh

# One wheel per addon and the meta distribution, into dist/ (setup/README.md).
dist:
	@bash tools/dist.sh

stop-db:
	@bash tools/stop_db.sh

clean: stop-db
	rm -rf .local
