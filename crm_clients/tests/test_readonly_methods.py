"""Which of our methods and routes run on a read-only replica (README, "Primary and replicas").

With ``--db_replica_host``, Odoo 18 sends a web-client call (``/web/dataset/call_kw``,
``call_button``) to the replica when the method is marked ``@api.readonly`` in any of its
overrides, and an HTTP request there when its route says ``readonly=True``; XML-RPC and
``/jsonrpc`` always run on the primary. A marked method that writes fails on the replica
(Odoo then replays the whole request on the primary: twice the work); an unmarked one
that only reads loads the primary for nothing.

This test lists every public method of our models (no leading underscore, not
``@api.private``: what RPC can call) and every route of our controllers, and checks each
against what it does:

- a method in READ_ONLY must be marked, and it is run with representative arguments in a
  read-only transaction (``SET TRANSACTION READ ONLY``: what a replica allows): it must
  neither be refused a write nor send a writing statement;
- an unmarked method must be in WRITES (what it writes) or KEPT_ON_PRIMARY (why it stays
  on the primary although it only reads); a method in none of the lists is reported;
  WRITES entries with a probe are run the same way and must try to write;
- a method whose name core defines (``create``, ``write``, ``default_get``...) keeps
  core's marking: other addons' overrides of it may write;
- core's read-only methods (search, read, read_group, name_search, get_views) run our
  searches, computes and view hooks: they are run the same way.

A read-only transaction is stricter than nothing and looser than a hot standby in one
respect (a standby also refuses ``pg_current_xact_id()``): tests/test_replica.py runs the
read paths on a real streaming replica.
"""

import re
from contextlib import contextmanager

import psycopg2.errors

from odoo import api
from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from .common import NIP
from .common import CrmClientsCase

OURS = "odoo.addons.crm_clients"

# Statements a replica refuses. The read-only transaction refuses them too; this catches
# a refusal that the code swallowed (a savepoint rolled back, an error returned as data).
_WRITE_STATEMENT = re.compile(
    r"\b(?:INSERT\s+INTO|UPDATE\s+\S+\s+SET|DELETE\s+FROM|MERGE\s+INTO|TRUNCATE|COPY|CREATE|DROP|ALTER|LOCK\s+TABLE|"
    r"FOR\s+(?:NO\s+KEY\s+)?UPDATE|FOR\s+(?:KEY\s+)?SHARE)\b|\bnextval\s*\(",
    re.IGNORECASE,
)


def _probe(args=(), kwargs=None, context=None, refused=None):
    """How to call a method: positional ``args`` (record ids first for record methods),
    ``kwargs``, a ``context``; ``refused``: an exception class the call may answer
    instead (it must still not write)."""
    kwargs = dict(kwargs or {}, context=context) if context else kwargs or {}
    return {"args": list(args), "kwargs": kwargs, "refused": refused}


def _box_probe(case):
    boxes = case.env["res.partner"].browse(case.client.id)
    key = next(
        (key for key in ("invoice", "sale_order", "opportunity", "project") if boxes._client_box_available(key)), None
    )
    if key is None:  # no module with boxes installed: the refusal must not write either
        return _probe([case.client.ids], context={"client_box": "invoice"}, refused=UserError)
    return _probe([case.client.ids], context={"client_box": key})


# Marked @api.readonly: the web client's calls run on the replica.
READ_ONLY = {
    ("res.partner", "client_merge_preview"): lambda c: _probe([c.twins[1:].ids, c.twins[0].id]),
    # The names are normalized once in a materialized CTE (no temporary table).
    ("res.partner", "client_find_duplicates"): lambda c: _probe([[("id", "in", c.twins.ids)]]),
    ("res.partner", "client_timeline_read"): lambda c: _probe([c.client.ids], {"limit": 10}),
    ("res.partner", "client_changes"): lambda c: _probe([], {"cursor": False, "limit": 10}),
    ("res.partner", "client_resolve"): lambda c: _probe([[c.client.id, 2_000_000_000]]),
    # Buttons that open a list or a form (core marks mail.activity's action_open_document).
    ("res.partner", "action_client_timeline"): lambda c: _probe([c.client.ids]),
    ("res.partner", "action_client_box"): _box_probe,
    ("res.partner", "action_view_client_contacts"): lambda c: _probe([c.client.ids]),
    ("res.partner", "action_view_client_activities"): lambda c: _probe([c.client.ids]),
    ("res.partner", "action_view_client_documents"): lambda c: _probe([c.client.ids]),
    ("res.partner", "action_view_client_emails"): lambda c: _probe([c.client.ids]),
    ("res.partner", "action_view_client_relations"): lambda c: _probe([c.client.ids]),
    ("res.partner", "action_client_generate_document"): lambda c: _probe([c.client.ids]),
    ("res.partner", "action_view_client_merges"): lambda c: _probe([c.client.ids]),
    ("crm.client.group", "action_view_clients"): lambda c: _probe([c.group.ids]),
    ("crm.client.merge", "action_open_target"): lambda c: _probe([c.merge.ids]),
    ("crm.client.timeline", "action_open_document"): lambda c: _probe([c.timeline_entry.ids]),
}

# Unmarked: they write (a probe, when given, shows they try to).
WRITES = {
    # Clients and their lines.
    ("res.partner", "client_upsert"): lambda c: _probe([[{"external_ref": "RO-PROBE-NEW", "name": "Probe"}]]),
    ("res.partner", "client_merge"): lambda c: _probe([c.twins[1:].ids, c.twins[0].id]),
    ("res.partner", "client_merge_undo"): None,  # puts a merge back
    ("crm.client.merge", "action_undo"): None,
    ("res.partner", "action_client_make_headquarters"): lambda c: _probe([c.address.ids]),
    ("crm.client.channel.mixin", "action_lock"): None,  # as on its two models below
    ("crm.client.channel.mixin", "action_unlock"): None,
    ("crm.client.email", "action_lock"): lambda c: _probe([c.email_line.ids]),
    ("crm.client.email", "action_unlock"): lambda c: _probe([c.locked_email.ids]),
    ("crm.client.phone", "action_lock"): lambda c: _probe([c.phone_line.ids]),
    ("crm.client.phone", "action_unlock"): lambda c: _probe([c.locked_phone.ids]),
    ("crm.client.data.quality", "action_refresh"): lambda c: _probe([[]]),
    ("res.partner", "client_mark_not_duplicate"): lambda c: _probe([c.twins.ids]),
    ("res.partner", "client_merge_duplicates"): lambda c: _probe([[c.twins.ids]]),  # a background run
    ("crm.client.duplicate.run", "action_retry_failed"): None,  # its failed groups wait again
    ("crm.client.duplicate.group", "action_merge_background"): None,  # a run, then removes the groups
    ("crm.client.duplicate.group", "action_not_duplicate"): None,  # marks the pairs
    # Buttons that create their wizard's record.
    ("res.partner", "action_client_add"): lambda c: _probe([c.client.ids]),
    ("res.partner", "action_registry_lookup"): None,  # creates the compare-and-choose wizard (needs a registry)
    ("res.partner", "action_gus_fetch"): None,  # the same, for GUS
    # Public registries: answers are stored in the shared cache (crm.client.registry's
    # _registry_cached). Marked, a cache miss would call the registry from the replica,
    # fail to store the answer, and Odoo would replay the request on the primary: a
    # second call to the registry, the quota spent twice. They stay on the primary until
    # the cache is written through a read-write cursor (see the README).
    ("res.partner", "registry_search"): None,
    ("res.partner", "gus_search"): None,
    ("res.partner", "registry_update"): None,  # then writes the registry's values
    ("res.partner", "gus_update"): None,
    ("res.partner", "action_gus_refresh"): None,
    ("res.partner", "action_peppol_check"): None,  # stores the participant's status
    ("res.partner", "action_mailchimp_sync"): None,  # stores the member's status
    ("account.payment", "action_mf_whitelist_check"): None,  # keeps the white-list proof on the payment
    ("account.payment.register", "action_mf_whitelist_check"): None,
    ("crm.client.whitelist.file", "action_load_today"): None,  # loads the day's flat file
    ("res.config.settings", "action_crm_clients_mailchimp_test"): None,  # saves the settings, stores audiences
    ("res.config.settings", "action_crm_clients_mailchimp_register_webhook"): None,
    # Wizards' actions.
    ("crm.client.merge.wizard", "action_merge"): None,
    ("crm.client.registry.wizard", "action_apply"): None,
    ("crm.client.registry.wizard", "action_compare"): None,  # fills the wizard's lines
    ("crm.client.registry.wizard", "action_lookup"): None,
    ("crm.client.document.generate", "action_generate"): None,  # an attachment and a message
    ("crm.client.duplicate.group", "action_find"): None,  # replaces the user's groups
}

# Unmarked although they only read: each runs on a wizard's record (a TransientModel)
# that the request before created on the primary; core marks no wizard button either.
KEPT_ON_PRIMARY = {
    ("res.config.settings", "action_crm_client_open_sequence"),
    ("crm.client.document.generate", "action_new_template"),
    ("crm.client.duplicate.group", "action_merge"),
    *(
        ("crm.client.add", f"action_add_{entry}")
        for entry in (
            "activity call contact document email event invoice note opportunity order project quotation "
            "relation task timesheet"
        ).split()
    ),
}

# Our routes: readonly=True runs them on the replica.
ROUTES = {
    "/crm_clients/api/v1/clients/upsert": False,  # upserts clients
    "/crm_clients/api/v1/clients/changes": True,
    "/crm_clients/api/v1/clients/resolve": True,
    "/crm_clients/api/v1/openapi.json": True,
    "/crm_clients_mailchimp/webhook/<string:token>": False,  # applies Mailchimp's events
    "/my/documents": True,
    "/my/documents/<int:document_id>": True,
}


def _is_readonly(model, name):
    """Whether Odoo's web client sends ``name`` to the replica: the first override in the
    model's classes that says so (``@api.readonly`` sets ``_readonly``)."""
    for cls in type(model).mro():
        method = vars(cls).get(name)
        if method is not None and hasattr(method, "_readonly"):
            return method._readonly
    return False


def _public_methods(env):
    """{(model, name): overrides core} for every method of ours RPC can call."""
    found = {}
    for model_name in env.registry:
        classes = type(env[model_name]).mro()
        for cls in classes:
            if not cls.__module__.startswith(OURS):
                continue
            for name, member in vars(cls).items():
                if name.startswith("_") or not callable(member) or isinstance(member, type):
                    continue
                definitions = [klass for klass in classes if name in vars(klass)]
                if any(getattr(vars(klass)[name], "_api_private", False) for klass in definitions):
                    continue
                found[model_name, name] = any(not klass.__module__.startswith(OURS) for klass in definitions)
    return found


@tagged("post_install", "-at_install")
class TestReadOnlyMethods(CrmClientsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = new_test_user(
            cls.env,
            login="crm_replica_probe",
            groups="base.group_user,base.group_partner_manager,crm_clients.group_client_manager,"
            "crm_clients.group_client_lock_manager",
        )
        cls.user.groups_id |= cls.env.ref("base.user_admin").groups_id  # reads every field of a partner
        cls.client = cls.create_client(
            name="Replica Probe Sp. z o.o.", vat=NIP, country_id=cls.poland.id, email="probe@replica.example"
        )
        cls.client.phone = "+48 22 100 20 30"
        cls.client.message_post(body="A note for the timeline", message_type="comment", subtype_xmlid="mail.mt_note")
        cls.contact = cls.Partner.create({"name": "Paula Probe", "parent_id": cls.client.id})
        cls.address = cls.Partner.create(
            {"name": "Warehouse", "parent_id": cls.client.id, "type": "delivery", "street": "Magazynowa 1"}
        )
        cls.twins = cls.create_client(name="Replica Twin", email="twin@replica.example") | cls.create_client(
            name="REPLICA TWIN", email="twin@replica.example"
        )
        cls.email_line = cls.client.email_ids[:1]
        cls.phone_line = cls.client.phone_ids[:1]
        cls.locked_email = cls.env["crm.client.email"].create(
            {"partner_id": cls.client.id, "email": "locked@replica.example", "locked": True}
        )
        cls.locked_phone = cls.env["crm.client.phone"].create(
            {"partner_id": cls.client.id, "number": "+48 22 100 20 99", "locked": True}
        )
        cls.group = cls.env["crm.client.group"].create({"name": "Replica probes"})
        cls.env.flush_all()  # the timeline is a view of the messages
        cls.timeline_entry = cls.env["crm.client.timeline"].search([("client_id", "=", cls.client.id)], limit=1)
        kept, merged = cls.create_client(name="Replica Kept") | cls.create_client(name="Replica Merged")
        cls.merge = cls.env["crm.client.merge"].browse(cls.Partner.client_merge([merged.id], kept.id)["merge_id"])
        assert cls.email_line and cls.phone_line and cls.timeline_entry and cls.merge

    @contextmanager
    def read_only(self):
        """A read-only transaction (what a replica allows), rolled back after; yields the
        statements sent, and the ones refused come up as ReadOnlySqlTransaction."""
        self.env.flush_all()
        savepoint = self.env.cr.savepoint()
        try:
            self.env.cr.execute("SET TRANSACTION READ ONLY")
            with contextmanager(self._patchExecute)([], flush=False) as statements:
                yield statements
        finally:
            savepoint.close(rollback=True)
            self.env.invalidate_all(flush=False)

    def run_probe(self, model_name, name, probe):
        """(statements that write, the exception raised or None) of one call made the way
        RPC makes it, in a read-only transaction."""
        model = self.env[model_name].with_user(self.user)
        error = None
        with self.read_only() as statements:
            try:
                api.call_kw(model, name, probe["args"], probe["kwargs"])
                self.env.flush_all()
            except Exception as exc:  # noqa: BLE001 - classified below
                error = exc
        writes = [str(sql) for sql in statements if _WRITE_STATEMENT.search(str(sql))]
        return writes, error

    @staticmethod
    def refused_a_write(error):
        while error is not None:
            if isinstance(error, psycopg2.errors.ReadOnlySqlTransaction | psycopg2.errors.InFailedSqlTransaction):
                return True
            error = error.__cause__ or error.__context__
        return False

    def test_every_public_method_is_classified_and_marked_accordingly(self):
        problems = []
        for (model_name, name), overrides_core in sorted(_public_methods(self.env).items()):
            marked = _is_readonly(self.env[model_name], name)
            key = (model_name, name)
            if overrides_core:
                # Core's marking stands: whoever else overrides it may write.
                core = [
                    klass
                    for klass in type(self.env[model_name]).mro()
                    if name in vars(klass) and not klass.__module__.startswith(OURS)
                ]
                core_marked = any(getattr(vars(klass)[name], "_readonly", False) for klass in core)
                if marked != core_marked:
                    problems.append(f"{model_name}.{name} overrides core's: keep core's marking ({core_marked})")
            elif key in READ_ONLY:
                if not marked:
                    problems.append(f"{model_name}.{name} only reads: mark it @api.readonly")
            elif key in WRITES or key in KEPT_ON_PRIMARY:
                if marked:
                    problems.append(
                        f"{model_name}.{name} is marked @api.readonly but is listed as staying on the primary"
                    )
            else:
                problems.append(
                    f"{model_name}.{name} is not classified: mark it @api.readonly and add it to READ_ONLY if it "
                    "only reads, else add it to WRITES (what it writes) or KEPT_ON_PRIMARY (why)"
                )
        self.assertFalse(problems, "\n".join(problems))

    def test_read_only_methods_do_not_write(self):
        present = _public_methods(self.env)
        problems, ran = [], 0
        for (model_name, name), make_probe in READ_ONLY.items():
            if (model_name, name) not in present:
                continue  # its addon is not installed, or the method does not exist yet
            if make_probe is None:
                continue
            probe = make_probe(self)
            writes, error = self.run_probe(model_name, name, probe)
            if self.refused_a_write(error):
                problems.append(f"{model_name}.{name} tried to write: {error}")
            elif writes:
                problems.append(f"{model_name}.{name} sent statements a replica refuses: {writes}")
            elif error is not None and not isinstance(error, probe["refused"] or ()):
                problems.append(f"{model_name}.{name} failed: {error!r}")
            ran += 1
        self.assertFalse(problems, "\n".join(problems))
        self.assertGreaterEqual(ran, 10)

    def test_probed_writers_do_try_to_write(self):
        present = _public_methods(self.env)
        problems, ran = [], 0
        for (model_name, name), make_probe in WRITES.items():
            if make_probe is None or (model_name, name) not in present:
                continue
            writes, error = self.run_probe(model_name, name, make_probe(self))
            if not (writes or self.refused_a_write(error)):
                problems.append(f"{model_name}.{name} wrote nothing in a read-only transaction ({error!r})")
            ran += 1
        self.assertFalse(problems, "\n".join(problems))
        self.assertGreaterEqual(ran, 8)

    def test_core_read_methods_run_our_code_read_only(self):
        """Core sends search, read, read_group, name_search and get_views to the replica:
        our searches on normalized identifiers, our computed fields (the boxes' counts,
        the timeline's activities...), the status columns and the form's buttons run
        there."""
        form = self.env.ref("crm_clients.view_partner_form_crm_client")
        readable = self.Partner.with_user(self.user).fields_get(attributes=["type"])
        partner_fields = [name for name, description in readable.items() if description["type"] != "binary"]
        calls = [
            ("res.partner", "search", [[("vat", "=", "PL 526-104-08-28")]], {}),
            ("res.partner", "search", [[("phone", "ilike", "22 100 20 30")]], {}),
            ("res.partner", "search", [[("email", "=", "PROBE@replica.example")]], {}),
            ("res.partner", "search", [[("client_related_partner_id", "=", self.client.id)]], {}),
            ("res.partner", "search", [[("client_discount", ">", 1.0)]], {}),
            ("res.partner", "search_count", [[("registry_ended", "=", True)]], {}),
            ("res.partner", "name_search", ["Replica Probe"], {}),
            ("res.partner", "read", [(self.client | self.contact | self.address).ids, partner_fields], {}),
            ("res.partner", "read_group", [[("is_client", "=", True)], ["client_status_id"], ["client_status_id"]], {}),
            ("res.partner", "get_views", [[(form.id, "form"), (False, "list"), (False, "kanban")]], {}),
            ("crm.client.timeline", "search_read", [[("client_id", "=", self.client.id)]], {}),
            ("crm.client.data.quality", "search_read", [[]], {"limit": 20}),
        ]
        problems = []
        for model_name, name, args, kwargs in calls:
            self.assertTrue(_is_readonly(self.env[model_name], name), f"core marks {name}")
            writes, error = self.run_probe(model_name, name, _probe(args, kwargs))
            if error is not None or writes:
                problems.append(f"{model_name}.{name}({str(args)[:60]}): {error!r} {writes}")
        self.assertFalse(problems, "\n".join(problems))

    def test_routes_are_marked_as_they_read_or_write(self):
        modules = sorted(self.env.registry._init_modules)
        found = {}
        for url, endpoint in self.env["ir.http"]._generate_routing_rules(modules, converters=None):
            if endpoint.func.__module__.startswith(OURS):
                found[url] = endpoint.routing["readonly"]
        self.assertTrue(
            set(found) <= set(ROUTES), f"routes not classified in ROUTES: {sorted(set(found) - set(ROUTES))}"
        )
        self.assertEqual(found, {url: ROUTES[url] for url in found})
        self.assertIn("/crm_clients/api/v1/clients/changes", found)
