from odoo import api, fields, models, tools


class CrmClientRelationSide(models.Model):
    """Every relation seen from each of its two partners: what the partner form lists,
    with the right wording ("Referred" on one side, "Referred by" on the other), and where
    a relation is added from either side."""

    _name = "crm.client.relation.side"
    _description = "Client Relation, Seen From One Partner"
    _auto = False
    _order = "date_start desc, id desc"

    relation_id = fields.Many2one("crm.client.relation", string="Base Relation", readonly=True)
    this_partner_id = fields.Many2one("res.partner", string="Partner", required=True)
    type_selection_id = fields.Many2one("crm.client.relation.type.selection", string="Relation", required=True)
    other_partner_id = fields.Many2one("res.partner", string="Related Partner", required=True)
    type_id = fields.Many2one("crm.client.relation.type", readonly=True)
    is_inverse = fields.Boolean(readonly=True)
    date_start = fields.Date(string="From")
    date_end = fields.Date(string="Until")
    note = fields.Text()

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            """
            CREATE VIEW crm_client_relation_side AS (
                SELECT r.id * 2 AS id, r.id AS relation_id, r.left_partner_id AS this_partner_id,
                       r.type_id * 2 AS type_selection_id, r.right_partner_id AS other_partner_id,
                       r.type_id, FALSE AS is_inverse, r.date_start, r.date_end, r.note
                  FROM crm_client_relation r
                UNION ALL
                SELECT r.id * 2 + 1, r.id, r.right_partner_id,
                       CASE WHEN t.is_symmetric THEN r.type_id * 2 ELSE r.type_id * 2 + 1 END,
                       r.left_partner_id, r.type_id, TRUE, r.date_start, r.date_end, r.note
                  FROM crm_client_relation r
                  JOIN crm_client_relation_type t ON t.id = r.type_id
            )
            """
        )

    @api.model
    def _side_to_relation_vals(self, vals):
        """Values of the base relation for values given on a side."""
        vals = dict(vals)
        relation = {key: vals.pop(key) for key in ("date_start", "date_end", "note") if key in vals}
        if "type_selection_id" in vals:
            selection = self.env["crm.client.relation.type.selection"].browse(vals["type_selection_id"])
            inverse = selection.is_inverse
            relation["type_id"] = selection.type_id.id
        else:
            inverse = vals.get("is_inverse", False)
        this, other = vals.get("this_partner_id"), vals.get("other_partner_id")
        left, right = ("right_partner_id", "left_partner_id") if inverse else ("left_partner_id", "right_partner_id")
        if this:
            relation[left] = this
        if other:
            relation[right] = other
        return relation, inverse

    @api.model_create_multi
    def create(self, vals_list):  # pylint: disable=method-required-super
        # A view: the rows are the base relations', created there.
        relations = self.env["crm.client.relation"]
        inverses = []
        default_partner = self.env.context.get("default_this_partner_id")
        for vals in vals_list:
            # no super(): the ORM's default for the partner is applied here
            side_vals = {"this_partner_id": default_partner, **vals} if default_partner else vals
            relation_vals, inverse = self._side_to_relation_vals(side_vals)
            relations |= relations.create(relation_vals)
            inverses.append(inverse)
        return self.browse([rel.id * 2 + int(inv) for rel, inv in zip(relations, inverses, strict=True)])

    def write(self, vals):  # pylint: disable=method-required-super
        for side in self:
            relation_vals, inverse = side._side_to_relation_vals(
                {"this_partner_id": side.this_partner_id.id, "other_partner_id": side.other_partner_id.id, **vals}
                if "type_selection_id" in vals
                else {**vals, "is_inverse": side.is_inverse}
            )
            side.relation_id.write(relation_vals)
        self.invalidate_model()
        return True

    def unlink(self):  # pylint: disable=method-required-super
        self.relation_id.unlink()
        return True
