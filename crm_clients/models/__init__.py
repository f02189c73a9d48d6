from . import crm_client_status, ir_qweb_fields, res_company, res_config_settings, res_partner, res_users
