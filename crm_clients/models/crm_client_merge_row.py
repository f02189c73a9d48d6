from odoo import fields, models


class CrmClientMergeRow(models.Model):
    """A row a merge deleted, changed or inserted (written and read in SQL only)."""

    _name = "crm.client.merge.row"
    _description = "Client Merge Row"
    _log_access = False

    merge_id = fields.Many2one("crm.client.merge", required=True, ondelete="cascade", index=True)
    kind = fields.Selection(
        [("deleted", "Deleted"), ("changed", "Changed"), ("inserted", "Inserted"), ("target", "Target")],
        required=True,
    )
    table_name = fields.Char(required=True)
    row_id = fields.Integer()
    # deleted / inserted: the whole row; changed / target: the old values of the columns
    # the merge changed, and the values it left
    old_values = fields.Json()
    new_values = fields.Json()
