"""Who may make the server ask a public registry, over real XML-RPC and JSON-RPC: a live
Odoo server and live stand-ins of GUS (BIR 1.1), VIES, Brønnøysund, PRH and the VAT white
list. A lookup spends the company's quota (and its GUS key): portal and public users are
refused before any request leaves; employees search, and update what they may write.
Also: the offer made while a NIP is typed answers within its bound when GUS hangs."""

import json
import time
import uuid
import xmlrpc.client
from pathlib import Path

import pytest
import requests

from odoo.addons.crm_clients.tests.json_standin import JsonStandin
from odoo.addons.crm_clients_gus.tests.common import PZU_NAME
from odoo.addons.crm_clients_gus.tests.common import PZU_NIP
from odoo.addons.crm_clients_gus.tests.common import standard_registry
from odoo.addons.crm_clients_mf_whitelist.tests.test_whitelist import ORLEN_NIP
from odoo.addons.crm_clients_mf_whitelist.tests.test_whitelist import whitelist_api
from odoo.addons.crm_clients_vies.tests.vies_standin import ViesStandin

ROOT = Path(__file__).resolve().parent.parent
ACCESS_ERROR = 4  # faultCode of an AccessError on /xmlrpc/2
REFUSED = "Only internal users can look up"
OFFER_SPEC = {"vat": {}, "country_id": {}, "gus_offer": {}, "gus_offer_failed": {}, "gus_fill": {}, "name": {}}


class Registries:
    def __init__(self):
        self.gus = standard_registry()
        self.vies = ViesStandin().add(
            "LU", "26375245", "AMAZON EUROPE CORE S.A R.L.", "38, AVENUE JOHN F. KENNEDY\nL-1855  LUXEMBOURG"
        )
        self.brreg = JsonStandin()
        digdir = json.loads(
            (ROOT / "crm_clients_brreg/tests/data/enhet.991825827.DIGDIR.json").read_text(encoding="utf-8")
        )
        self.brreg.route("GET", "/enhetsregisteret/api/enheter/991825827", 200, digdir)
        self.prh = JsonStandin()
        nokia = json.loads(
            (ROOT / "crm_clients_prh/tests/data/companies.businessId-0112038-9.json").read_text(encoding="utf-8")
        )
        self.prh.route("GET", "/opendata-ytj-api/v3/companies", 200, nokia)
        self.mf = whitelist_api()
        self.all = (self.gus, self.vies, self.brreg, self.prh, self.mf)

    def requests(self):
        """Every request any stand-in received (WSDL downloads included)."""
        return sum(standin.calls["requests"] + standin.calls["wsdl"] for standin in self.all)


@pytest.fixture(scope="module")
def registries(admin):
    stand_ins = Registries()
    for standin in stand_ins.all:
        standin.start()
    params = {
        "crm_clients_gus.url": stand_ins.gus.url,
        "crm_clients_gus.environment": "test",
        "crm_clients_gus.api_key": "",
        "crm_clients_gus.cache_hours": "0",
        "crm_clients_gus.timeout": "",
        "crm_clients_gus.offer_timeout": "",
        "crm_clients_vies.url": stand_ins.vies.url,
        "crm_clients_vies.wsdl_url": stand_ins.vies.wsdl_url,
        "crm_clients_vies.timeout": "",
        "crm_clients_brreg.url": stand_ins.brreg.url + "/enhetsregisteret/api",
        "crm_clients_prh.url": stand_ins.prh.url + "/opendata-ytj-api/v3",
        "crm_clients_mf_whitelist.url": stand_ins.mf.url,
    }
    for provider in ("vies", "brreg", "prh", "mf_whitelist"):
        params[f"crm_clients_{provider}.cache_hours"] = "0"
    for key, value in params.items():
        admin.call("ir.config_parameter", "set_param", key, value)
    yield stand_ins
    for standin in stand_ins.all:
        standin.stop()


def xmlid(admin, name):
    return admin.call("ir.model.data", "check_object_reference", *name.split("."))[1]


def make_user(live_odoo, admin, groups):
    login = f"access-{uuid.uuid4().hex[:10]}"
    admin.call(
        "res.users",
        "create",
        {
            "name": login,
            "login": login,
            "email": f"{login}@example.com",
            "password": f"{login}-pw",
            "groups_id": [(6, 0, groups)],
        },
    )
    session = live_odoo.login(login, f"{login}-pw")
    session.login_name = login
    return session


@pytest.fixture(scope="module")
def users(live_odoo, admin):
    portal = make_user(live_odoo, admin, [xmlid(admin, "base.group_portal")])
    employee = make_user(live_odoo, admin, [xmlid(admin, "base.group_user")])
    editor = make_user(live_odoo, admin, [xmlid(admin, "base.group_user"), xmlid(admin, "base.group_partner_manager")])
    return {"portal": portal, "employee": employee, "editor": editor}


@pytest.fixture(scope="module")
def partners(admin):
    def country(code):
        return admin.call("res.country", "search", [("code", "=", code)])[0]

    values = {
        "gus": {"country_id": country("PL"), "vat": PZU_NIP},
        "vies": {"country_id": country("LU"), "vat": "LU26375245"},
        "brreg": {"country_id": country("NO"), "company_registry": "991825827"},
        "prh": {"country_id": country("FI"), "vat": "FI01120389"},
        "mf_whitelist": {"country_id": country("PL"), "vat": ORLEN_NIP},
    }
    return {
        provider: admin.call("res.partner", "create", {"name": f"Access {provider}", "is_company": True, **vals})
        for provider, vals in values.items()
    }


SEARCHES = {"gus": PZU_NIP, "vies": "LU26375245", "brreg": "991825827", "prh": "0112038-9", "mf_whitelist": ORLEN_NIP}
SERVER_ACTIONS = {
    "gus": "crm_clients_gus.action_server_gus_refresh",
    "vies": "crm_clients_vies.action_server_vies_update",
    "brreg": "crm_clients_brreg.action_server_brreg_update",
    "prh": "crm_clients_prh.action_server_prh_update",
    "mf_whitelist": "crm_clients_mf_whitelist.action_server_mf_whitelist_update",
}


def fault(call, *args, **kwargs):
    with pytest.raises(xmlrpc.client.Fault) as caught:
        call(*args, **kwargs)
    return caught.value


def entry_points(admin, partners):
    """(name, model, method, args, kwargs) of every public way into a registry."""
    pl = admin.call("res.country", "search", [("code", "=", "PL")])[0]
    gus = partners["gus"]
    wizard = admin.call(
        "crm.client.registry.wizard", "create", {"partner_id": gus, "provider": "crm.client.registry.gus"}
    )
    points = [
        ("gus_search", "res.partner", "gus_search", [], {"nip": PZU_NIP}),
        ("gus_update", "res.partner", "gus_update", [[gus]], {}),
        ("action_gus_fetch", "res.partner", "action_gus_fetch", [[gus]], {}),
        ("action_gus_refresh", "res.partner", "action_gus_refresh", [[gus]], {}),
        ("action_registry_lookup", "res.partner", "action_registry_lookup", [[gus]], {}),
        ("wizard action_lookup", "crm.client.registry.wizard", "action_lookup", [[wizard]], {}),
        ("wizard action_compare", "crm.client.registry.wizard", "action_compare", [[wizard]], {}),
        ("wizard action_apply", "crm.client.registry.wizard", "action_apply", [[wizard]], {}),
        ("offer", "res.partner", "onchange", [[], {"vat": PZU_NIP, "country_id": pl}, ["vat"], OFFER_SPEC], {}),
        (
            "fill from the offer",
            "res.partner",
            "onchange",
            [[], {"vat": PZU_NIP, "country_id": pl, "gus_fill": True}, ["gus_fill"], OFFER_SPEC],
            {},
        ),
    ]
    for provider, identifier in SEARCHES.items():
        points.append((f"registry_search {provider}", "res.partner", "registry_search", [provider, identifier], {}))
        points.append(
            (f"registry_update {provider}", "res.partner", "registry_update", [[partners[provider]], provider], {})
        )
        action = xmlid(admin, SERVER_ACTIONS[provider])
        context = {"active_model": "res.partner", "active_ids": [partners[provider]]}
        points.append((f"Action menu {provider}", "ir.actions.server", "run", [[action]], {"context": context}))
    return points


def test_portal_users_are_refused_before_any_request(admin, users, partners, registries):
    portal = users["portal"]
    before = registries.requests()
    for name, model, method, args, kwargs in entry_points(admin, partners):
        refused = fault(portal.call, model, method, *args, **kwargs)
        assert refused.faultCode == ACCESS_ERROR, (name, refused.faultString)
        if model != "ir.actions.server":  # the server actions are refused by their groups first
            assert REFUSED in refused.faultString, (name, refused.faultString)
    assert registries.requests() == before, "no registry received a request"
    rows = admin.call("res.partner", "read", list(partners.values()), ["street", "registry_checked_at"])
    assert all(not row["street"] and not row["registry_checked_at"] for row in rows)


def test_portal_users_are_refused_over_json_rpc(live_odoo, users, registries):
    portal = users["portal"]
    session = requests.Session()
    credentials = {"db": live_odoo.db, "login": portal.login_name, "password": portal.password}
    user = session.post(
        f"{live_odoo.url}/web/session/authenticate", json={"jsonrpc": "2.0", "params": credentials}, timeout=30
    ).json()["result"]
    assert user["uid"] == portal.uid
    before = registries.requests()
    for method, kwargs in (
        ("gus_search", {"nip": PZU_NIP}),
        ("registry_search", {"provider": "brreg", "identifier": "991825827"}),
    ):
        answer = session.post(
            f"{live_odoo.url}/web/dataset/call_kw/res.partner/{method}",
            json={"jsonrpc": "2.0", "params": {"model": "res.partner", "method": method, "args": [], "kwargs": kwargs}},
            timeout=30,
        ).json()
        assert answer["error"]["data"]["name"] == "odoo.exceptions.AccessError", answer
        assert REFUSED in answer["error"]["data"]["message"]
    assert registries.requests() == before


def test_public_users_cannot_reach_a_registry(live_odoo, admin, registries):
    before = registries.requests()
    public_uid = xmlid(admin, "base.public_user")
    assert not live_odoo.common.authenticate(live_odoo.db, "public", "", {})
    refused = fault(
        live_odoo.models.execute_kw, live_odoo.db, public_uid, "", "res.partner", "gus_search", [], {"nip": PZU_NIP}
    )
    assert refused.faultCode == 3  # AccessDenied: no session for the public user
    answer = requests.post(
        f"{live_odoo.url}/web/dataset/call_kw/res.partner/gus_search",
        json={
            "jsonrpc": "2.0",
            "params": {"model": "res.partner", "method": "gus_search", "args": [], "kwargs": {"nip": PZU_NIP}},
        },
        timeout=30,
    ).json()
    assert answer["error"]["data"]["name"] == "odoo.http.SessionExpiredException", answer
    assert registries.requests() == before


def test_employees_search_and_update_what_they_may_write(admin, users, partners, registries):
    employee, editor = users["employee"], users["editor"]
    assert employee.call("res.partner", "gus_search", nip=PZU_NIP)[0]["name"] == PZU_NAME
    for provider, identifier in SEARCHES.items():
        assert employee.call("res.partner", "registry_search", provider, identifier), provider
    before = registries.requests()
    for provider, partner in partners.items():
        refused = fault(employee.call, "res.partner", "registry_update", [partner], provider)
        assert refused.faultCode == ACCESS_ERROR, provider
    refused = fault(employee.call, "res.partner", "gus_update", [partners["gus"]])
    assert refused.faultCode == ACCESS_ERROR
    assert registries.requests() == before, "refused before asking"
    (result,) = editor.call("res.partner", "registry_update", [partners["brreg"]], "brreg")
    assert "city" in result["changed"]
    (result,) = editor.call("res.partner", "gus_update", [partners["gus"]])
    assert "street" in result["changed"]


@pytest.fixture
def set_param(admin):
    changed = []

    def set_param(key, value):
        changed.append((key, admin.call("ir.config_parameter", "get_param", key)))
        admin.call("ir.config_parameter", "set_param", key, value)

    yield set_param
    for key, value in reversed(changed):
        admin.call("ir.config_parameter", "set_param", key, value or "")


def offer(session, nip=PZU_NIP):
    pl = session.call("res.country", "search", [("code", "=", "PL")])[0]
    return session.call("res.partner", "onchange", [], {"vat": nip, "country_id": pl}, ["vat"], OFFER_SPEC)


def test_the_offer_answers_within_its_bound_when_gus_hangs(admin, registries, set_param):
    cached = admin.call("crm.client.registry.cache", "search", [("provider", "=", "crm.client.registry.gus")])
    admin.call("crm.client.registry.cache", "unlink", cached)
    partners_before = admin.call("res.partner", "search_count", [])
    set_param("crm_clients_gus.offer_timeout", "1")
    set_param("crm_clients_gus.cache_hours", "24")
    registries.gus.delay = 8.0  # every SOAP answer; the full lookup's timeout (20 s) is not the bound
    try:
        started = time.monotonic()
        result = offer(admin)
        elapsed = time.monotonic() - started
    finally:
        registries.gus.delay = 0.0
    assert elapsed < 2.5, f"the form waited {elapsed:.1f} s"
    assert result["warning"]["type"] == "notification"
    assert "GUS did not answer within 1.0 seconds" in result["warning"]["message"]
    assert "Fetch from GUS" in result["warning"]["message"]
    assert result["value"]["gus_offer_failed"] is True
    assert not result["value"].get("gus_offer")
    cached = admin.call(
        "crm.client.registry.cache",
        "search_count",
        [("provider", "=", "crm.client.registry.gus"), ("key", "like", PZU_NIP)],
    )
    assert cached == 0, "nothing cached"
    assert admin.call("res.partner", "search_count", []) == partners_before, "no partner created"
    # Once GUS answers again, the offer is made, then comes from the cache while GUS hangs.
    assert PZU_NAME in offer(admin)["value"]["gus_offer"]
    registries.gus.delay = 8.0
    try:
        started = time.monotonic()
        assert PZU_NAME in offer(admin)["value"]["gus_offer"]
        assert time.monotonic() - started < 1.0
    finally:
        registries.gus.delay = 0.0


def test_a_changed_vies_timeout_applies_at_once(admin, registries, set_param):
    assert admin.call("res.partner", "registry_search", "vies", "LU26375245")[0]["valid"] is True
    set_param("crm_clients_vies.timeout", "1")
    registries.vies.faults.append("hang")
    registries.vies.hang_seconds = 4
    started = time.monotonic()
    refused = fault(admin.call, "res.partner", "registry_search", "vies", "LU26375245")
    assert time.monotonic() - started < 3
    assert "VIES did not answer in time" in refused.faultString
