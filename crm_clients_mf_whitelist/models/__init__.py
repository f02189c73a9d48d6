from . import crm_client_registry_mf_whitelist
from . import crm_client_whitelist_check
from . import crm_client_whitelist_file
from . import res_config_settings
from . import res_partner
