from markupsafe import Markup

from odoo import api, fields, models


class CrmClientMergeWizard(models.TransientModel):
    _name = "crm.client.merge.wizard"
    _description = "Merge Clients"

    partner_ids = fields.Many2many("res.partner", string="Clients", required=True)
    target_id = fields.Many2one(
        "res.partner",
        string="Keep",
        required=True,
        domain="[('id', 'in', partner_ids)]",
        help="The client that stays: it keeps its number, reference and status.",
    )
    preview = fields.Html(compute="_compute_preview", sanitize=False)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if self.env.context.get("active_model") == "res.partner" and self.env.context.get("active_ids"):
            partners = self.env["res.partner"].browse(self.env.context["active_ids"])
            values.setdefault("partner_ids", [fields.Command.set(partners.ids)])
            # The oldest client (lowest number) is proposed as the one to keep.
            values.setdefault(
                "target_id", partners.sorted(lambda p: (not p.client_number, p.client_number or "", p.id))[:1].id
            )
        return values

    @api.depends("partner_ids", "target_id")
    def _compute_preview(self):
        for wizard in self:
            sources = wizard.partner_ids - wizard.target_id
            if not wizard.target_id or not sources:
                wizard.preview = False
                continue
            try:
                moved = self.env["res.partner"].client_merge_preview(sources.ids, wizard.target_id.id)["moved"]
            except Exception as exc:  # noqa: BLE001 - shown to the user as the reason
                wizard.preview = Markup("<div class='alert alert-danger'>%s</div>") % (exc.args[0] if exc.args else exc)
                continue
            labels = {m.model: m.name for m in self.env["ir.model"].sudo().search([("model", "in", list(moved))])}
            rows = Markup("").join(
                Markup("<tr><td>%s</td><td class='text-end'>%s</td></tr>") % (labels.get(model, model), count)
                for model, count in sorted(moved.items(), key=lambda item: labels.get(item[0], item[0]))
            )
            wizard.preview = Markup(
                "<p>%s</p><table class='table table-sm'><thead><tr><th>%s</th><th class='text-end'>%s</th></tr>"
                "</thead><tbody>%s</tbody></table>"
            ) % (
                self.env._(
                    "%(count)s clients will be merged into %(target)s:",
                    count=len(sources),
                    target=wizard.target_id.display_name,
                ),
                self.env._("Records"),
                self.env._("Moved"),
                rows,
            )

    def action_merge(self):
        self.ensure_one()
        sources = self.partner_ids - self.target_id
        self.env["res.partner"].client_merge(sources.ids, self.target_id.id)
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.partner",
            "res_id": self.target_id.id,
            "view_mode": "form",
            "views": [(self.env.ref("crm_clients.view_partner_form_crm_client").id, "form")],
            "target": "current",
        }
