from . import crm_client_registry_vies
from . import res_config_settings
