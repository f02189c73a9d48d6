"""Property-based fuzzing (Hypothesis, derandomized) of the HTTP API and of client_upsert
over JSON-RPC against a live server: raw bodies of any shape and records of any type, as
three users (an administrator, an integrator of one company, an employee without rights
on contacts). The invariants are in tests/bench/fuzz_http.py; bench_fuzz.py runs
thousands of examples."""

import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from .bench import fuzz_http
from .conftest import CONFIG
from .conftest import ODOO_BIN

fuzz = fuzz_http.load_strategies()
EXAMPLES = 80
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
USERS = st.sampled_from(["admin", "admin", "integrator", "reader"])


@pytest.fixture(scope="module")
def checker(live_odoo):
    setup = fuzz_http.prepare(live_odoo.db, CONFIG, ODOO_BIN)
    checker = fuzz_http.Checker(live_odoo.url, live_odoo.db, setup, live_odoo.log_path)
    yield checker
    checker.close()


def test_http_api_answers_json_and_touches_only_what_it_names(checker):
    statuses = []

    @SETTINGS
    @given(body=fuzz.http_bodies(checker.setup["ids"]), user=USERS)
    def run(body, user):
        statuses.append(checker.check_http(body, user))

    run()
    # the fuzzing reached both the upsert and the refusals
    assert 200 in statuses and 400 in statuses and 403 in statuses, sorted(set(statuses))


def test_client_upsert_over_json_rpc(checker):
    @SETTINGS
    @given(records=st.one_of(fuzz.calls(checker.setup["ids"]), fuzz.any_values(checker.setup["ids"])), user=USERS)
    def run(records, user):
        checker.check_jsonrpc(records, user)

    run()
