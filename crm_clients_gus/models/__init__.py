from . import crm_client_registry_gus
from . import res_config_settings
from . import res_partner
