from . import crm_client_status
from . import ir_qweb_fields
from . import res_company
from . import res_config_settings
from . import res_partner
from . import res_users
