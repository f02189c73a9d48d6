{
    "name": "CRM Clients: PEPPOL status",
    "summary": "PEPPOL registration status of clients (SML/SMP lookup)",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "author": "crm_clients contributors",
    "website": "https://github.com/crm-clients/crm_clients",
    "license": "LGPL-3",
    "depends": ["crm_clients"],
    "external_dependencies": {"python": ["dnspython", "urllib3", "certifi"]},
    "data": [
        "data/ir_cron_data.xml",
        "data/ir_actions_server_data.xml",
        "views/res_partner_views.xml",
        "views/res_config_settings_views.xml",
    ],
    "installable": True,
}
