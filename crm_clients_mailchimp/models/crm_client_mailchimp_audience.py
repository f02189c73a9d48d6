from odoo import fields, models


class CrmClientMailchimpAudience(models.Model):
    """The audiences of the Mailchimp account, as last loaded (to choose one)."""

    _name = "crm.client.mailchimp.audience"
    _description = "Mailchimp Audience"

    name = fields.Char(required=True)
    list_id = fields.Char(string="Audience ID", required=True)

    _sql_constraints = [("list_id_unique", "UNIQUE (list_id)", "An audience is listed once.")]
