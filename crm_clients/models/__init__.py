# isort: skip_file
# Import order is load order: relation types come before relations (SQL views join them).
from . import crm_client_channel_mixin
from . import crm_client_contact_role
from . import crm_client_document
from . import crm_client_email
from . import crm_client_group
from . import crm_client_id_document
from . import crm_client_external_ref_alias
from . import crm_client_phone
from . import crm_client_registry
from . import crm_client_relation_type
from . import crm_client_relation
from . import crm_client_status
from . import crm_client_timeline
from . import ir_qweb_fields
from . import res_company
from . import res_config_settings
from . import res_partner
from . import res_partner_boxes
from . import res_partner_duplicates
from . import res_partner_group
from . import res_partner_merge
from . import res_partner_properties
from . import res_partner_registry
from . import res_partner_timeline
from . import res_partner_upsert
from . import res_users
