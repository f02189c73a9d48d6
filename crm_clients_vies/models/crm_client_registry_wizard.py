from odoo import models


class CrmClientRegistryWizard(models.TransientModel):
    _inherit = "crm.client.registry.wizard"

    def action_lookup(self):
        """A VIES check left pending has nothing to compare: say so and close."""
        action = super().action_lookup()
        partner = self.partner_id
        if self.provider != "crm.client.registry.vies" or partner.vies_status != "pending":
            return action
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "message": self.env._(
                    "%(error)s The check of %(partner)s is pending: it will be retried automatically.",
                    error=partner.vies_error,
                    partner=partner.display_name,
                ),
                "type": "warning",
                "sticky": True,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
