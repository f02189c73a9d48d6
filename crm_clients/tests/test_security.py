from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import CrmClientsCase


@tagged("post_install", "-at_install")
class TestSecurity(CrmClientsCase):
    def test_groups_exist_with_contract_ids(self):
        for xmlid in (
            "group_client_user",
            "group_client_manager",
            "group_client_lock_manager",
            "group_client_financials",
        ):
            group = self.env.ref(f"crm_clients.{xmlid}")
            self.assertEqual(group.category_id, self.env.ref("crm_clients.module_category_crm_clients"))
        self.assertTrue(self.env.ref("base.user_admin").has_group("crm_clients.group_client_manager"))

    def test_employees_read_statuses_but_only_managers_configure_them(self):
        for user in (self.employee, self.client_user):
            statuses = self.Status.with_user(user).search([])
            self.assertIn(self.status_vip, statuses)
            self.assertTrue(statuses.mapped("name"))
            with self.assertRaises(AccessError):
                self.Status.with_user(user).create({"name": "Nope"})
            with self.assertRaises(AccessError):
                self.status_vip.with_user(user).write({"name": "Nope"})
            with self.assertRaises(AccessError):
                self.status_vip.with_user(user).unlink()
        status = self.Status.with_user(self.client_manager).create({"name": "Managed"})
        status.write({"fold": True})
        status.unlink()

    def test_employees_keep_their_rights_on_partners(self):
        # Core: creating contacts needs "Contact Creation"; our addon adds no requirement.
        self.employee.groups_id += self.env.ref("base.group_partner_manager")
        client = self.Partner.with_user(self.employee).create({"name": "Made by an employee", "is_company": True})
        self.assertTrue(client.client_number)
        client.write({"client_status_id": self.status_vip.id, "priority": "3", "is_supplier": True})
        self.assertEqual(client.client_status_id, self.status_vip)

    def test_clients_menu_is_for_client_users(self):
        menu = self.env.ref("crm_clients.menu_crm_clients_root")
        self.assertIn(menu.id, self.env["ir.ui.menu"].with_user(self.client_user)._visible_menu_ids())
        self.assertNotIn(menu.id, self.env["ir.ui.menu"].with_user(self.employee)._visible_menu_ids())
        config = self.env.ref("crm_clients.menu_crm_clients_config")
        self.assertNotIn(config.id, self.env["ir.ui.menu"].with_user(self.client_user)._visible_menu_ids())
