{
    "name": "CRM Clients: Polish VAT white list",
    "summary": "VAT status and registered bank accounts of Polish clients from the Ministry of Finance white list",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "author": "crm_clients contributors",
    "website": "https://github.com/crm-clients/crm_clients",
    "license": "LGPL-3",
    "depends": ["crm_clients"],
    "external_dependencies": {"python": ["requests"]},
    "data": ["views/res_config_settings_views.xml", "data/ir_actions_server_data.xml", "views/res_partner_views.xml"],
    "installable": True,
}
