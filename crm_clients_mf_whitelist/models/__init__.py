from . import crm_client_registry_mf_whitelist
from . import res_config_settings
