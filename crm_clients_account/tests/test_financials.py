from odoo import Command, fields
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .test_client_type import InvoiceCase


@tagged("post_install", "-at_install")
class TestClientFinancials(InvoiceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.client = cls.env["res.partner"].create({"name": "Payer", "is_company": True})
        cls.contact = cls.env["res.partner"].create({"name": "Buyer", "parent_id": cls.client.id})

    def invoice(self, partner, amount, date):
        move = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_date": date,
                "invoice_line_ids": [
                    Command.create({"name": "Service", "quantity": 1, "price_unit": amount, "tax_ids": []})
                ],
            }
        )
        move.action_post()
        return move

    def test_figures_with_payments_and_years(self):
        today = fields.Date.context_today(self.env.user)
        paid = self.invoice(self.client, 1000, today)
        self.invoice(self.contact, 500, today)
        self.invoice(self.client, 200, today.replace(year=today.year - 1, month=6, day=1))
        self.env["account.payment.register"].with_context(active_model="account.move", active_ids=paid.ids).create(
            {}
        )._create_payments()
        self.env.user.groups_id |= self.env.ref("crm_clients.group_client_financials")
        self.client.invalidate_recordset()
        self.assertEqual(self.client.client_invoiced_this_year, 1500)
        self.assertEqual(self.client.client_paid_to_date, 1000)
        self.assertEqual(self.client.client_amount_owing, 700)
        self.assertEqual(self.contact.client_amount_owing, 700, "a contact shows its client's figures")

    def test_only_the_financials_group_reads_them(self):
        user = new_test_user(
            self.env,
            login="no-fin",
            groups="base.group_user,crm_clients.group_client_user,account.group_account_invoice",
        )
        with self.assertRaises(AccessError):
            self.client.with_user(user).read(["client_amount_owing"])
        finance = new_test_user(
            self.env,
            login="fin",
            groups="base.group_user,account.group_account_invoice,crm_clients.group_client_financials",
        )
        self.assertEqual(self.client.with_user(finance).read(["client_amount_owing"])[0]["client_amount_owing"], 0.0)
