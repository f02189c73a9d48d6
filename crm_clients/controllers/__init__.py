from . import changes
from . import crm_clients
