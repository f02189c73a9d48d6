from odoo import models

# crm_clients_peppol's result -> account_peppol's verification state
_STATES = {"not_registered": "not_valid", "invalid": "not_valid"}


class ResPartner(models.Model):
    """account_peppol (18.0) verifies partners with the legacy MD5/CNAME scheme, which the
    SML no longer answers. After each of our checks (U-NAPTR first) its verification state
    is brought in line with what we found; its own checks are left as they are."""

    _inherit = "res.partner"

    def _peppol_store(self, result, zone, now):
        res = super()._peppol_store(result, zone, now)
        if result.status == "registered":
            state = "valid" if result.can_receive_invoice else "not_valid_format"
        else:
            state = _STATES.get(result.status)  # an error leaves core's state as it was
        if state and self.peppol_verification_state != state:
            old = self.peppol_verification_state
            self.peppol_verification_state = state
            self._log_verification_state_update(self.env.company, old, state)
        return res
