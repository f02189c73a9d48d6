from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import CrmClientsCase


@tagged("post_install", "-at_install")
class TestExternalRef(CrmClientsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create({"name": "Company B"})

    def test_duplicate_in_same_company_is_refused(self):
        self.create_client(external_ref="ERP-1", company_id=self.env.company.id)
        with self.assertRaisesRegex(ValidationError, "ERP-1"):
            self.create_client(external_ref="ERP-1", company_id=self.env.company.id)
        self.assertEqual(self.Partner.search_count([("external_ref", "=", "ERP-1")]), 1)

    def test_archived_partners_count(self):
        old = self.create_client(external_ref="ERP-2")
        old.action_archive()
        with self.assertRaisesRegex(ValidationError, "archived"):
            self.create_client(external_ref="ERP-2")

    def test_allowed_in_another_company(self):
        self.create_client(external_ref="ERP-3", company_id=self.env.company.id)
        other = self.create_client(external_ref="ERP-3", company_id=self.company_b.id)
        self.assertEqual(other.external_ref, "ERP-3")

    def test_partners_without_company_share_one_namespace(self):
        self.create_client(external_ref="ERP-4", company_id=False)
        with self.assertRaises(ValidationError):
            self.create_client(external_ref="ERP-4", company_id=False)

    def test_write_and_batch_duplicates(self):
        a = self.create_client(external_ref="ERP-5")
        b = self.create_client()
        with self.assertRaisesRegex(ValidationError, "ERP-5"):
            b.external_ref = "ERP-5"
        self.assertFalse(b.external_ref)
        with self.assertRaises(ValidationError):
            self.Partner.create([{"name": "x", "external_ref": "ERP-6"}, {"name": "y", "external_ref": "ERP-6"}])
        with self.assertRaises(ValidationError):
            (a | b).write({"external_ref": "ERP-7"})
        # Rewriting its own value is fine, blanks are stored as empty.
        a.external_ref = "ERP-5"
        b.external_ref = "   "
        self.assertFalse(b.external_ref)
        a.external_ref = " ERP-8 "
        self.assertEqual(a.external_ref, "ERP-8")

    def test_moving_to_a_company_where_the_ref_exists_is_refused(self):
        self.create_client(external_ref="ERP-9", company_id=self.company_b.id)
        mine = self.create_client(external_ref="ERP-9", company_id=self.env.company.id)
        with self.assertRaises(ValidationError):
            mine.company_id = self.company_b
