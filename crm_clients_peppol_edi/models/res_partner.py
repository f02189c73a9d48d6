from odoo import api, models


class ResPartner(models.Model):
    """Both addons define ``peppol_eas`` / ``peppol_endpoint``. Whatever their order in
    the class hierarchy, this bridge (after both) runs core's computation, then fills what
    it left empty with crm_clients_peppol's derivation (Norway without l10n_no, GLN...)."""

    _inherit = "res.partner"

    @api.depends(lambda self: [*self._peppol_eas_endpoint_depends(), "country_id", "barcode"])
    def _compute_peppol_eas(self):
        result = super()._compute_peppol_eas()
        self._peppol_fill_eas()
        return result

    @api.depends(lambda self: [*self._peppol_eas_endpoint_depends(), "country_id", "barcode", "peppol_eas"])
    def _compute_peppol_endpoint(self):
        result = super()._compute_peppol_endpoint()
        self._peppol_fill_endpoint()
        return result
