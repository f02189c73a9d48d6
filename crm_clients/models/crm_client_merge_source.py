from odoo import fields, models


class CrmClientMergeSource(models.Model):
    """A client merged away by a merge (its id, and what it was called)."""

    _name = "crm.client.merge.source"
    _description = "Merged Client"
    _order = "merge_id desc, id"

    merge_id = fields.Many2one("crm.client.merge", required=True, ondelete="cascade", index=True)
    partner_record_id = fields.Integer(string="Client ID", index=True, readonly=True)
    name = fields.Char(readonly=True)
    client_number = fields.Char(readonly=True)
    external_ref = fields.Char(string="External Reference", readonly=True)
