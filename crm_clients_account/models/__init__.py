from . import account_move
from . import account_move_send
from . import crm_client_add
from . import crm_client_group
from . import res_partner
from . import res_partner_financials
