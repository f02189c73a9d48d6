from odoo import fields, models


class CrmClientContactRole(models.Model):
    _name = "crm.client.contact.role"
    _description = "Contact Role"
    _order = "sequence, name, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    color = fields.Integer()
    active = fields.Boolean(default=True)

    _sql_constraints = [("name_uniq", "unique(name)", "A contact role with this name already exists.")]
