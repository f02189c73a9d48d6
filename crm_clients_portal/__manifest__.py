{
    "name": "CRM Clients: Portal",
    "summary": "Shared client documents on the portal, self-registration creating a client",
    "version": "18.0.1.0.0",
    "category": "Hidden",
    "author": "crm_clients contributors",
    "website": "https://github.com/crm-clients/crm_clients",
    "license": "LGPL-3",
    "depends": ["crm_clients", "portal", "auth_signup"],
    "data": ["data/utm_source_data.xml", "views/portal_templates.xml"],
    "auto_install": True,
    "installable": True,
}
