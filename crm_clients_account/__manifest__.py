{
    "name": "CRM Clients: Invoicing bridge",
    "summary": "Glue between CRM Clients and Invoicing: client types from invoices, billing entities on invoices",
    "version": "18.0.1.0.0",
    "category": "Hidden",
    "author": "crm_clients contributors",
    "website": "https://github.com/crm-clients/crm_clients",
    "license": "LGPL-3",
    "depends": ["crm_clients", "account"],
    "data": ["views/crm_client_group_views.xml", "views/res_partner_views.xml", "views/crm_client_add_views.xml"],
    "auto_install": True,
    "installable": True,
}
