from lxml import etree

from odoo.addons.sale.tests.common import SaleCommon
from odoo.tests import new_test_user, tagged


@tagged("post_install", "-at_install")
class TestSaleWorkspace(SaleCommon):
    """The client workspace with Sales installed: the quotations box, the + Add entries,
    the orders in the client's timeline (only for users who may read them)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.client = Partner.create({"name": "Workspace Buyer", "is_company": True})
        cls.person = Partner.create({"name": "Wanda Buyer", "parent_id": cls.client.id})
        cls.other = Partner.create({"name": "Other Buyer", "is_company": True})
        cls.client_user = new_test_user(
            cls.env, login="ws_client_user", groups="base.group_user,crm_clients.group_client_user"
        )
        cls.seller = new_test_user(
            cls.env,
            login="ws_seller",
            groups="base.group_user,crm_clients.group_client_user,sales_team.group_sale_salesman_all_leads",
        )

    def order_for(self, partner):
        order = self.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "order_line": [(0, 0, {"product_id": self.product.id, "product_uom_qty": 1})],
            }
        )
        order.message_post(body="Offer sent by phone", message_type="comment", subtype_xmlid="mail.mt_note")
        return order

    def test_box_counts_orders_of_client_and_contacts_and_hides_at_zero(self):
        self.order_for(self.client)
        self.order_for(self.person)
        self.assertEqual(self.client.client_box_sale_order_count, 2)
        self.assertEqual(self.other.client_box_sale_order_count, 0)
        self.assertEqual(self.client.client_box_opportunity_count, 0, "crm is not installed: always zero")
        action = self.client.with_context(client_box="sale_order").action_client_box()
        self.assertEqual(self.env["sale.order"].search_count(action["domain"]), 2)
        self.assertEqual(action["context"]["default_partner_id"], self.client.id)
        # a user without sales rights has no quotations box at all
        self.assertEqual(self.client.with_user(self.client_user).client_box_sale_order_count, 0)

    def test_core_buttons_replaced_on_the_client_form_only(self):
        view = self.env.ref("crm_clients.view_partner_form_crm_client")
        arch = etree.fromstring(self.env["res.partner"].get_views([(view.id, "form")])["views"]["form"]["arch"])
        names = arch.xpath("//div[@name='button_box']/button/@name")
        self.assertNotIn("action_view_sale_order", names)
        self.assertIn("action_client_box", names)
        core = etree.fromstring(self.env["res.partner"].get_views([(False, "form")])["views"]["form"]["arch"])
        self.assertIn("action_view_sale_order", core.xpath("//div[@name='button_box']/button/@name"))

    def test_add_order_and_quotation_entries(self):
        wizard = self.env["crm.client.add"].create({"partner_id": self.client.id})
        for method in ("action_add_quotation", "action_add_order"):
            action = getattr(wizard, method)()
            self.assertEqual(
                (action["res_model"], action["context"]["default_partner_id"]), ("sale.order", self.client.id)
            )
        # entries of modules that are not installed never show
        self.assertFalse(wizard.can_add_opportunity or wizard.can_add_project or wizard.can_add_event)

    def test_orders_in_the_timeline_for_those_who_may_read_them(self):
        order = self.order_for(self.person)
        entries = self.env["crm.client.timeline"].search(
            [("client_id", "=", self.client.id), ("res_model", "=", "sale.order")]
        )
        self.assertTrue(entries)
        self.assertEqual(set(entries.mapped("res_id")), {order.id})
        self.assertIn("note", entries.mapped("kind"))
        self.assertEqual(entries[0].record_name, order.name)
        action = entries[0].action_open_document()
        self.assertEqual((action["res_model"], action["res_id"]), ("sale.order", order.id))
        Timeline = self.env["crm.client.timeline"]
        domain = [("client_id", "=", self.client.id), ("res_model", "=", "sale.order")]
        self.assertEqual(Timeline.with_user(self.seller).search(domain), entries)
        self.assertFalse(Timeline.with_user(self.client_user).search(domain), "no sales rights: no orders")

    def test_record_rules_of_orders_apply(self):
        own_seller = new_test_user(
            self.env,
            login="ws_own_seller",
            groups="base.group_user,crm_clients.group_client_user,sales_team.group_sale_salesman",
        )
        mine = self.order_for(self.client)
        mine.user_id = own_seller
        theirs = self.order_for(self.client)
        theirs.user_id = self.seller
        visible = (
            self.env["crm.client.timeline"]
            .with_user(own_seller)
            .search([("client_id", "=", self.client.id), ("res_model", "=", "sale.order")])
        )
        self.assertEqual(set(visible.mapped("res_id")), {mine.id}, "only the salesman's own orders")

    def test_sales_tab_lists_the_newest_orders_of_client_and_contacts(self):
        first = self.order_for(self.client)
        second = self.order_for(self.person)
        second.date_order = "2030-01-01 10:00:00"
        self.order_for(self.other)
        self.assertEqual(self.client.client_sale_order_ids.ids, [second.id, first.id])
        self.assertEqual(self.person.client_sale_order_ids.ids, [second.id, first.id])
        self.assertFalse(self.client.with_user(self.client_user).client_sale_order_ids, "no sales rights")
        clients = self.client | self.other

        def queries(records):
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            records.mapped("client_sale_order_ids")
            return self.env.cr.sql_log_count - before

        self.assertEqual(queries(self.client), queries(clients))
