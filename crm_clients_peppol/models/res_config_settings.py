from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    crm_clients_peppol_sml_zone = fields.Selection(
        [("production", "Production"), ("test", "Test")],
        string="PEPPOL SML Zone",
        config_parameter="crm_clients_peppol.sml_zone",
        default="production",
    )
    crm_clients_peppol_dns_server = fields.Char(
        string="DNS Server",
        config_parameter="crm_clients_peppol.dns_server",
        help="host:port of the DNS resolver to ask for the SML and SMP host names (private networks, tests); "
        "empty: the system's resolvers.",
    )
    crm_clients_peppol_allow_private_networks = fields.Boolean(
        string="SMPs on Private Networks",
        config_parameter="crm_clients_peppol.allow_private_networks",
        help="Reach SMPs on loopback and private addresses (private networks, tests). Off by default.",
    )
    crm_clients_peppol_recheck_days = fields.Integer(
        string="Re-check After (days)", config_parameter="crm_clients_peppol.recheck_days", default=30
    )
