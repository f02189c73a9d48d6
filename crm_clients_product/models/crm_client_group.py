from odoo import api, fields, models


class CrmClientGroup(models.Model):
    _inherit = "crm.client.group"

    pricelist_id = fields.Many2one(
        "product.pricelist",
        string="Pricelist",
        help="For the group's clients without a pricelist of their own (before the country group's and the default).",
    )


class ProductPricelist(models.Model):
    _inherit = "product.pricelist"

    @api.model
    def _get_partner_pricelist_multi(self, partner_ids):
        """Odoo's chain with the client group inserted after the partner's own pricelist:
        own (specific) pricelist, else the client group's, else Odoo's country group /
        default / first pricelist."""
        result = super()._get_partner_pricelist_multi(partner_ids)
        partners = self.env["res.partner"].with_context(active_test=False).browse(partner_ids)
        company = self.env.company
        for partner in partners:
            if partner.specific_property_product_pricelist._get_partner_pricelist_multi_filter_hook():
                continue
            group_pricelist = partner.commercial_partner_id.client_group_id.pricelist_id
            if group_pricelist.active and group_pricelist.company_id in (company, self.env["res.company"]):
                result[partner.id] = group_pricelist
        return result
