"""Typed relations between partners: both sides, the search *Related To*, the smart button."""

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools.query import Query


class ResPartner(models.Model):
    _inherit = "res.partner"

    # Relations
    client_relation_ids = fields.Many2many(
        "crm.client.relation",
        string="Relations",
        compute="_compute_client_relation_ids",
        search="_search_client_relation_ids",
        help="Every relation the partner takes part in, on either side.",
    )
    client_relation_count = fields.Integer(compute="_compute_client_relation_ids", string="Relation Count")
    client_related_partner_id = fields.Many2one(
        "res.partner",
        string="Related To",
        compute="_compute_client_related_partner_id",
        search="_search_client_related_partner_id",
        help="Search the partners that have a relation with this one.",
    )

    def _compute_client_relation_ids(self):
        relations = self.env["crm.client.relation"].search(
            ["|", ("left_partner_id", "in", self.ids), ("right_partner_id", "in", self.ids)]
        )
        by_partner = {}
        for relation in relations:
            for partner in relation.left_partner_id | relation.right_partner_id:
                by_partner.setdefault(partner.id, []).append(relation.id)
        for partner in self:
            ids = by_partner.get(partner.id, [])
            partner.client_relation_ids = [fields.Command.set(ids)]
            partner.client_relation_count = len(ids)

    def _search_client_relation_ids(self, operator, value):
        if operator not in ("in", "=", "any"):
            raise UserError(self.env._("Unsupported search on relations: %(operator)s", operator=operator))
        Relation = self.env["crm.client.relation"]
        if isinstance(value, Query):
            relations = value  # "any" with a subquery already built by the ORM
        elif operator == "any":
            relations = Relation._search(value)
        else:
            relations = Relation._search([("id", "in", value if isinstance(value, (list, tuple)) else [value])])
        return [
            "|",
            ("id", "in", relations.subselect("left_partner_id")),
            ("id", "in", relations.subselect("right_partner_id")),
        ]

    def _compute_client_related_partner_id(self):
        self.client_related_partner_id = False

    def _search_client_related_partner_id(self, operator, value):
        if operator in ("ilike", "=ilike", "like") and isinstance(value, str):
            others = self.env["res.partner"]._search([("display_name", operator, value)])
        elif operator in ("=", "in"):
            others = value if isinstance(value, (list, tuple)) else [value]
        else:
            raise UserError(self.env._("Unsupported search on related partners: %(operator)s", operator=operator))
        Relation = self.env["crm.client.relation"]
        return [
            "|",
            ("id", "in", Relation._search([("right_partner_id", "in", others)]).subselect("left_partner_id")),
            ("id", "in", Relation._search([("left_partner_id", "in", others)]).subselect("right_partner_id")),
        ]

    @api.readonly
    def action_view_client_relations(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("crm_clients.crm_client_relation_side_action")
        action["domain"] = [("this_partner_id", "=", self.id)]
        action["context"] = {"default_this_partner_id": self.id}
        action["display_name"] = self.env._("Relations of %(partner)s", partner=self.display_name)
        return action
