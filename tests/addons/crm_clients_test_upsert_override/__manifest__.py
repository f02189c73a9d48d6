{
    "name": "crm_clients: an override of client_upsert (tests only)",
    "version": "18.0.1.0.0",
    "summary": "An integrator's addon overriding client_upsert and calling super(), for the end-to-end tests.",
    "author": "crm_clients",
    "license": "LGPL-3",
    "category": "Hidden/Tests",
    "depends": ["crm_clients"],
    "installable": True,
}
