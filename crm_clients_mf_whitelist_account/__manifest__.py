{
    "name": "CRM Clients: VAT white list for payments",
    "summary": "Bridge: warn when a vendor bill is paid to a bank account that is not on the Polish VAT white list",
    "version": "18.0.1.1.0",
    "category": "Hidden",
    "author": "crm_clients contributors",
    "website": "https://github.com/crm-clients/crm_clients",
    "license": "LGPL-3",
    "depends": ["crm_clients_mf_whitelist", "account"],
    "data": ["views/account_views.xml"],
    "auto_install": True,
    "installable": True,
}
