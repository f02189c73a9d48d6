{
    "name": "CRM Clients: Sales bridge",
    "summary": "Quotations and orders of a client propose its default billing entity as invoice address",
    "version": "18.0.1.0.0",
    "category": "Hidden",
    "author": "crm_clients contributors",
    "website": "https://github.com/crm-clients/crm_clients",
    "license": "LGPL-3",
    "depends": ["crm_clients", "sale"],
    "data": ["views/sale_order_views.xml", "views/crm_client_add_views.xml", "views/res_partner_views.xml"],
    "auto_install": True,
    "installable": True,
}
