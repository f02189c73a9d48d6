from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    crm_clients_vies_url = fields.Char(
        string="VIES Service Address",
        config_parameter="crm_clients_vies.url",
        help="Empty: https://ec.europa.eu/taxation_customs/vies/services/checkVatService",
    )
    crm_clients_vies_wsdl_url = fields.Char(
        string="VIES WSDL Address",
        config_parameter="crm_clients_vies.wsdl_url",
        help="Empty: https://ec.europa.eu/taxation_customs/vies/checkVatService.wsdl",
    )
    crm_clients_vies_cache_hours = fields.Integer(
        string="Keep VIES Answers (hours)", config_parameter="crm_clients_vies.cache_hours", default=24
    )
    crm_clients_vies_requests_per_second = fields.Integer(
        string="VIES Requests per Second", config_parameter="crm_clients_vies.requests_per_second", default=5
    )
