from . import crm_clients
