from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    crm_clients_brreg_url = fields.Char(
        string="Brønnøysund API Address",
        config_parameter="crm_clients_brreg.url",
        help="Empty: https://data.brreg.no/enhetsregisteret/api",
    )
    crm_clients_brreg_cache_hours = fields.Integer(
        string="Keep Brønnøysund Answers (hours)", config_parameter="crm_clients_brreg.cache_hours", default=24
    )
    crm_clients_brreg_requests_per_second = fields.Integer(
        string="Brønnøysund Requests per Second", config_parameter="crm_clients_brreg.requests_per_second", default=5
    )
