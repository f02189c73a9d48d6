"""GUS lookups over real XML-RPC: a live Odoo server asks a live BIR 1.1 stand-in
through zeep, the way an integrator's call travels in production."""

import pytest

from odoo.addons.crm_clients_gus.tests.common import PZU_KRS
from odoo.addons.crm_clients_gus.tests.common import PZU_NIP
from odoo.addons.crm_clients_gus.tests.common import PZU_REGON
from odoo.addons.crm_clients_gus.tests.common import standard_registry

from .conftest import fault_of

CONTRACT_KEYS = {
    "name", "nip", "regon", "krs", "street", "zip", "city", "state_name", "country_code", "entity_type", "pkd_main",
    "ended_on",
}  # fmt: skip


@pytest.fixture(scope="module")
def gus(admin):
    standin = standard_registry()
    standin.start()
    params = {
        "crm_clients_gus.url": standin.url,
        "crm_clients_gus.environment": "test",
        "crm_clients_gus.api_key": "",
        "crm_clients_gus.timeout": "1",
        "crm_clients_gus.cache_hours": "0",
    }
    for key, value in params.items():
        admin.call("ir.config_parameter", "set_param", key, value)
    yield standin
    standin.stop()


@pytest.fixture
def set_param(admin):
    changed = []

    def set_param(key, value):
        changed.append((key, admin.call("ir.config_parameter", "get_param", key)))
        admin.call("ir.config_parameter", "set_param", key, value)

    yield set_param
    for key, value in reversed(changed):
        admin.call("ir.config_parameter", "set_param", key, value or "")


def test_gus_search(admin, gus):
    (entity,) = admin.call("res.partner", "gus_search", nip=PZU_NIP)
    assert set(entity) >= CONTRACT_KEYS
    assert (entity["regon"], entity["krs"], entity["zip"], entity["entity_type"]) == (PZU_REGON, PZU_KRS, "00-843", "P")
    assert entity["ended_on"] is False
    assert admin.call("res.partner", "gus_search", regon="123456785") == []


def test_gus_search_refuses_an_invalid_nip_before_calling(admin, gus):
    before = gus.calls["requests"]
    assert "NIP 5260251048 is not valid" in fault_of(admin.call, "res.partner", "gus_search", nip="5260251048")
    assert gus.calls["requests"] == before


def test_gus_update(admin, gus):
    pl = admin.call("res.country", "search", [("code", "=", "PL")])[0]
    partner_id = admin.call(
        "res.partner", "create", {"name": "RPC PZU", "is_company": True, "vat": PZU_NIP, "country_id": pl}
    )
    logins = gus.calls["Zaloguj"]
    (result,) = admin.call("res.partner", "gus_update", [partner_id])
    assert result["partner_id"] == partner_id
    assert {"street", "zip", "city", "regon", "krs", "legal_name"} <= set(result["changed"])
    (row,) = admin.call("res.partner", "read", [partner_id], ["street", "krs", "name", "registry_source"])
    assert (row["street"], row["krs"], row["name"], row["registry_source"]) == (
        "Rondo Ignacego Daszyńskiego 4", PZU_KRS, "RPC PZU", "GUS",
    )  # fmt: skip
    # The session left warm by the search is reused, then closed at the end of the update.
    assert gus.calls["Zaloguj"] <= logins + 1
    assert gus.calls["Wyloguj"] >= 1
    result = admin.call("res.partner", "gus_update", [partner_id], field_names=["name"])
    assert result == [{"partner_id": partner_id, "changed": ["name"]}]


def test_gus_update_errors_write_nothing(admin, gus, set_param):
    partner_id = admin.call("res.partner", "create", {"name": "RPC Untouched", "is_company": True, "vat": PZU_NIP})
    set_param("crm_clients_gus.api_key", "not-a-key")
    assert "rejected the API key" in fault_of(admin.call, "res.partner", "gus_update", [partner_id])
    set_param("crm_clients_gus.api_key", "")
    gus.faults.append("hang")
    gus.hang_seconds = 2
    assert "did not answer within 1.0 seconds" in fault_of(admin.call, "res.partner", "gus_update", [partner_id])
    (row,) = admin.call("res.partner", "read", [partner_id], ["street", "registry_checked_at"])
    assert row == {"id": partner_id, "street": False, "registry_checked_at": False}


def test_gus_update_needs_write_access(live_odoo, admin, gus):
    user_id = admin.call(
        "res.users", "create", {"name": "GUS Reader", "login": "gus-reader", "password": "gus-reader-pw",
                                "groups_id": [(6, 0, [admin.call("ir.model.data", "check_object_reference", "base", "group_portal")[1]])]},
    )  # fmt: skip
    assert user_id
    partner_id = admin.call("res.partner", "create", {"name": "RPC Protected", "is_company": True, "vat": PZU_NIP})
    portal = live_odoo.login("gus-reader", "gus-reader-pw")
    requests_before = gus.calls["requests"]
    assert "Only internal users can look up GUS" in fault_of(portal.call, "res.partner", "gus_update", [partner_id])
    assert gus.calls["requests"] == requests_before
    (row,) = admin.call("res.partner", "read", [partner_id], ["street"])
    assert row["street"] is False
