from . import crm_client_add
from . import sale_order
