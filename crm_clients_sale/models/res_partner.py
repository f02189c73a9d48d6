from odoo import api, fields, models
from odoo.tools import SQL

RECENT = 100


class ResPartner(models.Model):
    _inherit = "res.partner"

    client_sale_order_ids = fields.Many2many(
        "sale.order",
        string="Recent Quotations & Orders",
        compute="_compute_client_sale_order_ids",
        help="The 100 newest quotations and orders of the client and its contact persons; "
        "the Quotations & Orders box lists them all.",
    )

    @api.depends_context("uid")
    def _compute_client_sale_order_ids(self):
        """One query for all these clients: the newest orders of each (access rights and
        record rules apply through the ORM's subquery)."""
        clients = self._origin.commercial_partner_id
        by_client = {}
        Order = self.env["sale.order"]
        if clients and Order.has_access("read"):
            allowed = Order._search([("partner_id.commercial_partner_id", "in", clients.ids)])
            rows = self.env.execute_query(
                SQL(
                    """SELECT client, id FROM (
                           SELECT p.commercial_partner_id AS client, o.id,
                                  row_number() OVER (PARTITION BY p.commercial_partner_id
                                                     ORDER BY o.date_order DESC, o.id DESC) AS rank
                             FROM sale_order o JOIN res_partner p ON p.id = o.partner_id
                            WHERE o.id IN %s) ranked
                        WHERE rank <= %s ORDER BY client, rank""",
                    allowed.subselect(),
                    RECENT,
                )
            )
            for client, order_id in rows:
                by_client.setdefault(client, []).append(order_id)
        for partner in self:
            partner.client_sale_order_ids = by_client.get(partner._origin.commercial_partner_id.id, [])
