"""Registry lookups beyond GUS over real XML-RPC: a live server asks live stand-ins of
VIES (SOAP through zeep), Brønnøysund, PRH and the Polish VAT white list (JSON)."""

import json
from pathlib import Path

import pytest

from odoo.addons.crm_clients.tests.json_standin import JsonStandin
from odoo.addons.crm_clients_mf_whitelist.tests.test_whitelist import ORLEN_NIP
from odoo.addons.crm_clients_mf_whitelist.tests.test_whitelist import whitelist_api
from odoo.addons.crm_clients_vies.tests.vies_standin import ViesStandin

from .conftest import fault_of

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def registries(admin):
    vies = ViesStandin().add(
        "LU", "26375245", "AMAZON EUROPE CORE S.A R.L.", "38, AVENUE JOHN F. KENNEDY\nL-1855  LUXEMBOURG"
    )
    vies.start()
    brreg = JsonStandin()
    digdir = json.loads((ROOT / "crm_clients_brreg/tests/data/enhet.991825827.DIGDIR.json").read_text(encoding="utf-8"))
    brreg.route("GET", "/enhetsregisteret/api/enheter/991825827", 200, digdir)
    brreg.start()
    prh = JsonStandin()
    nokia = json.loads(
        (ROOT / "crm_clients_prh/tests/data/companies.businessId-0112038-9.json").read_text(encoding="utf-8")
    )
    prh.route(
        "GET",
        "/opendata-ytj-api/v3/companies",
        body=lambda q: (200, nokia if q.get("businessId") == "0112038-9" else {"totalResults": 0, "companies": []}),
    )
    prh.start()
    mf = whitelist_api()
    mf.start()
    for key, value in {
        "crm_clients_vies.url": vies.url,
        "crm_clients_vies.wsdl_url": vies.wsdl_url,
        "crm_clients_brreg.url": brreg.url + "/enhetsregisteret/api",
        "crm_clients_prh.url": prh.url + "/opendata-ytj-api/v3",
        "crm_clients_mf_whitelist.url": mf.url,
    }.items():
        admin.call("ir.config_parameter", "set_param", key, value)
    yield
    for standin in (vies, brreg, prh, mf):
        standin.stop()


def country(admin, code):
    return admin.call("res.country", "search", [("code", "=", code)])[0]


def test_registry_update_for_each_provider(admin, registries):
    cases = [
        ("vies", {"country_id": country(admin, "LU"), "vat": "LU26375245"}, "city", "LUXEMBOURG"),
        ("brreg", {"country_id": country(admin, "NO"), "company_registry": "991825827"}, "city", "Oslo"),
        ("prh", {"country_id": country(admin, "FI"), "vat": "FI01120389"}, "city", "Espoo"),
        ("mf_whitelist", {"country_id": country(admin, "PL"), "vat": ORLEN_NIP}, "mf_vat_status", "active"),
    ]
    for provider, vals, field, expected in cases:
        partner = admin.call("res.partner", "create", {"name": f"RPC {provider}", "is_company": True, **vals})
        (result,) = admin.call("res.partner", "registry_update", [partner], provider)
        assert result["partner_id"] == partner and field in result["changed"], (provider, result)
        (row,) = admin.call("res.partner", "read", [partner], [field, "registry_source"])
        assert row[field] == expected, provider


def test_registry_search_and_errors(admin, registries):
    assert (
        admin.call("res.partner", "registry_search", "brreg", "991825827")[0]["name"] == "DIGITALISERINGSDIREKTORATET"
    )
    assert admin.call("res.partner", "registry_search", "prh", "9999999-1") == []
    assert admin.call("res.partner", "registry_search", "vies", "LU26375245")[0]["valid"] is True
    assert "no registry nowhere" in fault_of(admin.call, "res.partner", "registry_search", "nowhere", "1")
    partner = admin.call(
        "res.partner", "create", {"name": "RPC Kept", "country_id": country(admin, "PL"), "vat": "5252344078"}
    )
    assert "has no entity" in fault_of(admin.call, "res.partner", "registry_update", [partner], "mf_whitelist")


def test_the_button_offers_the_registries_that_fit(admin, registries):
    partner = admin.call(
        "res.partner",
        "create",
        {"name": "RPC Polish", "is_company": True, "country_id": country(admin, "PL"), "vat": ORLEN_NIP},
    )
    action = admin.call("res.partner", "action_registry_lookup", [partner])
    (wizard,) = admin.call("crm.client.registry.wizard", "read", [action["res_id"]], ["state"])
    assert wizard["state"] == "provider"
    fields = admin.call("crm.client.registry.wizard", "fields_get", ["provider"], attributes=["selection"])
    names = {code for code, _label in fields["provider"]["selection"]}
    assert {"crm.client.registry.gus", "crm.client.registry.vies", "crm.client.registry.mf_whitelist"} <= names
