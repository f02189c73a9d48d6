{
    "name": "CRM Clients",
    "summary": "Turn contacts into complete client records: status board, stars, types, "
    "Polish tax IDs, client numbers and external references",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "author": "crm_clients contributors",
    "website": "https://github.com/crm-clients/crm_clients",
    "license": "LGPL-3",
    "depends": ["contacts", "mail", "utm", "phone_validation"],
    "external_dependencies": {"python": ["python-stdnum"]},
    "data": [
        "security/crm_clients_groups.xml",
        "security/ir.model.access.csv",
        "data/crm_client_status_data.xml",
        "data/crm_client_contact_role_data.xml",
        "data/crm_client_relation_type_data.xml",
        "data/ir_sequence_data.xml",
        "views/crm_client_status_views.xml",
        "views/crm_client_contact_role_views.xml",
        "views/crm_client_relation_views.xml",
        "views/res_partner_views.xml",
        "views/res_config_settings_views.xml",
        "views/crm_clients_menus.xml",
    ],
    "demo": [
        "demo/res_partner_category_demo.xml",
        "demo/res_users_demo.xml",
        "demo/res_partner_demo.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "crm_clients/static/tests/tours/**/*",
        ],
    },
    "post_init_hook": "post_init_hook",
    "application": True,
    "installable": True,
}
