from odoo import models


class Contact(models.AbstractModel):
    _inherit = "ir.qweb.field.contact"

    def value_to_html(self, value, options):
        # Documents print the client's registered legal name when it has one.
        if value:
            value = value.with_context(crm_clients_legal_name=True)
        return super().value_to_html(value, options)
