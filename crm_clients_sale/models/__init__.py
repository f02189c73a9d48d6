from . import crm_client_add
from . import res_partner
from . import sale_order
