from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResPartner(models.Model):
    _inherit = "res.partner"

    client_group_id = fields.Many2one(
        "crm.client.group", string="Client Group", index="btree_not_null", tracking=True, ondelete="restrict"
    )
    client_discount_own = fields.Boolean(
        string="Own Discount", help="Use this client's own discount instead of its group's or its company's."
    )
    client_discount_value = fields.Float(string="Own Discount Value (%)", digits="Discount")
    client_discount = fields.Float(
        string="Discount (%)",
        digits="Discount",
        compute="_compute_client_discount",
        inverse="_inverse_client_discount",
        search="_search_client_discount",
        help="The client's own discount, else its group's, else its company's default.",
    )
    billing_amount = fields.Monetary(
        string="Recurring Amount", currency_field="billing_currency_id", tracking=True,
        help="The recurring amount agreed with the client.",
    )  # fmt: skip
    billing_currency_id = fields.Many2one(
        "res.currency", string="Billing Currency", default=lambda self: self.env.company.currency_id
    )

    @api.depends(
        "client_discount_own", "client_discount_value", "client_group_id.discount", "company_id.client_default_discount"
    )
    @api.depends_context("company")
    def _compute_client_discount(self):
        for partner in self:
            commercial = partner.commercial_partner_id or partner
            if commercial.client_discount_own:
                partner.client_discount = commercial.client_discount_value
            elif commercial.client_group_id:
                partner.client_discount = commercial.client_group_id.discount
            else:
                partner.client_discount = (commercial.company_id or self.env.company).client_default_discount

    def _inverse_client_discount(self):
        for partner in self:
            if not 0 <= partner.client_discount <= 100:
                raise ValidationError(self.env._("A discount is between 0 and 100 %."))
            partner.commercial_partner_id.write(
                {"client_discount_own": True, "client_discount_value": partner.client_discount}
            )

    def _search_client_discount(self, operator, value):
        if operator not in ("=", "!=", "<", "<=", ">", ">="):
            raise ValidationError(self.env._("Unsupported search on the discount."))
        own = ["&", ("client_discount_own", "=", True), ("client_discount_value", operator, value)]
        group = [
            "&",
            "&",
            ("client_discount_own", "=", False),
            ("client_group_id", "!=", False),
            ("client_group_id.discount", operator, value),
        ]
        domain = ["|", *own, *group]
        default = self.env.company.client_default_discount
        matches_default = {
            "=": default == value, "!=": default != value, "<": default < value, "<=": default <= value,
            ">": default > value, ">=": default >= value,
        }[operator]  # fmt: skip
        if matches_default:
            domain = ["|", *domain, "&", ("client_discount_own", "=", False), ("client_group_id", "=", False)]
        return domain

    @api.model
    def _commercial_fields(self):
        return super()._commercial_fields() + ["client_group_id", "client_discount_own", "client_discount_value"]

    @api.onchange("client_group_id")
    def _onchange_client_group_lang(self):
        if self.client_group_id.lang:
            self.lang = self.client_group_id.lang

    @api.model_create_multi
    def create(self, vals_list):
        groups = self.env["crm.client.group"].browse(
            {v["client_group_id"] for v in vals_list if v.get("client_group_id")}
        )
        langs = {group.id: group.lang for group in groups if group.lang}
        for vals in vals_list:
            if vals.get("client_group_id") in langs and not vals.get("lang"):
                vals["lang"] = langs[vals["client_group_id"]]
        return super().create(vals_list)
