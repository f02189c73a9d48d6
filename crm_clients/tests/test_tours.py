import unittest

from odoo.tests import HttpCase, new_test_user, tagged

from .common import NIP


@tagged("post_install", "-at_install", "crm_clients_tour")
class TestClientTours(HttpCase):
    def start_tour(self, url_path, tour_name, **kwargs):
        # A tour Chromium cannot run is a failure here, never a skip.
        try:
            return super().start_tour(url_path, tour_name, **kwargs)
        except unittest.SkipTest as exc:
            self.fail(f"tour {tour_name} could not run: {exc}")

    def test_kanban_drag_stars_and_search_by_nip(self):
        statuses = self.env["crm.client.status"]
        new = self.env.ref("crm_clients.client_status_new")
        vip = self.env.ref("crm_clients.client_status_vip")
        client = self.env["res.partner"].create(
            {
                "name": "Tour Client Sp. z o.o.",
                "is_company": True,
                "vat": NIP,
                "country_id": self.env.ref("base.pl").id,
                "client_status_id": new.id,
            }
        )
        self.assertTrue(statuses.search([("is_default", "=", True)]))
        self.start_tour("/odoo/clients", "crm_clients_kanban_tour", login="admin")
        self.assertEqual(client.client_status_id, vip)
        self.assertEqual(client.priority, "3")

    def test_lock_an_email_then_unlock_and_edit_it(self):
        client = self.env["res.partner"].create({"name": "Lock Tour Client", "is_company": True})
        self.start_tour(f"/odoo/clients/{client.id}", "crm_clients_lock_tour", login="admin")
        self.assertEqual(client.email_ids.mapped("email"), ["biuro@tour-client.pl"])
        self.assertFalse(client.email_ids.locked)
        self.assertEqual(client.email, "biuro@tour-client.pl")
        messages = client.message_ids.mapped("body")
        self.assertTrue(any("locked" in body for body in messages))
        self.assertTrue(any("unlocked" in body for body in messages))

    def test_add_a_contact_from_the_add_menu(self):
        client = self.env["res.partner"].create({"name": "Add Tour Client", "is_company": True})
        self.start_tour(f"/odoo/clients/{client.id}", "crm_clients_add_tour", login="admin")
        self.assertEqual(client.child_ids.mapped("name"), ["Anna Tourowa"])
        self.assertEqual(client.activity_ids.mapped("summary"), ["Send the offer"])

    def test_timeline_shows_a_status_change_and_a_new_note(self):
        client = self.env["res.partner"].create(
            {
                "name": "Timeline Tour Client",
                "is_company": True,
                "client_status_id": self.env.ref("crm_clients.client_status_new").id,
            }
        )
        # as if created in an earlier transaction: Odoo does not track changes of a record
        # created in the same transaction, and the whole test is one transaction
        self.env.flush_all()
        self.env.cr.precommit.run()
        self.start_tour(f"/odoo/clients/{client.id}", "crm_clients_timeline_tour", login="admin")
        kinds = self.env["crm.client.timeline"].search([("client_id", "=", client.id)]).mapped("kind")
        self.assertIn("status", kinds)
        self.assertIn("note", kinds)

    def test_financials_tab_absent_without_the_group(self):
        user = new_test_user(
            self.env, login="crm_tour_no_financials", groups="base.group_user,crm_clients.group_client_user"
        )
        self.assertFalse(user.has_group("crm_clients.group_client_financials"))
        client = self.env["res.partner"].create({"name": "Financials Tour Client", "is_company": True})
        self.start_tour(f"/odoo/clients/{client.id}", "crm_clients_financials_tour", login=user.login)
