from odoo import Command
from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.addons.crm_clients.tests.common import serve_registry
from odoo.addons.crm_clients_mf_whitelist.tests.test_whitelist import ORLEN_NIP
from odoo.addons.crm_clients_mf_whitelist.tests.test_whitelist import whitelist_api
from odoo.tests import tagged

LISTED = "06160011271843983820000034"
NOT_LISTED = "16160011271234567890123456"


@tagged("post_install", "-at_install")
class TestWhitelistPaymentWarning(AccountTestInvoicingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.api = serve_registry(cls, whitelist_api(), "crm_clients_mf_whitelist")
        cls.vendor = cls.env["res.partner"].create(
            {"name": "Orlen", "is_company": True, "country_id": cls.env.ref("base.pl").id, "vat": ORLEN_NIP}
        )
        cls.listed, cls.not_listed = cls.env["res.partner.bank"].create(
            [
                {"acc_number": f"PL{LISTED}", "partner_id": cls.vendor.id},
                {"acc_number": NOT_LISTED, "partner_id": cls.vendor.id},
            ]
        )

    def bill(self, bank):
        return self.env["account.move"].create(
            {
                "move_type": "in_invoice",
                "partner_id": self.vendor.id,
                "partner_bank_id": bank.id,
                "invoice_date": "2026-01-15",
                "invoice_line_ids": [Command.create({"name": "Fuel", "quantity": 1, "price_unit": 20000})],
            }
        )

    def test_bill_warns_until_checked_and_for_accounts_off_the_list(self):
        bill = self.bill(self.listed)
        self.assertIn("never checked", bill.mf_whitelist_warning)
        self.vendor.registry_update("mf_whitelist")
        bill.invalidate_recordset(["mf_whitelist_warning"])
        self.assertFalse(bill.mf_whitelist_warning)
        bill.partner_bank_id = self.not_listed
        self.assertIn(f"{NOT_LISTED} is not on the VAT white list of Orlen", bill.mf_whitelist_warning)

    def test_payment_wizard_warns(self):
        self.vendor.registry_update("mf_whitelist")
        bill = self.bill(self.not_listed)
        bill.action_post()
        wizard = (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=bill.ids)
            .create({})
        )
        self.assertEqual(wizard.payment_type, "outbound")
        wizard.partner_bank_id = self.not_listed
        self.assertIn("is not on the VAT white list", wizard.mf_whitelist_warning)
        wizard.partner_bank_id = self.listed
        self.assertFalse(wizard.mf_whitelist_warning)

    def test_customer_invoices_do_not_warn(self):
        invoice = self.env["account.move"].create(
            {"move_type": "out_invoice", "partner_id": self.vendor.id, "partner_bank_id": self.not_listed.id}
        )
        self.assertFalse(invoice.mf_whitelist_warning)
