from odoo import fields, models
from odoo.addons.crm_clients.models.crm_client_registry import registry_settings_fields

from .crm_client_registry_mf_whitelist import CrmClientRegistryMfWhitelist


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    (
        crm_clients_mf_whitelist_url,
        crm_clients_mf_whitelist_cache_hours,
        crm_clients_mf_whitelist_requests_per_second,
    ) = registry_settings_fields(CrmClientRegistryMfWhitelist, "White List")
    crm_clients_mf_whitelist_flat_file_url = fields.Char(
        string="Flat File Address",
        config_parameter="crm_clients_mf_whitelist.flat_file_url",
        help="{date} stands for the day as YYYYMMDD. Empty: https://plikplaski.mf.gov.pl/pliki/{date}.7z "
        "(a 7z archive of the JSON document; a plain JSON document is read too).",
    )
    crm_clients_mf_whitelist_flat_file_days = fields.Integer(
        string="Keep Flat Files (days)", config_parameter="crm_clients_mf_whitelist.flat_file_days", default=3
    )
