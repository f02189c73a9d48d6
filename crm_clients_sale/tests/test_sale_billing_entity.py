from odoo.addons.sale.tests.common import SaleCommon
from odoo.tests import Form, tagged


@tagged("post_install", "-at_install")
class TestSaleBillingEntity(SaleCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        poland = cls.env.ref("base.pl")
        cls.client = Partner.create({"name": "Grupa Nowak", "is_company": True, "country_id": poland.id})
        cls.person = Partner.create({"name": "Jan Nowak", "parent_id": cls.client.id})
        cls.entity = Partner.create(
            {
                "name": "Nowak Handel Sp. z o.o.",
                "parent_id": cls.client.id,
                "is_billing_entity": True,
                "vat": "5261040828",
                "country_id": poland.id,
            }
        )
        cls.old_entity = Partner.create(
            {
                "name": "Nowak Stara Sp. z o.o.",
                "parent_id": cls.client.id,
                "is_billing_entity": True,
                "vat": "7740001454",
                "country_id": poland.id,
                "active": False,
            }
        )

    def test_new_quotation_proposes_the_default_entity(self):
        for customer in (self.client, self.person):
            order = self.env["sale.order"].create({"partner_id": customer.id})
            self.assertEqual(order.partner_invoice_id, self.entity, customer.name)
        with Form(self.env["sale.order"]) as form:
            form.partner_id = self.client
            self.assertEqual(form.partner_invoice_id, self.entity)

    def test_only_active_entities_and_addresses_of_the_client_are_offered(self):
        order = self.env["sale.order"].create({"partner_id": self.client.id})
        domain = [("id", "child_of", order.client_commercial_partner_id.id)]
        offered = self.env["res.partner"].search(domain)
        self.assertIn(self.entity, offered)
        self.assertIn(self.person, offered)
        self.assertNotIn(self.old_entity, offered)
        self.assertNotIn(self.partner, offered, "another customer is not offered")
        view = self.env["sale.order"].get_view(view_type="form")["arch"]
        self.assertIn("client_commercial_partner_id", view)

    def test_invoice_of_the_order_goes_to_the_entity(self):
        order = self.env["sale.order"].create(
            {
                "partner_id": self.client.id,
                "order_line": [(0, 0, {"product_id": self.product.id, "product_uom_qty": 1})],
            }
        )
        order.action_confirm()
        order.order_line.qty_delivered = 1
        invoice = order._create_invoices()
        self.assertEqual(invoice.partner_id, self.entity)
        self.assertEqual(invoice.commercial_partner_id, self.entity)


@tagged("post_install", "-at_install")
class TestMergeKeepsDocuments(SaleCommon):
    def test_orders_and_invoices_move_to_the_target(self):
        Partner = self.env["res.partner"]
        target = Partner.create({"name": "Merge Target", "is_company": True})
        sources = Partner.create([{"name": f"Merge Source {i}", "is_company": True} for i in range(3)])
        for partner in target | sources:
            order = self.env["sale.order"].create(
                {
                    "partner_id": partner.id,
                    "order_line": [(0, 0, {"product_id": self.product.id, "product_uom_qty": 1})],
                }
            )
            order.action_confirm()
            order.order_line.qty_delivered = 1
            order._create_invoices()
        everyone = (target | sources).ids
        orders_before = self.env["sale.order"].search_count([("partner_id", "in", everyone)])
        invoices_before = self.env["account.move"].search_count([("partner_id", "in", everyone)])
        result = Partner.client_merge(sources.ids, target.id)
        self.assertEqual(result["moved"]["sale.order"], 3)
        self.assertEqual(self.env["sale.order"].search_count([("partner_id", "=", target.id)]), orders_before)
        self.assertEqual(self.env["account.move"].search_count([("partner_id", "=", target.id)]), invoices_before)
        self.assertEqual(
            self.env["account.move"].search_count([("commercial_partner_id", "=", target.id)]), invoices_before
        )


@tagged("post_install", "-at_install")
class TestSaleGroupPaymentTerm(SaleCommon):
    def test_order_takes_the_group_term_unless_the_client_has_one(self):
        term_30 = self.env.ref("account.account_payment_term_30days")
        term_immediate = self.env.ref("account.account_payment_term_immediate")
        group = self.env["crm.client.group"].sudo().create({"name": "Wholesale", "payment_term_id": term_30.id})
        grouped = self.env["res.partner"].create({"name": "Grouped", "is_company": True, "client_group_id": group.id})
        own = self.env["res.partner"].create(
            {
                "name": "Own",
                "is_company": True,
                "client_group_id": group.id,
                "property_payment_term_id": term_immediate.id,
            }
        )
        self.assertEqual(self.env["sale.order"].create({"partner_id": grouped.id}).payment_term_id, term_30)
        self.assertEqual(self.env["sale.order"].create({"partner_id": own.id}).payment_term_id, term_immediate)
