from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestGroupPricelist(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Pricelist = cls.env["product.pricelist"]
        cls.eur = cls.env.ref("base.EUR")
        cls.eur.active = True
        cls.wholesale_list = Pricelist.create({"name": "Wholesale EUR", "currency_id": cls.eur.id})
        cls.own_list = Pricelist.create({"name": "Negotiated"})
        cls.group = cls.env["crm.client.group"].create({"name": "Wholesale", "pricelist_id": cls.wholesale_list.id})

    def test_own_else_group_else_odoo_chain(self):
        Partner = self.env["res.partner"]
        plain = Partner.create({"name": "Plain", "is_company": True})
        grouped = Partner.create({"name": "Grouped", "is_company": True, "client_group_id": self.group.id})
        contact = Partner.create({"name": "Buyer", "parent_id": grouped.id})
        own = Partner.create({"name": "Own", "is_company": True, "client_group_id": self.group.id})
        own.property_product_pricelist = self.own_list
        (plain | grouped | contact | own).invalidate_recordset(["property_product_pricelist"])
        self.assertEqual(grouped.property_product_pricelist, self.wholesale_list)
        self.assertEqual(grouped.property_product_pricelist.currency_id, self.eur, "and so its currency")
        self.assertEqual(contact.property_product_pricelist, self.wholesale_list)
        self.assertEqual(own.property_product_pricelist, self.own_list, "a pricelist of its own wins")
        self.assertNotEqual(plain.property_product_pricelist, self.wholesale_list)
        self.group.pricelist_id = self.own_list
        grouped.invalidate_recordset(["property_product_pricelist"])
        self.assertEqual(grouped.property_product_pricelist, self.own_list, "the group's change reaches its clients")
