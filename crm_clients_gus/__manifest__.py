{
    "name": "CRM Clients: GUS registry",
    "summary": "Fill and refresh clients from the Polish GUS registry (BIR 1.1)",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "author": "crm_clients contributors",
    "website": "https://github.com/crm-clients/crm_clients",
    "license": "LGPL-3",
    "depends": ["crm_clients"],
    "external_dependencies": {"python": ["zeep"]},
    "data": [],
    "installable": True,
}
