from odoo import api, fields, models, tools


class CrmClientRelationType(models.Model):
    _name = "crm.client.relation.type"
    _description = "Client Relation Type"
    _order = "name, id"

    name = fields.Char(
        required=True, translate=True, help="How the left partner relates to the right one, e.g. Referred."
    )
    name_inverse = fields.Char(
        string="Inverse Name",
        translate=True,
        help="How the right partner relates to the left one, e.g. Referred by. Symmetric types use the name.",
    )
    is_symmetric = fields.Boolean(string="Symmetric", help="The relation reads the same from both sides, e.g. Partner.")
    active = fields.Boolean(default=True)

    @api.onchange("is_symmetric")
    def _onchange_is_symmetric(self):
        if self.is_symmetric:
            self.name_inverse = self.name

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("is_symmetric") or not vals.get("name_inverse"):
                vals["name_inverse"] = vals.get("name")
        return super().create(vals_list)

    def write(self, vals):
        res = super().write(vals)
        if vals.get("is_symmetric") or ("name" in vals and any(t.is_symmetric for t in self)):
            for relation_type in self.filtered("is_symmetric"):
                if relation_type.name_inverse != relation_type.name:
                    super(CrmClientRelationType, relation_type).write({"name_inverse": relation_type.name})
        return res


class CrmClientRelationTypeSelection(models.Model):
    """A relation type read from one side: "Referred" and "Referred by" are two choices
    of the same type. Symmetric types are one choice."""

    _name = "crm.client.relation.type.selection"
    _description = "Client Relation Type, Seen From One Side"
    _auto = False
    _order = "name, id"

    name = fields.Char(readonly=True, translate=True)
    type_id = fields.Many2one("crm.client.relation.type", readonly=True)
    is_inverse = fields.Boolean(readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        # Translated names: the selection shows the user's language (jsonb per language).
        self.env.cr.execute(
            """
            CREATE VIEW crm_client_relation_type_selection AS (
                SELECT t.id * 2 AS id, t.name AS name, t.id AS type_id, FALSE AS is_inverse
                  FROM crm_client_relation_type t
                 WHERE t.active
                UNION ALL
                SELECT t.id * 2 + 1, COALESCE(t.name_inverse, t.name), t.id, TRUE
                  FROM crm_client_relation_type t
                 WHERE t.active AND NOT COALESCE(t.is_symmetric, FALSE)
            )
            """
        )
