from odoo import api, fields, models
from odoo.exceptions import UserError


class CrmClientDocumentGenerate(models.TransientModel):
    _name = "crm.client.document.generate"
    _description = "Generate a Client Document"

    partner_id = fields.Many2one("res.partner", required=True, ondelete="cascade")
    template_id = fields.Many2one(
        "crm.client.document.template",
        domain="[('company_id', 'in', [False, company_id])]",
        default=lambda self: self._default_template(),
    )
    company_id = fields.Many2one(related="partner_id.company_id")
    template_count = fields.Integer(compute="_compute_template_count")

    @api.model
    def _default_template(self):
        return self.env["crm.client.document.template"].search([], limit=1)

    def _compute_template_count(self):
        count = self.env["crm.client.document.template"].search_count([])
        self.template_count = count

    def action_generate(self):
        self.ensure_one()
        if not self.template_id:
            raise UserError(self.env._("Choose a template."))
        self.partner_id.check_access("write")
        attachment = self.template_id._generate(self.partner_id)
        self.partner_id.message_post(
            body=self.env._("Document generated from the template %(template)s.", template=self.template_id.name),
            attachment_ids=attachment.ids,
        )
        return {"type": "ir.actions.act_window_close"}

    def action_new_template(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("New Document Template"),
            "res_model": "crm.client.document.template",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }
