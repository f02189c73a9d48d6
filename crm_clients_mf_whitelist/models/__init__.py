from . import crm_client_registry_mf_whitelist
