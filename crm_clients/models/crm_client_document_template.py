from markupsafe import Markup

from odoo import fields, models


class CrmClientDocumentTemplate(models.Model):
    """A document written once and printed for any client: placeholders for client fields,
    rendered by Odoo's rendering mixin with mail templates' rules (only template editors
    may write code; others may use simple field placeholders), printed to PDF."""

    _name = "crm.client.document.template"
    _inherit = ["mail.render.mixin"]
    _description = "Client Document Template"
    _order = "sequence, name"
    _unrestricted_rendering = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)
    body_html = fields.Html(
        "Body",
        render_engine="qweb",
        render_options={"post_process": True},
        translate=True,
        sanitize="email_outgoing",
        help='Placeholders: <t t-out="object.name"/>, <t t-out="object.vat"/>, <t t-out="object.client_number"/>...',
    )
    file_name = fields.Char(
        "File Name",
        translate=True,
        help="Name of the generated file (without .pdf); may use {{ object.name }}. Default: template and client names.",
    )

    def _compute_render_model(self):
        self.render_model = "res.partner"

    def _generate(self, partners):
        """Render the template for these partners to one PDF each, attached to them.
        Returns the attachments."""
        self.ensure_one()
        bodies = self._render_field("body_html", partners.ids, compute_lang=True)
        names = self._render_field("file_name", partners.ids, compute_lang=True) if self.file_name else {}
        report = self.env.ref("crm_clients.action_report_client_document")
        attachments = self.env["ir.attachment"]
        for partner in partners:
            pdf, _type = self.env["ir.actions.report"]._render_qweb_pdf(
                report, partner.ids, data={"bodies": {partner.id: Markup(bodies[partner.id] or "")}}
            )
            name = (names.get(partner.id) or f"{self.name} - {partner.display_name}").strip()
            attachments |= self.env["ir.attachment"].create(
                {
                    "name": name if name.lower().endswith(".pdf") else f"{name}.pdf",
                    "raw": pdf,
                    "mimetype": "application/pdf",
                    "res_model": "res.partner",
                    "res_id": partner.id,
                }
            )
        return attachments
