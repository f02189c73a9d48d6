from odoo import fields, models
from odoo.addons.crm_clients.models.crm_client_registry import registry_settings_fields

from .crm_client_registry_gus import CrmClientRegistryGus


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    crm_clients_gus_api_key = fields.Char(
        string="GUS API Key",
        config_parameter="crm_clients_gus.api_key",
        help="The key GUS sent you for the production registry. Empty on the test environment: "
        "the public test key is used.",
    )
    crm_clients_gus_environment = fields.Selection(
        [("test", "Test"), ("production", "Production")],
        string="GUS Environment",
        config_parameter="crm_clients_gus.environment",
        default="test",
    )
    (
        crm_clients_gus_url,
        crm_clients_gus_cache_hours,
        crm_clients_gus_requests_per_second,
    ) = registry_settings_fields(
        CrmClientRegistryGus,
        "GUS",
        url_string="GUS Service Address",
        url_help="Overrides the address of the BIR 1.1 service (a proxy, a stand-in); "
        "the WSDL is read from its wsdl/ folder.",
    )
    crm_clients_gus_refresh_days = fields.Integer(
        string="Refresh Clients Every (days)", config_parameter="crm_clients_gus.refresh_days", default=30
    )
