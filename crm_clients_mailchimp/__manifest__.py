{
    "name": "CRM Clients: Mailchimp",
    "summary": "Two-way sync of clients with a Mailchimp audience",
    "version": "18.0.1.0.0",
    "category": "Marketing",
    "author": "crm_clients contributors",
    "website": "https://github.com/crm-clients/crm_clients",
    "license": "LGPL-3",
    "depends": ["crm_clients"],
    "external_dependencies": {"python": ["requests"]},
    "data": [
        "security/ir.model.access.csv",
        "data/crm_clients_mailchimp_data.xml",
        "data/ir_actions_server_data.xml",
        "views/res_partner_views.xml",
        "views/res_config_settings_views.xml",
    ],
    "installable": True,
}
