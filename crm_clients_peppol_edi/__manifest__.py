{
    "name": "CRM Clients: PEPPOL status with Odoo's e-invoicing",
    "summary": "Bridge: Odoo's PEPPOL identifier rules first, then crm_clients_peppol's derivation",
    "version": "18.0.1.0.1",
    "development_status": "Beta",
    "category": "Hidden",
    "author": "crm_clients contributors",
    "maintainers": ["crm-clients"],
    "website": "https://github.com/crm-clients/crm_clients",
    "license": "LGPL-3",
    "depends": ["crm_clients_peppol", "account_edi_ubl_cii"],
    "auto_install": True,
    "installable": True,
}
