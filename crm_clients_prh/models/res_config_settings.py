from odoo import models
from odoo.addons.crm_clients.models.crm_client_registry import registry_settings_fields

from .crm_client_registry_prh import CrmClientRegistryPrh


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    (
        crm_clients_prh_url,
        crm_clients_prh_cache_hours,
        crm_clients_prh_requests_per_second,
    ) = registry_settings_fields(CrmClientRegistryPrh, "PRH")
