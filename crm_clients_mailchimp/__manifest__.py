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
    "data": [],
    "installable": True,
}
