from odoo import api, fields, models
from odoo.addons.base.models.res_partner import _lang_get


class CrmClientGroup(models.Model):
    """Defaults shared by the clients of a group (wholesale, retail, partners...): a client
    uses its own value, else its group's, else the company's."""

    _name = "crm.client.group"
    _description = "Client Group"
    _order = "name"

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", string="Company")
    discount = fields.Float(string="Default Discount (%)", digits="Discount")
    lang = fields.Selection(_lang_get, string="Email Language")
    partner_ids = fields.One2many("res.partner", "client_group_id", string="Clients")
    partner_count = fields.Integer(compute="_compute_partner_count", string="Client Count")

    _sql_constraints = [
        ("discount_range", "CHECK (discount >= 0 AND discount <= 100)", "A discount is between 0 and 100 %."),
    ]

    @api.depends("partner_ids")
    def _compute_partner_count(self):
        counts = dict(
            self.env["res.partner"]._read_group([("client_group_id", "in", self.ids)], ["client_group_id"], ["__count"])
        )
        for group in self:
            group.partner_count = counts.get(group, 0)

    def write(self, vals):
        if "lang" not in vals:
            return super().write(vals)
        # Clients that follow their group's language follow its change.
        followers = {group: group.partner_ids.filtered(lambda p, g=group: p.lang == g.lang) for group in self}
        res = super().write(vals)
        for clients in followers.values():
            if clients and vals["lang"]:
                clients.write({"lang": vals["lang"]})
        return res

    @api.readonly
    def action_view_clients(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("crm_clients.action_crm_clients")
        action["domain"] = [("client_group_id", "=", self.id)]
        action["context"] = {"default_client_group_id": self.id}
        return action
