from odoo import api, fields, models
from odoo.tools import SQL


class CrmClientIdDocument(models.Model):
    """A scan of a person's identity document. Kept apart from the partner's attachments:
    the scan is an attachment of this record, so Odoo's attachment rules give it to the
    ID documents group only (never the partner's Documents tab, chatter, boxes or portal)."""

    _name = "crm.client.id.document"
    _description = "Identity Document Scan"
    _order = "partner_id, id"

    partner_id = fields.Many2one("res.partner", string="Person", required=True, ondelete="cascade", index=True)
    document_type = fields.Selection(
        [
            ("id_card", "ID Card"),
            ("passport", "Passport"),
            ("driving_licence", "Driving Licence"),
            ("residence_permit", "Residence Permit"),
            ("other", "Other"),
        ],
        string="Document Type",
        default="id_card",
        required=True,
    )
    number = fields.Char(string="Document Number")
    expiry_date = fields.Date(string="Valid Until")
    scan = fields.Binary(attachment=True)  # required in the form; an upgrade links existing scans later
    scan_name = fields.Char(string="File Name")
    note = fields.Char()

    @api.depends("document_type", "number")
    def _compute_display_name(self):
        labels = dict(self._fields["document_type"]._description_selection(self.env))
        for document in self:
            document.display_name = " ".join(filter(None, (labels.get(document.document_type), document.number)))

    @api.model
    def _migrate_attachments(self, table):
        """Scans kept by earlier versions as attachments of the partner (a partner /
        attachment link table): each becomes a document whose scan is that attachment,
        no longer an attachment of the partner. Run by the upgrade to 18.0.1.1.0."""
        cr = self.env.cr
        cr.execute(
            SQL("SELECT partner_id, attachment_id FROM %s ORDER BY partner_id, attachment_id", SQL.identifier(table))
        )
        moved = set()
        for partner_id, attachment_id in cr.fetchall():
            attachment = self.env["ir.attachment"].sudo().browse(attachment_id).exists()
            if not attachment or not self.env["res.partner"].browse(partner_id).exists():
                continue
            document = self.sudo().create(
                {"partner_id": partner_id, "document_type": "other", "scan_name": attachment.name}
            )
            if attachment_id in moved:  # linked to several persons: each gets its own copy
                attachment = attachment.copy()
            cr.execute(
                SQL(
                    """UPDATE ir_attachment SET res_model = %s, res_id = %s, res_field = 'scan', public = FALSE
                        WHERE id = %s""",
                    self._name,
                    document.id,
                    attachment.id,
                )
            )
            moved.add(attachment_id)
        self.env.invalidate_all()
        return len(moved)
