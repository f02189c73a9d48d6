from odoo import models

from ..tools.internal import switch_on
from .res_partner_duplicates import IMPORT_TEST


class BaseImport(models.TransientModel):
    _inherit = "base_import.import"

    def execute_import(self, fields, columns, options, dryrun=False):
        """The import dialog's Test of clients also tells the rows that look like existing
        clients (res.partner.load): only then, since any message stops a real import
        between two batches."""
        wizard = self.with_context(**switch_on(IMPORT_TEST)) if dryrun and self.res_model == "res.partner" else self
        return super(BaseImport, wizard).execute_import(fields, columns, options, dryrun=dryrun)
