from odoo import api, fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    # Files and links attached to the client itself. Odoo's attachment rules apply: reading
    # needs read access to the client, uploading and deleting need write access.
    client_document_ids = fields.One2many(
        "ir.attachment",
        "res_id",
        string="Documents",
        domain=[("res_model", "=", "res.partner"), ("res_field", "=", False)],
        context={"default_res_model": "res.partner"},
    )

    @api.readonly
    def action_client_generate_document(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Generate a Document"),
            "res_model": "crm.client.document.generate",
            "view_mode": "form",
            "target": "new",
            "context": {"default_partner_id": self.id},
        }
