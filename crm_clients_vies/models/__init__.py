from . import crm_client_registry_vies
from . import crm_client_registry_wizard
from . import res_config_settings
from . import res_partner
