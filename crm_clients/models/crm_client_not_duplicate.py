from odoo import api, fields, models


class CrmClientNotDuplicate(models.Model):
    """Two clients a user said are not the same: never proposed as duplicates again."""

    _name = "crm.client.not.duplicate"
    _description = "Clients That Are Not Duplicates"
    _order = "id desc"

    partner_a_id = fields.Many2one("res.partner", required=True, ondelete="cascade", index=True, readonly=True)
    partner_b_id = fields.Many2one("res.partner", required=True, ondelete="cascade", index=True, readonly=True)

    _sql_constraints = [
        ("pair_unique", "UNIQUE(partner_a_id, partner_b_id)", "This pair is already marked."),
        ("pair_ordered", "CHECK(partner_a_id < partner_b_id)", "A pair is two different clients."),
    ]

    @api.model
    def _pairs_among(self, partner_ids):
        """{(a, b)} of the marked pairs between ``partner_ids`` (a < b): one query."""
        if not partner_ids:
            return set()
        self.env.cr.execute(
            """SELECT partner_a_id, partner_b_id FROM crm_client_not_duplicate
                WHERE partner_a_id = ANY(%s) AND partner_b_id = ANY(%s)""",
            [list(partner_ids), list(partner_ids)],
        )
        return set(self.env.cr.fetchall())
