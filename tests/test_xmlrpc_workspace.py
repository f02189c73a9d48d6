"""The client workspace over real XML-RPC against a live server: the timeline page with
its access rules, PDF documents from a template (real wkhtmltopdf: the live server is not
in test mode), attachments closed to portal users."""

import base64
import xmlrpc.client

import pytest

from .conftest import fault_of


def make_user(admin, login, groups):
    group_ids = [admin.call("ir.model.data", "check_object_reference", *xmlid.split("."))[1] for xmlid in groups]
    return admin.call(
        "res.users",
        "create",
        {"name": login, "login": login, "password": f"{login}-pass-1234", "groups_id": [(6, 0, group_ids)]},
    )


@pytest.fixture(scope="module")
def client(admin):
    new = admin.call("ir.model.data", "check_object_reference", "crm_clients", "client_status_new")[1]
    active = admin.call("ir.model.data", "check_object_reference", "crm_clients", "client_status_active")[1]
    pid = admin.call("res.partner", "create", {"name": "RPC Workspace", "is_company": True, "client_status_id": new})
    person = admin.call(
        "res.partner", "create", {"name": "Rita Workspace", "parent_id": pid, "email": "rita@ws.example"}
    )
    admin.call("res.partner", "write", [pid], {"client_status_id": active})  # tracked: its own transaction
    admin.call(
        "res.partner",
        "message_post",
        [pid],
        body="Called about the offer",
        message_type="comment",
        subtype_xmlid="mail.mt_note",
    )
    [product] = admin.call("product.product", "search", [("sale_ok", "=", True)], limit=1)
    order = admin.call("sale.order", "create", {"partner_id": person, "order_line": [(0, 0, {"product_id": product})]})
    return {"id": pid, "person": person, "order": order}


def test_timeline_page_and_its_access_rules(live_odoo, admin, client):
    page = admin.call("res.partner", "client_timeline_read", [client["id"]])
    kinds = {entry["kind"] for entry in page["entries"]}
    assert {"status", "note"} <= kinds
    assert any(entry["res_model"] == "sale.order" and entry["res_id"] == client["order"] for entry in page["entries"])
    assert page["total"] == len(page["entries"])
    status = admin.call("res.partner", "client_timeline_read", [client["id"]], kind="status")
    assert [entry["summary"] for entry in status["entries"]] == ["New → Active"]

    make_user(admin, "ws_rpc_client_user", ["base.group_user", "crm_clients.group_client_user"])
    user = live_odoo.login("ws_rpc_client_user", "ws_rpc_client_user-pass-1234")
    mine = user.call("res.partner", "client_timeline_read", [client["id"]])
    assert {"status", "note"} <= {entry["kind"] for entry in mine["entries"]}
    assert not [entry for entry in mine["entries"] if entry["res_model"] == "sale.order"], "no sales rights"

    make_user(admin, "ws_rpc_employee", ["base.group_user"])
    employee = live_odoo.login("ws_rpc_employee", "ws_rpc_employee-pass-1234")
    assert "not allowed" in fault_of(employee.call, "res.partner", "client_timeline_read", [client["id"]])


def test_pdf_generated_from_a_template(admin, client):
    template = admin.call(
        "crm.client.document.template",
        "create",
        {"name": "RPC Agreement", "body_html": '<p>Agreement with <t t-out="object.name"/></p>'},
    )
    wizard = admin.call("crm.client.document.generate", "create", {"partner_id": client["id"], "template_id": template})
    admin.call("crm.client.document.generate", "action_generate", [wizard])
    [document] = admin.call(
        "ir.attachment",
        "search_read",
        [
            ("res_model", "=", "res.partner"),
            ("res_id", "=", client["id"]),
            ("name", "=", "RPC Agreement - RPC Workspace.pdf"),
        ],
        ["mimetype", "datas"],
    )
    assert document["mimetype"] == "application/pdf"
    assert base64.b64decode(document["datas"]).startswith(b"%PDF")


def test_portal_users_cannot_read_client_attachments(live_odoo, admin, client):
    shared = admin.call(
        "ir.attachment",
        "create",
        {
            "name": "shared.txt",
            "datas": base64.b64encode(b"shared").decode(),
            "res_model": "res.partner",
            "res_id": client["id"],
            "client_shared": True,
        },
    )
    wizard = admin.call("portal.wizard", "create", {}, context={"active_ids": [client["person"]]})
    [line] = admin.call("portal.wizard", "read", [wizard], ["user_ids"])[0]["user_ids"]
    admin.call("portal.wizard.user", "action_grant_access", [line])
    [user_id] = admin.call("res.users", "search", [("partner_id", "=", client["person"])])
    admin.call("res.users", "write", [user_id], {"password": "rita-portal-1234"})
    portal = live_odoo.login("rita@ws.example", "rita-portal-1234")
    with pytest.raises(xmlrpc.client.Fault):
        portal.call("ir.attachment", "read", [shared], ["name"])
    with pytest.raises(xmlrpc.client.Fault):
        portal.call("crm.client.timeline", "search", [])
