from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    crm_clients_mf_whitelist_url = fields.Char(
        string="White List API Address",
        config_parameter="crm_clients_mf_whitelist.url",
        help="Empty: https://wl-api.mf.gov.pl",
    )
    crm_clients_mf_whitelist_cache_hours = fields.Integer(
        string="Keep White List Answers (hours)", config_parameter="crm_clients_mf_whitelist.cache_hours", default=12
    )
    crm_clients_mf_whitelist_requests_per_second = fields.Integer(
        string="White List Requests per Second",
        config_parameter="crm_clients_mf_whitelist.requests_per_second",
        default=2,
    )
    crm_clients_mf_whitelist_flat_file_url = fields.Char(
        string="Flat File Address",
        config_parameter="crm_clients_mf_whitelist.flat_file_url",
        help="{date} stands for the day as YYYYMMDD. Empty: https://plikplaski.mf.gov.pl/pliki/{date}.7z "
        "(a 7z archive of the JSON document; a plain JSON document is read too).",
    )
    crm_clients_mf_whitelist_flat_file_days = fields.Integer(
        string="Keep Flat Files (days)", config_parameter="crm_clients_mf_whitelist.flat_file_days", default=3
    )
