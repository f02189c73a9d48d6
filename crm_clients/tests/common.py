from odoo.tests import TransactionCase, new_test_user

# Valid identifiers (official checksums), used across the tests.
NIP = "5261040828"
NIP_2 = "7740001454"
REGON_9 = "012100784"
REGON_14 = "12345678512347"
PESEL = "44051401359"
KRS = "0000028860"


class CrmClientsCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Partner = cls.env["res.partner"]
        cls.Status = cls.env["crm.client.status"]
        cls.status_new = cls.env.ref("crm_clients.client_status_new")
        cls.status_active = cls.env.ref("crm_clients.client_status_active")
        cls.status_vip = cls.env.ref("crm_clients.client_status_vip")
        cls.status_inactive = cls.env.ref("crm_clients.client_status_inactive")
        cls.poland = cls.env.ref("base.pl")
        cls.belgium = cls.env.ref("base.be")
        cls.client_user = new_test_user(
            cls.env, login="crm_client_user", groups="base.group_user,crm_clients.group_client_user"
        )
        cls.client_manager = new_test_user(
            cls.env, login="crm_client_manager", groups="base.group_user,crm_clients.group_client_manager"
        )
        cls.employee = new_test_user(cls.env, login="crm_plain_employee", groups="base.group_user")

    @classmethod
    def create_client(cls, **vals):
        vals.setdefault("name", "Client")
        vals.setdefault("is_company", True)
        return cls.env["res.partner"].create(vals)


def serve_registry(case, standin, prefix, path="", **settings):
    """Start ``standin`` for the test class ``case`` (stopped after it) and point the
    registry's system parameters ``<prefix>.*`` at it: ``url`` (the stand-in's address and
    ``path``), no pacing (``requests_per_second`` 0), then ``settings``."""
    standin.start()
    case.addClassCleanup(standin.stop)
    params = case.env["ir.config_parameter"].sudo()
    for key, value in {"url": standin.url + path, "requests_per_second": "0", **settings}.items():
        params.set_param(f"{prefix}.{key}", value)
    return standin
