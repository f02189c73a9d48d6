from . import crm_client_registry_prh
from . import res_config_settings
