from psycopg2 import IntegrityError

from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import CrmClientsCase


@tagged("post_install", "-at_install")
class TestClientStatus(CrmClientsCase):
    def test_four_default_statuses_exactly_one_default(self):
        self.assertEqual(self.Status.search([]).mapped("name")[:4], ["New", "Active", "VIP", "Inactive"])
        self.assertEqual(self.Status.search([("is_default", "=", True)]), self.status_new)
        self.assertTrue(self.status_inactive.fold)

    def test_making_another_status_default_moves_the_default(self):
        self.status_active.is_default = True
        self.assertEqual(self.Status.search([("is_default", "=", True)]), self.status_active)
        self.assertEqual(self.create_client().client_status_id, self.status_active)
        new = self.Status.create({"name": "Prospect", "is_default": True})
        self.assertEqual(self.Status.search([("is_default", "=", True)]), new)

    def test_two_defaults_at_once_are_refused(self):
        with self.assertRaises(ValidationError):
            self.Status.create([{"name": "A", "is_default": True}, {"name": "B", "is_default": True}])
        with self.assertRaises(ValidationError):
            (self.status_active | self.status_vip).write({"is_default": True})
        self.assertEqual(self.Status.search([("is_default", "=", True)]), self.status_new)

    def test_the_database_refuses_a_second_default(self):
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.env.cr.savepoint():
            self.env.cr.execute("UPDATE crm_client_status SET is_default = TRUE WHERE id = %s", [self.status_vip.id])

    def test_no_default_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "must be the default"):
            self.status_new.is_default = False
        with self.assertRaisesRegex(ValidationError, "must be the default"):
            self.status_new.action_archive()
        self.assertTrue(self.status_new.is_default and self.status_new.active)

    def test_delete_rules(self):
        with self.assertRaisesRegex(UserError, "default"):
            self.status_new.unlink()
        self.create_client(client_status_id=self.status_vip.id)
        with self.assertRaisesRegex(UserError, "Archive it instead"):
            self.status_vip.unlink()
        unused = self.Status.create({"name": "Unused"})
        unused.unlink()
        self.assertFalse(unused.exists())

    def test_unknown_status_is_refused(self):
        client = self.create_client()
        missing_id = self.Status.search([], order="id desc", limit=1).id + 1000
        with self.assertRaisesRegex(ValidationError, str(missing_id)):
            client.write({"client_status_id": missing_id})

    def test_kanban_shows_every_active_status_folded_ones_included(self):
        groups = self.Partner.web_read_group(
            [("is_client", "=", True), ("id", "=", 0)], ["client_status_id"], ["client_status_id"]
        )["groups"]
        self.assertEqual(
            [g["client_status_id"][0] for g in groups],
            self.Status.search([]).ids,
        )

    def test_client_count(self):
        before = self.status_vip.client_count
        self.create_client(client_status_id=self.status_vip.id)
        self.status_vip.invalidate_recordset(["client_count"])
        self.assertEqual(self.status_vip.client_count, before + 1)
