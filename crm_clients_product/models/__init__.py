from . import crm_client_group
