from datetime import UTC
from datetime import datetime
from datetime import time
from datetime import timedelta
from zoneinfo import ZoneInfo

from freezegun import freeze_time

from odoo import Command, fields
from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.addons.crm_clients.tests.common import serve_registry
from odoo.addons.crm_clients_mf_whitelist.tests.test_flat_file import EXEMPT_ACCOUNT
from odoo.addons.crm_clients_mf_whitelist.tests.test_flat_file import EXEMPT_NIP
from odoo.addons.crm_clients_mf_whitelist.tests.test_flat_file import MASK
from odoo.addons.crm_clients_mf_whitelist.tests.test_flat_file import VIRTUAL_NIP
from odoo.addons.crm_clients_mf_whitelist.tests.test_flat_file import VIRTUAL_OTHER
from odoo.addons.crm_clients_mf_whitelist.tests.test_flat_file import flat_file_api
from odoo.addons.crm_clients_mf_whitelist.tests.test_whitelist import ORLEN_NIP
from odoo.addons.crm_clients_mf_whitelist.tests.test_whitelist import whitelist_api
from odoo.exceptions import AccessError
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


@tagged("post_install", "-at_install")
class TestWhitelistPaymentRun(AccountTestInvoicingCommon):
    """A payment run: many bills paid at once through Odoo's payment wizard."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.api = serve_registry(cls, flat_file_api(filler=50), "crm_clients_mf_whitelist", cache_hours="0")
        cls.env["ir.config_parameter"].sudo().set_param(
            "crm_clients_mf_whitelist.flat_file_url", f"{cls.api.base_url}/pliki/{{date}}.7z"
        )
        pl = cls.env.ref("base.pl")
        cls.orlen, cls.exempt, cls.virtual = cls.env["res.partner"].create(
            [
                {"name": "Orlen", "is_company": True, "country_id": pl.id, "vat": ORLEN_NIP},
                {"name": "Zwolniony", "is_company": True, "country_id": pl.id, "vat": EXEMPT_NIP},
                {"name": "Wirtualne", "is_company": True, "country_id": pl.id, "vat": VIRTUAL_NIP},
            ]
        )
        Bank = cls.env["res.partner.bank"]
        cls.orlen_listed = Bank.create({"acc_number": LISTED, "partner_id": cls.orlen.id, "allow_out_payment": True})
        cls.orlen_other = Bank.create({"acc_number": NOT_LISTED, "partner_id": cls.orlen.id, "allow_out_payment": True})
        cls.exempt_bank = Bank.create(
            {"acc_number": EXEMPT_ACCOUNT, "partner_id": cls.exempt.id, "allow_out_payment": True}
        )
        cls.virtual_bank = Bank.create(
            {"acc_number": VIRTUAL_OTHER, "partner_id": cls.virtual.id, "allow_out_payment": True}
        )
        cls.today = cls.api.day()  # the Ministry's (Poland's) today

    def setUp(self):
        super().setUp()
        self.api.calls.clear()
        self.api.requests.clear()
        self.api.used.clear()
        self.api.archives.clear()

    def bill(self, partner, bank, amount):
        bill = self.env["account.move"].create(
            {
                "move_type": "in_invoice",
                "partner_id": partner.id,
                "partner_bank_id": bank.id,
                "invoice_date": self.today,
                "invoice_line_ids": [
                    Command.create({"name": "Usługa", "quantity": 1, "price_unit": amount, "tax_ids": []})
                ],
            }
        )
        bill.action_post()
        return bill

    def run_bills(self):
        return (
            self.bill(self.orlen, self.orlen_listed, 20000)
            | self.bill(self.orlen, self.orlen_other, 16000)
            | self.bill(self.orlen, self.orlen_other, 900)
            | self.bill(self.exempt, self.exempt_bank, 30000)
            | self.bill(self.virtual, self.virtual_bank, 40000)
        )

    def wizard(self, bills, **values):
        return (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=bills.ids)
            .create({"payment_date": self.today, "group_payment": False, **values})
        )

    def api_requests(self):
        return sum(count for key, count in self.api.calls.items() if key.startswith("GET /api/"))

    def test_the_batch_lists_every_payment_off_the_list_from_the_flat_file(self):
        self.env["crm.client.whitelist.file"].sudo()._whitelist_load()  # as the scheduled action
        bills = self.run_bills()
        wizard = self.wizard(bills)
        warning = wizard.mf_whitelist_batch_warning
        self.assertIn(f"2 payments go to accounts not on the VAT white list on {self.today}", warning)
        self.assertIn(f"Orlen: {NOT_LISTED}, $\xa016,000.00 — over 15,000 PLN: not deductible", warning)
        self.assertIn(f"Orlen: {NOT_LISTED}, $\xa0900.00", warning)
        self.assertNotIn("$\xa0900.00 — over", warning)
        self.assertNotIn(LISTED, warning)
        self.assertNotIn("Zwolniony", warning, "an exempt taxpayer's account is on the list")
        self.assertNotIn("Wirtualne", warning, "a virtual account is on the list through its mask")
        self.assertFalse(wizard.mf_whitelist_unchecked)
        payments = wizard._create_payments()
        self.assertEqual(len(payments), 5)
        by_bank = {payment.partner_bank_id: payment for payment in payments}
        self.assertEqual(by_bank[self.orlen_listed].mf_whitelist_result, "active")
        self.assertEqual(by_bank[self.orlen_other].mf_whitelist_result, "absent")
        self.assertEqual(by_bank[self.virtual_bank].mf_whitelist_check_id.mask, MASK)
        self.assertEqual(set(payments.mapped("mf_whitelist_source")), {"file"})
        self.assertTrue(all(p.mf_whitelist_checked_for == self.today for p in payments))
        self.assertEqual(self.api_requests(), 0, "checked offline")
        self.assertIn("not on the VAT white list", by_bank[self.orlen_other].mf_whitelist_warning)
        self.assertFalse(by_bank[self.orlen_listed].mf_whitelist_warning)

    def test_without_the_flat_file_the_run_is_checked_through_the_api_and_keeps_the_request_ids(self):
        day = self.today - timedelta(days=2)
        bills = self.run_bills()
        wizard = self.wizard(bills, payment_date=day)
        self.assertEqual(wizard.mf_whitelist_unchecked, 5)
        self.assertIn("5 payments could not be checked offline", wizard.mf_whitelist_batch_warning)
        action = wizard.action_mf_whitelist_check()
        # ORLEN and the virtual-account vendor have virtual accounts, which the API does not
        # list: their unlisted accounts are left to the flat file, never "not on the list".
        self.assertEqual(action["tag"], "display_notification")
        self.assertIn("2 payments could not be checked", action["params"]["message"])
        self.assertIn("only the flat file confirms", action["params"]["message"])
        self.assertEqual(action["params"]["next"]["res_id"], wizard.id)
        searches = [r for r in self.api.requests if r[1].startswith("/api/search/nips/")]
        self.assertEqual(len(searches), 1, "three vendors, one request")
        self.assertEqual(searches[0][2]["date"], day.isoformat(), "the payment's date")
        wizard.invalidate_recordset(["mf_whitelist_batch_warning", "mf_whitelist_unchecked"])
        self.assertEqual(wizard.mf_whitelist_unchecked, 3)
        self.assertNotIn("not on the VAT white list", wizard.mf_whitelist_batch_warning)
        payments = wizard._create_payments()
        proven = payments.filtered("mf_whitelist_check_id")
        self.assertEqual(proven.partner_bank_id, self.orlen_listed | self.exempt_bank)
        self.assertEqual(set(proven.mapped("mf_whitelist_source")), {"search"})
        self.assertTrue(all(payment.mf_whitelist_request_id for payment in proven), "the proof is kept")
        self.assertTrue(all(payment.mf_whitelist_checked_for == day for payment in proven))
        self.assertEqual(proven.mapped("mf_whitelist_result"), ["active", "exempt"])

    def test_the_daily_limit_leaves_payments_unchecked_with_a_clear_message(self):
        self.api.search_limit = 0
        bills = self.run_bills()
        wizard = self.wizard(bills)
        action = wizard.action_mf_whitelist_check()
        self.assertEqual(action["tag"], "display_notification")
        self.assertIn("daily limit of requests is used up", action["params"]["message"])
        self.assertIn("WL-191", action["params"]["message"])
        wizard.invalidate_recordset(["mf_whitelist_batch_warning", "mf_whitelist_unchecked"])
        self.assertEqual(wizard.mf_whitelist_unchecked, 5, "not checked, never 'not on the list'")
        self.assertNotIn("not on the VAT white list", wizard.mf_whitelist_batch_warning)
        self.api.search_limit = 100

    def test_the_proof_of_a_payment_is_written_by_the_check_only(self):
        self.env["crm.client.whitelist.file"].sudo()._whitelist_load()  # as the scheduled action
        payment = self.wizard(self.bill(self.orlen, self.orlen_listed, 20000))._create_payments()
        other = self.wizard(self.bill(self.orlen, self.orlen_other, 20000))._create_payments()
        with self.assertRaises(AccessError):
            payment.write({"mf_whitelist_check_id": other.mf_whitelist_check_id.id})
        self.assertEqual(payment.mf_whitelist_result, "active")
        draft = self.env["account.payment"].create(
            {
                "payment_type": "outbound",
                "partner_type": "supplier",
                "partner_id": self.orlen.id,
                "partner_bank_id": self.orlen_listed.id,
                "amount": 100,
                "date": self.today,
            }  # fmt: skip
        )
        action = draft.action_mf_whitelist_check()
        self.assertIn("1 payments checked", action["params"]["message"])
        self.assertEqual(draft.mf_whitelist_result, "active")
        draft.partner_bank_id = self.orlen_other
        self.assertFalse(draft.mf_whitelist_check_id, "a proof about another account is dropped")

    def test_the_bill_warning_uses_the_flat_file_of_the_day(self):
        bill = self.bill(self.exempt, self.exempt_bank, 100)
        self.assertIn("never checked", bill.mf_whitelist_warning)
        self.env["crm.client.whitelist.file"].sudo()._whitelist_load()  # as the scheduled action
        bill.invalidate_recordset(["mf_whitelist_warning"])
        self.assertFalse(bill.mf_whitelist_warning, "the flat file says the account is listed")
        other = self.bill(self.orlen, self.orlen_other, 100)
        self.assertIn(f"not on the VAT white list of Orlen on {self.today} (flat file of", other.mf_whitelist_warning)

    def test_a_user_already_on_tomorrow_pays_against_polands_list_of_today(self):
        """At 21:00 in Warsaw it is already the next day in Kiritimati. The Ministry has
        no list for that day yet: the bill's warning, the payment run's check and the
        payments' proofs of a user there are Poland's today's."""
        self.env["crm.client.whitelist.file"].sudo()._whitelist_load()  # as the scheduled action
        bills = self.run_bills()
        evening = datetime.combine(self.today, time(21), ZoneInfo("Europe/Warsaw")).astimezone(UTC)
        with freeze_time(evening.replace(tzinfo=None)):
            env = self.env(context=dict(self.env.context, tz="Pacific/Kiritimati"))
            self.assertEqual(fields.Date.context_today(env.user), self.today + timedelta(days=1))
            other = bills.filtered(lambda bill: bill.partner_bank_id == self.orlen_other)[:1].with_env(env)
            self.assertIn(
                f"not on the VAT white list of Orlen on {self.today} (flat file of", other.mf_whitelist_warning
            )
            wizard = (
                env["account.payment.register"]
                .with_context(active_model="account.move", active_ids=bills.ids)
                .create({"group_payment": False})
            )
            self.assertEqual(wizard.payment_date, self.today + timedelta(days=1), "the user's date, as in core")
            self.assertFalse(wizard.mf_whitelist_unchecked, "checked against today's flat file")
            self.assertIn(
                f"2 payments go to accounts not on the VAT white list on {self.today}",
                wizard.mf_whitelist_batch_warning,
            )
            payments = wizard._create_payments()
        self.assertEqual(set(payments.mapped("mf_whitelist_checked_for")), {self.today})
        self.assertEqual(set(payments.mapped("mf_whitelist_source")), {"file"})
        self.assertEqual(self.api_requests(), 0, "checked offline: no request for a day not published yet")
