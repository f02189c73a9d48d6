"""PEPPOL checks over real XML-RPC: a live Odoo server asks a live DNS stand-in (the SML)
and a live SMP through dnspython and urllib3."""

import pytest

from odoo.addons.crm_clients_peppol.tests import peppol_standin as standin

from .conftest import fault_of


@pytest.fixture(scope="module")
def peppol_network(admin):
    dns = standin.SmlDns(zone="test")
    address = dns.start()
    smp = standin.Smp()
    smp.start()
    smp.add("9945:PL5260251049", [standin.INVOICE, standin.CREDIT_NOTE])
    dns.register("9945:PL5260251049", smp.url)
    for key, value in {
        "crm_clients_peppol.sml_zone": "test",
        "crm_clients_peppol.dns_server": address,
        "crm_clients_peppol.timeout": "1",
        # The stand-ins listen on 127.0.0.1: a private network, reached only when allowed.
        "crm_clients_peppol.allow_private_networks": "True",
    }.items():
        admin.call("ir.config_parameter", "set_param", key, value)
    yield dns, smp
    smp.stop()
    dns.stop()


FIELDS = ["peppol_eas", "peppol_endpoint", "peppol_status", "peppol_error", "peppol_checked_at",
          "peppol_smp_url", "peppol_document_types", "peppol_can_receive_invoice"]  # fmt: skip


def test_action_peppol_check(admin, peppol_network):
    dns, smp = peppol_network
    pl = admin.call("res.country", "search", [("code", "=", "PL")])[0]
    registered, unknown, invalid = admin.call(
        "res.partner",
        "create",
        [
            {"name": "RPC Peppol A", "is_company": True, "country_id": pl, "vat": "5260251049"},
            {"name": "RPC Peppol B", "is_company": True, "country_id": pl, "vat": "5252344078"},
            {"name": "RPC Peppol C", "is_company": True, "peppol_eas": "0208", "peppol_endpoint": "3141592654"},
        ],
    )
    assert sum(dns.calls.values()) == 0, "creating clients looks nothing up"
    admin.call("res.partner", "action_peppol_check", [registered, unknown, invalid])
    rows = {row["id"]: row for row in admin.call("res.partner", "read", [registered, unknown, invalid], FIELDS)}
    assert rows[registered]["peppol_status"] == "registered"
    assert (rows[registered]["peppol_eas"], rows[registered]["peppol_endpoint"]) == ("9945", "PL5260251049")
    assert rows[registered]["peppol_smp_url"] == smp.url
    assert rows[registered]["peppol_can_receive_invoice"] is True
    assert [d["name"] for d in rows[registered]["peppol_document_types"]] == [
        "Invoice (BIS Billing 3.0)",
        "Credit Note (BIS Billing 3.0)",
    ]
    assert rows[unknown]["peppol_status"] == "not_registered"
    assert rows[invalid]["peppol_status"] == "invalid"
    found = admin.call("res.partner", "search", [("peppol_registered", "=", True), ("id", "in", [registered, unknown])])
    assert found == [registered]


def test_action_peppol_check_needs_write_access(live_odoo, admin, peppol_network):
    portal_group = admin.call("ir.model.data", "check_object_reference", "base", "group_portal")[1]
    admin.call(
        "res.users", "create",
        {"name": "Peppol Portal", "login": "peppol-portal", "password": "peppol-portal-pw",
         "groups_id": [(6, 0, [portal_group])]},
    )  # fmt: skip
    partner = admin.call("res.partner", "create", {"name": "RPC Peppol D", "is_company": True, "vat": "5260251049"})
    portal = live_odoo.login("peppol-portal", "peppol-portal-pw")
    assert fault_of(portal.call, "res.partner", "action_peppol_check", [partner])
    (row,) = admin.call("res.partner", "read", [partner], ["peppol_status"])
    assert row["peppol_status"] == "unknown"


def test_smp_addresses_on_private_networks_are_refused_by_default(admin, peppol_network):
    """With the system parameter off, a DNS answer pointing at the loopback, a private
    address or the cloud metadata address is refused whatever context the caller sends:
    the stand-in hears nothing, the error says why and the last result is kept."""
    dns, smp = peppol_network
    pl = admin.call("res.country", "search", [("code", "=", "PL")])[0]
    known, metadata, private = admin.call(
        "res.partner",
        "create",
        [
            {"name": "RPC Peppol E", "is_company": True, "country_id": pl, "vat": "5260251049"},
            {"name": "RPC Peppol F", "is_company": True, "country_id": pl, "vat": "7340000014"},
            {"name": "RPC Peppol G", "is_company": True, "country_id": pl, "vat": "7340000020"},
        ],
    )
    dns.register("9945:PL7340000014", "http://169.254.169.254/latest/meta-data")
    dns.register("9945:PL7340000020", "http://10.1.2.3")
    admin.call("res.partner", "action_peppol_check", [known])
    admin.call("ir.config_parameter", "set_param", "crm_clients_peppol.allow_private_networks", False)
    try:
        asked = smp.calls["requests"]
        admin.call(
            "res.partner",
            "action_peppol_check",
            [known, metadata, private],
            context={"allow_private_networks": True, "crm_clients_peppol.allow_private_networks": "True"},
        )
        assert smp.calls["requests"] == asked, "the SMP on 127.0.0.1 was asked nothing"
    finally:
        admin.call("ir.config_parameter", "set_param", "crm_clients_peppol.allow_private_networks", "True")
    fields = ["peppol_status", "peppol_error", "peppol_document_types", "peppol_can_receive_invoice"]
    rows = {row["id"]: row for row in admin.call("res.partner", "read", [known, metadata, private], fields)}
    assert rows[known]["peppol_status"] == "error"
    assert "(127.0.0.1) is on a private or local network: refused" in rows[known]["peppol_error"]
    assert "crm_clients_peppol.allow_private_networks" in rows[known]["peppol_error"]
    assert "The previous result (Registered" in rows[known]["peppol_error"]
    assert len(rows[known]["peppol_document_types"]) == 2
    assert rows[known]["peppol_can_receive_invoice"] is True
    assert rows[metadata]["peppol_status"] == "error"
    assert "(169.254.169.254)" in rows[metadata]["peppol_error"]
    assert "never reached: refused" in rows[metadata]["peppol_error"]
    assert rows[private]["peppol_status"] == "error"
    assert "(10.1.2.3) is on a private or local network: refused" in rows[private]["peppol_error"]
