{
    "name": "CRM Clients: GUS registry",
    "summary": "Fill and refresh clients from the Polish GUS registry (BIR 1.1)",
    "version": "18.0.1.1.0",
    "development_status": "Beta",
    "category": "Sales/CRM",
    "author": "crm_clients contributors",
    "maintainers": ["crm-clients"],
    "website": "https://github.com/crm-clients/crm_clients",
    "license": "LGPL-3",
    "depends": ["crm_clients"],
    "external_dependencies": {"python": ["requests", "zeep"]},
    "data": [
        "data/res_country_state_data.xml",
        "data/ir_cron_data.xml",
        "data/ir_actions_server_data.xml",
        "views/res_partner_views.xml",
        "views/res_config_settings_views.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "crm_clients_gus/static/tests/tours/**/*",
        ],
    },
    "images": ["static/description/registry_lookup.png", "static/description/settings.png"],
    "installable": True,
}
