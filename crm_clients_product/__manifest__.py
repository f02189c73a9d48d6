{
    "name": "CRM Clients: pricelists of client groups",
    "summary": "Bridge: a client group's pricelist (and so currency) for its clients without their own",
    "version": "18.0.1.0.0",
    "category": "Hidden",
    "author": "crm_clients contributors",
    "website": "https://github.com/crm-clients/crm_clients",
    "license": "LGPL-3",
    "depends": ["crm_clients", "product"],
    "data": ["views/crm_client_group_views.xml"],
    "auto_install": True,
    "installable": True,
}
