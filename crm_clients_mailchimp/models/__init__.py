from . import crm_client_mailchimp_audience
from . import crm_client_mailchimp_sync
from . import res_config_settings
from . import res_partner
