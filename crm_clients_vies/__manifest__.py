{
    "name": "CRM Clients: EU VIES",
    "summary": "Check clients' EU VAT numbers in VIES and update name and address from it",
    "version": "18.0.1.1.0",
    "category": "Sales/CRM",
    "author": "crm_clients contributors",
    "website": "https://github.com/crm-clients/crm_clients",
    "license": "LGPL-3",
    "depends": ["crm_clients"],
    "external_dependencies": {"python": ["zeep"]},
    "data": [
        "views/res_config_settings_views.xml",
        "data/ir_actions_server_data.xml",
        "data/ir_cron_data.xml",
        "views/res_partner_views.xml",
    ],
    "installable": True,
}
