from odoo import models
from odoo.addons.crm_clients.models.crm_client_registry import registry_settings_fields

from .crm_client_registry_brreg import CrmClientRegistryBrreg


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    (
        crm_clients_brreg_url,
        crm_clients_brreg_cache_hours,
        crm_clients_brreg_requests_per_second,
    ) = registry_settings_fields(CrmClientRegistryBrreg, "Brønnøysund")
