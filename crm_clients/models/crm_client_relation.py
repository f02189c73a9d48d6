from odoo import api, fields, models
from odoo.exceptions import ValidationError


class CrmClientRelation(models.Model):
    _name = "crm.client.relation"
    _description = "Client Relation"
    _order = "date_start desc, id desc"
    _rec_names_search = ["left_partner_id", "right_partner_id", "type_id"]

    left_partner_id = fields.Many2one("res.partner", string="Partner", required=True, ondelete="cascade", index=True)
    type_id = fields.Many2one("crm.client.relation.type", string="Relation", required=True, ondelete="restrict")
    right_partner_id = fields.Many2one(
        "res.partner", string="Related Partner", required=True, ondelete="cascade", index=True
    )
    date_start = fields.Date(string="From")
    date_end = fields.Date(string="Until")
    note = fields.Text()

    @api.depends("left_partner_id", "type_id", "right_partner_id")
    def _compute_display_name(self):
        for relation in self:
            # "Anna referred Jan": the relation type's (translated) name between the partners
            relation.display_name = " ".join(
                part
                for part in (
                    relation.left_partner_id.display_name,
                    (relation.type_id.name or "").lower(),
                    relation.right_partner_id.display_name,
                )
                if part
            )

    @api.constrains("left_partner_id", "right_partner_id", "type_id", "date_start", "date_end")
    def _check_relation(self):
        for relation in self:
            if relation.left_partner_id == relation.right_partner_id:
                raise ValidationError(
                    self.env._(
                        "%(partner)s cannot be related to itself.", partner=relation.left_partner_id.display_name
                    )
                )
            if relation.date_start and relation.date_end and relation.date_end < relation.date_start:
                raise ValidationError(self.env._("A relation cannot end before it starts."))
        self._check_no_duplicate()

    def _check_no_duplicate(self):
        """The same pair and type with overlapping dates exists once; for a symmetric type
        (A, B) and (B, A) are the same pair."""
        for relation in self:
            left, right = relation.left_partner_id.id, relation.right_partner_id.id
            pairs = ["&", ("left_partner_id", "=", left), ("right_partner_id", "=", right)]
            if relation.type_id.is_symmetric:
                pairs = ["|", *pairs, "&", ("left_partner_id", "=", right), ("right_partner_id", "=", left)]
            domain = [("id", "!=", relation.id), ("type_id", "=", relation.type_id.id), *pairs]
            if relation.date_end:
                domain += ["|", ("date_start", "=", False), ("date_start", "<=", relation.date_end)]
            if relation.date_start:
                domain += ["|", ("date_end", "=", False), ("date_end", ">=", relation.date_start)]
            if self.search_count(domain, limit=1):
                raise ValidationError(
                    self.env._(
                        "%(relation)s already exists for these dates.",
                        relation=relation.display_name,
                    )
                )
