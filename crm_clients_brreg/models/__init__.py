from . import crm_client_registry_brreg
from . import res_config_settings
