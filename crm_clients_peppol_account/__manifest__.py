{
    "name": "CRM Clients: PEPPOL status with Odoo's PEPPOL access point",
    "summary": "Bridge: Odoo's PEPPOL verification state follows crm_clients_peppol's NAPTR-aware checks",
    "version": "18.0.1.0.1",
    "development_status": "Beta",
    "category": "Hidden",
    "author": "crm_clients contributors",
    "maintainers": ["crm-clients"],
    "website": "https://github.com/crm-clients/crm_clients",
    "license": "LGPL-3",
    "depends": ["crm_clients_peppol", "account_peppol"],
    "auto_install": True,
    "installable": True,
}
