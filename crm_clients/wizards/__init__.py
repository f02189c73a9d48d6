from . import base_partner_merge_automatic_wizard
from . import crm_client_add
from . import crm_client_document_generate
from . import crm_client_duplicate_group
from . import crm_client_merge_wizard
from . import crm_client_registry_wizard
from . import crm_client_registry_wizard_candidate
from . import crm_client_registry_wizard_line
