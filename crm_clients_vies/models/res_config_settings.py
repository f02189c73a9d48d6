from odoo import fields, models
from odoo.addons.crm_clients.models.crm_client_registry import registry_settings_fields

from ..tools import vies
from .crm_client_registry_vies import CrmClientRegistryVies


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    (
        crm_clients_vies_url,
        crm_clients_vies_cache_hours,
        crm_clients_vies_requests_per_second,
    ) = registry_settings_fields(CrmClientRegistryVies, "VIES", url_string="VIES Service Address")
    crm_clients_vies_wsdl_url = fields.Char(
        string="VIES WSDL Address", config_parameter="crm_clients_vies.wsdl_url", help=f"Empty: {vies.WSDL_URL}"
    )
