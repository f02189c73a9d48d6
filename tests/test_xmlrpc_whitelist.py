"""Proof of registry checks over real XML-RPC: a live server asks live stand-ins of VIES
(an outage, then an answer with its consultation number) and of the VAT white list (the
flat file, the payment proof nobody may write)."""

import xmlrpc.client
from datetime import date

import pytest

from odoo.addons.crm_clients_mf_whitelist.tests.test_flat_file import LISTED
from odoo.addons.crm_clients_mf_whitelist.tests.test_flat_file import NOT_LISTED
from odoo.addons.crm_clients_mf_whitelist.tests.test_flat_file import flat_file_api
from odoo.addons.crm_clients_mf_whitelist.tests.test_whitelist import ORLEN_NIP
from odoo.addons.crm_clients_vies.tests.vies_standin import ViesStandin

from .conftest import fault_of


@pytest.fixture(scope="module")
def stand_ins(admin):
    vies = ViesStandin().add(
        "LU", "26375245", "AMAZON EUROPE CORE S.A R.L.", "38, AVENUE JOHN F. KENNEDY\nL-1855  LUXEMBOURG"
    )
    vies.add("PL", "5260250274", "MINISTERSTWO FINANSÓW")
    vies.start()
    mf = flat_file_api(filler=20)
    mf.start()
    params = {
        "crm_clients_vies.url": vies.url,
        "crm_clients_vies.wsdl_url": vies.wsdl_url,
        "crm_clients_vies.cache_hours": "0",
        "crm_clients_mf_whitelist.url": mf.url,
        "crm_clients_mf_whitelist.cache_hours": "0",
        "crm_clients_mf_whitelist.flat_file_url": f"{mf.base_url}/pliki/{{date}}.7z",
    }
    for key, value in params.items():
        admin.call("ir.config_parameter", "set_param", key, value)
    yield vies, mf
    vies.stop()
    mf.stop()


def country(admin, code):
    return admin.call("res.country", "search", [("code", "=", code)])[0]


def test_a_vies_outage_is_pending_then_the_consultation_number_is_kept(admin, stand_ins):
    vies, _mf = stand_ins
    # The requester is the company of the user who checks (other tests add companies).
    [user] = admin.call("res.users", "read", [admin.uid], ["company_id"])
    (company,) = admin.call("res.company", "read", [user["company_id"][0]], ["partner_id", "vat", "country_id"])
    restore = {"vat": company["vat"], "country_id": company["country_id"] and company["country_id"][0]}
    admin.call(
        "res.partner", "write", [company["partner_id"][0]], {"vat": "PL5260250274", "country_id": country(admin, "PL")}
    )
    partner = admin.call(
        "res.partner",
        "create",
        {"name": "RPC VIES", "is_company": True, "vat": "LU26375245", "country_id": country(admin, "LU")},
    )
    vies.outage("LU", requests=1)
    try:
        check_twice(admin, vies, partner)
    finally:  # other tests' stand-ins do not know this requester
        admin.call("res.partner", "write", [company["partner_id"][0]], restore)


def check_twice(admin, vies, partner):
    (result,) = admin.call("res.partner", "registry_update", [partner], "vies")
    assert result["changed"] == []
    (row,) = admin.call(
        "res.partner", "read", [partner], ["vies_status", "vies_attempts", "vies_retry_at", "vies_error"]
    )
    assert row["vies_status"] == "pending" and row["vies_attempts"] == 1 and row["vies_retry_at"]
    assert "LU numbers right now" in row["vies_error"]
    (result,) = admin.call("res.partner", "registry_update", [partner], "vies")
    (row,) = admin.call(
        "res.partner", "read", [partner], ["vies_status", "vies_request_identifier", "vies_request_date"]
    )
    assert row["vies_status"] == "valid"
    assert row["vies_request_identifier"] == vies.issued[-1]
    assert row["vies_request_date"] == date.today().isoformat()
    assert vies.received[-1]["requester"] == "PL5260250274"


def test_payment_proofs_come_from_the_flat_file_and_cannot_be_written(admin, stand_ins):
    _vies, mf = stand_ins
    admin.call("crm.client.whitelist.file", "action_load_today", [])
    (loaded,) = admin.call(
        "crm.client.whitelist.file", "search_read", [("date", "=", date.today().isoformat())], ["active_count"]
    )
    assert loaded["active_count"] == 236 + 1 + 20
    vendor = admin.call(
        "res.partner",
        "create",
        {"name": "RPC Orlen", "is_company": True, "vat": ORLEN_NIP, "country_id": country(admin, "PL")},
    )
    banks = [
        admin.call("res.partner.bank", "create", {"acc_number": number, "partner_id": vendor})
        for number in (LISTED, NOT_LISTED)
    ]
    payments = [
        admin.call(
            "account.payment",
            "create",
            {
                "payment_type": "outbound",
                "partner_type": "supplier",
                "partner_id": vendor,
                "partner_bank_id": bank,
                "amount": 20000,
            },
        )
        for bank in banks
    ]
    before = mf.calls["requests"]
    admin.call("account.payment", "action_mf_whitelist_check", payments)
    assert mf.calls["requests"] == before, "checked offline"
    rows = admin.call(
        "account.payment", "read", payments, ["mf_whitelist_result", "mf_whitelist_source", "mf_whitelist_check_id"]
    )
    assert [(r["mf_whitelist_result"], r["mf_whitelist_source"]) for r in rows] == [
        ("active", "file"),
        ("absent", "file"),
    ]
    refused = fault_of(
        admin.call,
        "account.payment",
        "write",
        [payments[1]],
        {"mf_whitelist_check_id": rows[0]["mf_whitelist_check_id"][0]},
    )
    assert "set by the check only" in refused
    with pytest.raises(xmlrpc.client.Fault):
        admin.call(
            "crm.client.whitelist.check",
            "create",
            {
                "nip": ORLEN_NIP,
                "account": NOT_LISTED,
                "date": date.today().isoformat(),
                "result": "active",
                "source": "file",
            },
        )
