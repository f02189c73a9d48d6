from . import changes
from . import crm_clients
from . import resolve
