from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    crm_clients_prh_url = fields.Char(
        string="PRH API Address",
        config_parameter="crm_clients_prh.url",
        help="Empty: https://avoindata.prh.fi/opendata-ytj-api/v3",
    )
    crm_clients_prh_cache_hours = fields.Integer(
        string="Keep PRH Answers (hours)", config_parameter="crm_clients_prh.cache_hours", default=24
    )
    crm_clients_prh_requests_per_second = fields.Integer(
        string="PRH Requests per Second", config_parameter="crm_clients_prh.requests_per_second", default=2
    )
