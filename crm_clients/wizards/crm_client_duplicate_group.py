from odoo import api, fields, models


class CrmClientDuplicateGroup(models.TransientModel):
    """A group of likely duplicate clients, as client_find_duplicates finds them."""

    _name = "crm.client.duplicate.group"
    _description = "Likely Duplicate Clients"
    _order = "reason, key"

    reason = fields.Selection(
        [("vat", "Tax ID"), ("email", "Email"), ("phone", "Phone"), ("name", "Name")], readonly=True
    )
    key = fields.Char(string="Shared Value", readonly=True)
    partner_ids = fields.Many2many("res.partner", string="Clients", readonly=True)
    partner_count = fields.Integer(compute="_compute_partner_count", string="Count")

    @api.depends("partner_ids")
    def _compute_partner_count(self):
        for group in self:
            group.partner_count = len(group.partner_ids)

    @api.model
    def action_find(self):
        """Find the duplicates now and list them."""
        self.search([("create_uid", "=", self.env.uid)]).unlink()
        groups = self.env["res.partner"].client_find_duplicates()
        self.create(
            [
                {"reason": g["reason"], "key": g["key"], "partner_ids": [fields.Command.set(g["partner_ids"])]}
                for g in groups
            ]
        )
        action = self.env["ir.actions.act_window"]._for_xml_id("crm_clients.crm_client_duplicate_group_action")
        action["domain"] = [("create_uid", "=", self.env.uid)]
        return action

    def action_merge(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Merge Clients"),
            "res_model": "crm.client.merge.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"active_model": "res.partner", "active_ids": self.partner_ids.ids},
        }

    def action_merge_background(self):
        """Merge the selected groups in the background (each keeps its oldest client)."""
        result = self.env["res.partner"].client_merge_duplicates([group.partner_ids.ids for group in self])
        self.unlink()
        return {
            "type": "ir.actions.act_window",
            "res_model": "crm.client.duplicate.run",
            "res_id": result["run_id"],
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }

    def action_not_duplicate(self):
        """These clients are not the same: the groups go and never come back."""
        for group in self:
            self.env["res.partner"].client_mark_not_duplicate(group.partner_ids.ids)
        self.unlink()
        return {"type": "ir.actions.client", "tag": "soft_reload"}
