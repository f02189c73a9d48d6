# Two commands do everything on a fresh machine:
#   make run   - Odoo with every crm_clients addon and demo data on http://127.0.0.1:8069
#   make test  - every test of every addon and of tests/, one summary, non-zero on failure
SHELL := /bin/bash
.PHONY: run test bench lint dist stop-db clean

run:
	@bash tools/run.sh

test:
	@bash tools/test.sh

bench:
	@bash tools/bench.sh

lint:
	@bash tools/lint.sh

# One wheel per addon and the meta distribution, into dist/ (setup/README.md).
dist:
	@bash tools/dist.sh

stop-db:
	@bash tools/stop_db.sh

clean: stop-db
	rm -rf .local
