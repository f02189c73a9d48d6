from odoo import fields, models


class IrAttachment(models.Model):
    _inherit = "ir.attachment"

    client_shared = fields.Boolean(
        "Shared with the Client",
        help="Listed on the portal for the client's portal users. Unshared documents are never reachable by them.",
    )
