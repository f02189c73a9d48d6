from . import crm_client_registry_prh
