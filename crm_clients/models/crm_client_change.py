"""The change feed: every change of a client, for integrators (docs/API.md, "Change feed").

Writers: statement-level AFTER triggers (transition tables) on the partner table, the
email and phone lines, relations and the partner's tags, assigned users and contact
roles write one row per affected client per statement into ``crm_client_change``, in one
``INSERT ... SELECT``; they catch writes made in SQL too (merges move rows in SQL).

Readers: each row carries the id of the transaction that wrote it. A reader returns only
rows of transactions older than its snapshot's ``xmin``: every transaction below it has
finished, so no row can ever appear there later. Rows are given in (transaction id, row
id) order and the cursor is the last position read, so a row is never skipped although
transactions commit out of order, and never given twice. Reading only reads (it runs on
a read-only replica).
"""

import re

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

TABLE = "crm_client_change"
# Retention in days (system parameter; the scheduled action prunes older entries).
RETENTION_PARAM = "crm_clients.change_feed_retention_days"
DEFAULT_RETENTION_DAYS = 30
MAX_LIMIT = 10_000
# Rows pruned per batch of the scheduled action.
PRUNE_BATCH = 50_000
# The row left where the pruned entries were: readers before it missed some.
PRUNED = "pruned"
KINDS = ("created", "updated", "archived", "restored", "merged", "deleted")
# The relational fields a sub-record's change is reported on.
_OWN_FIELDS = {
    "child_ids",
    "billing_entity_ids",
    "email_ids",
    "phone_ids",
    "client_relation_ids",
    "category_id",
    "assigned_user_ids",
    "client_role_ids",
}
# Stored columns that say nothing about the client.
_TECHNICAL = {
    "write_date",
    "write_uid",
    "create_date",
    "create_uid",
    "message_main_attachment_id",
    "message_bounce",
    "calendar_last_notif_ack",
}
# A setting of the database session: 'off' while crm_clients installs.
FEED_SWITCH = "crm_clients.change_feed"
_FEED_OFF = f"IF current_setting('{FEED_SWITCH}', true) = 'off' THEN RETURN NULL; END IF;"
_CURSOR = re.compile(r"^(\d{1,19})\.(\d{1,19})$")

# Tables whose rows belong to a partner: (table, partner columns, field of the partner).
_SUB_TABLES = (
    ("crm_client_email", ("partner_id",), "email_ids"),
    ("crm_client_phone", ("partner_id",), "phone_ids"),
    ("crm_client_relation", ("left_partner_id", "right_partner_id"), "client_relation_ids"),
    ("res_partner_res_partner_category_rel", ("partner_id",), "category_id"),
    ("res_partner_crm_client_assigned_rel", ("partner_id",), "assigned_user_ids"),
    ("res_partner_crm_client_contact_role_rel", ("partner_id",), "client_role_ids"),
)
_EVENTS = ("insert", "update", "delete")


class ChangeFeedError(UserError):
    """A request the feed cannot answer; ``code`` names the reason for the HTTP API."""

    code = "invalid"


class ChangeCursorInvalid(ChangeFeedError):
    code = "invalid_cursor"


class ChangeCursorExpired(ChangeFeedError):
    code = "cursor_expired"


class ChangeLimitInvalid(ChangeFeedError):
    code = "invalid_limit"


class CrmClientChange(models.Model):
    """One row per change of a client, written by the database triggers below; read
    through ``res.partner.client_changes`` only (which applies the reader's rights)."""

    _name = "crm.client.change"
    _description = "Client Change (feed entry)"
    _table = TABLE
    _auto = False  # the table, its triggers and functions are made in init()
    _log_access = False
    _order = "xact, id"

    xact = fields.Integer(string="Transaction", readonly=True)
    partner_id = fields.Integer(string="Client ID", readonly=True)
    kind = fields.Selection([(kind, kind.capitalize()) for kind in (*KINDS, PRUNED)], readonly=True)
    into_id = fields.Integer(string="Merged Into ID", readonly=True)
    company_id = fields.Integer(string="Company ID", readonly=True)
    external_ref = fields.Char(readonly=True)
    at = fields.Datetime(readonly=True)

    def init(self):
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                CREATE TABLE IF NOT EXISTS %(table)s (
                    xact bigint NOT NULL,
                    id bigserial NOT NULL,
                    partner_id integer NOT NULL,
                    kind varchar NOT NULL,
                    fields varchar[],
                    into_id integer,
                    company_id integer,
                    external_ref varchar,
                    at timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
                    PRIMARY KEY (xact, id)
                );
                CREATE INDEX IF NOT EXISTS crm_client_change_gone
                    ON %(table)s (partner_id) WHERE kind IN ('merged', 'deleted');
                """,
                table=SQL.identifier(TABLE),
            )
        )
        self._feed_create_sql_objects()
        cr.execute("SELECT state FROM ir_module_module WHERE name = 'crm_clients'")
        if (cr.fetchone() or [None])[0] == "to install":
            # The feed starts once installed: integrators begin with a full read, and what
            # the install does to existing partners (lines, numbers) is not news.
            cr.execute("SELECT set_config(%s, 'off', true)", [FEED_SWITCH])  # for this transaction

    # ---- SQL objects ----

    @api.model
    def _feed_create_sql_objects(self):
        cr = self.env.cr
        cr.execute("SELECT current_setting('server_version_num')::int")
        if cr.fetchone()[0] >= 130000:
            xact = "pg_current_xact_id()::text::bigint"
            snapshot = (
                "pg_snapshot_xmin(s)::text::bigint, pg_snapshot_xmax(s)::text::bigint FROM pg_current_snapshot() s"
            )
        else:  # PostgreSQL 12
            xact = "txid_current()"
            snapshot = "txid_snapshot_xmin(s), txid_snapshot_xmax(s) FROM txid_current_snapshot() s"
        off = _FEED_OFF
        technical = "ARRAY[{}]::varchar[]".format(", ".join(f"'{name}'" for name in sorted(_TECHNICAL)))
        # DDL made of this file's constants only.
        cr.execute(  # pylint: disable=sql-injection
            f"""
            CREATE OR REPLACE FUNCTION crm_client_change_xact() RETURNS bigint
                LANGUAGE sql VOLATILE AS $$ SELECT {xact} $$;

            -- xmin: every transaction below it has finished; xmax: none at or above it has begun.
            CREATE OR REPLACE FUNCTION crm_client_change_snapshot(OUT xmin bigint, OUT xmax bigint)
                LANGUAGE sql STABLE AS $$ SELECT {snapshot} $$;

            -- The top-level partner (the client) above a partner; NULL when it is gone.
            CREATE OR REPLACE FUNCTION crm_client_change_top(partner integer) RETURNS integer
                LANGUAGE plpgsql STABLE STRICT AS $$
            DECLARE
                current_id integer := partner;
                parent integer;
            BEGIN
                FOR depth IN 1..32 LOOP
                    SELECT p.parent_id INTO parent FROM res_partner p WHERE p.id = current_id;
                    IF NOT FOUND THEN
                        RETURN NULL;
                    END IF;
                    IF parent IS NULL THEN
                        RETURN current_id;
                    END IF;
                    current_id := parent;
                END LOOP;
                RETURN NULL;
            END $$;

            -- "Field names[i] of partner partner_ids[i] changed": one 'updated' row per
            -- client, the fields of a contact or billing entity prefixed with the client's
            -- field that holds it (the reader keeps the prefix). A client created by this
            -- transaction already has its 'created' row: nothing more is said about it.
            CREATE OR REPLACE FUNCTION crm_client_change_touch(partner_ids integer[], names varchar[])
                RETURNS void LANGUAGE plpgsql AS $$
            DECLARE
                x bigint := crm_client_change_xact();
                now_utc timestamp := now() AT TIME ZONE 'UTC';
            BEGIN
                INSERT INTO {TABLE} (xact, partner_id, kind, fields)
                SELECT x, coalesce(t.id, p.id), 'updated',
                       array_agg(DISTINCT CASE WHEN p.parent_id IS NULL THEN u.name
                                               WHEN p.is_billing_entity THEN 'billing_entity_ids.' || u.name
                                               ELSE 'child_ids.' || u.name END)
                  FROM unnest(partner_ids, names) AS u(partner_id, name)
                  JOIN res_partner p ON p.id = u.partner_id
                  LEFT JOIN res_partner t ON p.parent_id IS NOT NULL AND t.id = crm_client_change_top(p.parent_id)
                 WHERE (p.parent_id IS NULL AND p.create_date IS DISTINCT FROM now_utc)
                    OR (p.parent_id IS NOT NULL AND t.id IS NOT NULL AND t.create_date IS DISTINCT FROM now_utc)
                 GROUP BY coalesce(t.id, p.id);
            END $$;

            -- The names of the columns that differ between two versions of a row.
            CREATE OR REPLACE FUNCTION crm_client_change_diff(new_row jsonb, old_row jsonb)
                RETURNS varchar[] LANGUAGE sql IMMUTABLE AS $$
                SELECT coalesce(array_agg(n.key ORDER BY n.key), '{{}}')::varchar[]
                  FROM jsonb_each(new_row) n JOIN jsonb_each(old_row) o ON o.key = n.key
                 WHERE n.value IS DISTINCT FROM o.value AND n.key <> ALL ({technical})
            $$;

            CREATE OR REPLACE FUNCTION crm_client_change_partner_insert() RETURNS trigger
                LANGUAGE plpgsql AS $$
            DECLARE
                x bigint;
                ids integer[];
                names varchar[];
            BEGIN
                {off}
                x := crm_client_change_xact();
                INSERT INTO {TABLE} (xact, partner_id, kind)
                SELECT x, n.id, 'created' FROM crm_feed_new n WHERE n.parent_id IS NULL;
                SELECT array_agg(n.parent_id),
                       array_agg(CASE WHEN n.is_billing_entity THEN 'billing_entity_ids' ELSE 'child_ids' END)
                  INTO ids, names
                  FROM crm_feed_new n WHERE n.parent_id IS NOT NULL;
                IF ids IS NOT NULL THEN
                    PERFORM crm_client_change_touch(ids, names);
                END IF;
                RETURN NULL;
            END $$;

            CREATE OR REPLACE FUNCTION crm_client_change_partner_update() RETURNS trigger
                LANGUAGE plpgsql AS $$
            DECLARE
                now_utc timestamp := now() AT TIME ZONE 'UTC';
                ids integer[];
                names varchar[];
            BEGIN
                {off}
                -- Clients created by this transaction already have their 'created' row:
                -- what the ORM writes right after creating them (computed fields) is no news.
                IF NOT EXISTS (
                    SELECT 1 FROM crm_feed_new n WHERE n.parent_id IS NOT NULL OR n.create_date IS DISTINCT FROM now_utc
                ) THEN
                    RETURN NULL;
                END IF;
                -- Clients (and partners that stop or start being one): their own row.
                INSERT INTO {TABLE} (xact, partner_id, kind, fields)
                SELECT crm_client_change_xact(), d.id,
                       CASE WHEN d.active IS NOT DISTINCT FROM d.old_active THEN 'updated'
                            WHEN d.active THEN 'restored' ELSE 'archived' END,
                       d.fields
                  FROM (
                    SELECT n.id, n.active, o.active AS old_active,
                           crm_client_change_diff(to_jsonb(n), to_jsonb(o)) AS fields
                      FROM crm_feed_new n JOIN crm_feed_old o ON o.id = n.id
                     WHERE (n.parent_id IS NULL OR o.parent_id IS NULL)
                       AND (n.create_date IS DISTINCT FROM now_utc OR n.active IS DISTINCT FROM o.active)
                  ) d
                 WHERE d.active IS DISTINCT FROM d.old_active OR cardinality(d.fields) > 0;
                -- Contacts and billing entities: a change of their client.
                SELECT array_agg(t.partner_id), array_agg(t.name) INTO ids, names
                  FROM (
                    SELECT n.id AS partner_id, unnest(crm_client_change_diff(to_jsonb(n), to_jsonb(o))) AS name
                      FROM crm_feed_new n JOIN crm_feed_old o ON o.id = n.id
                     WHERE n.parent_id = o.parent_id AND n.create_date IS DISTINCT FROM now_utc
                    UNION ALL
                    SELECT o.parent_id,
                           CASE WHEN o.is_billing_entity THEN 'billing_entity_ids' ELSE 'child_ids' END
                      FROM crm_feed_new n JOIN crm_feed_old o ON o.id = n.id
                     WHERE o.parent_id IS NOT NULL AND n.parent_id IS DISTINCT FROM o.parent_id
                    UNION ALL
                    SELECT n.parent_id,
                           CASE WHEN n.is_billing_entity THEN 'billing_entity_ids' ELSE 'child_ids' END
                      FROM crm_feed_new n JOIN crm_feed_old o ON o.id = n.id
                     WHERE n.parent_id IS NOT NULL AND n.parent_id IS DISTINCT FROM o.parent_id
                  ) t;
                IF ids IS NOT NULL THEN
                    PERFORM crm_client_change_touch(ids, names);
                END IF;
                RETURN NULL;
            END $$;

            CREATE OR REPLACE FUNCTION crm_client_change_partner_delete() RETURNS trigger
                LANGUAGE plpgsql AS $$
            DECLARE
                x bigint := crm_client_change_xact();
                ids integer[];
                names varchar[];
            BEGIN
                {off}
                -- A merged client already has its 'merged' row (_feed_record_merged).
                INSERT INTO {TABLE} (xact, partner_id, kind, company_id, external_ref)
                SELECT x, o.id, 'deleted', o.company_id, o.external_ref
                  FROM crm_feed_old o
                 WHERE o.parent_id IS NULL AND o.is_client
                   AND NOT EXISTS (
                        SELECT 1 FROM {TABLE} m
                         WHERE m.partner_id = o.id AND m.kind IN ('merged', 'deleted') AND m.xact = x
                   );
                SELECT array_agg(o.parent_id),
                       array_agg(CASE WHEN o.is_billing_entity THEN 'billing_entity_ids' ELSE 'child_ids' END)
                  INTO ids, names
                  FROM crm_feed_old o WHERE o.parent_id IS NOT NULL;
                IF ids IS NOT NULL THEN
                    PERFORM crm_client_change_touch(ids, names);
                END IF;
                RETURN NULL;
            END $$;
            """  # noqa: S608
        )
        self._feed_create_triggers(
            "res_partner",
            {event: f"crm_client_change_partner_{event}" for event in _EVENTS},
        )
        for table, columns, field in _SUB_TABLES:
            self._feed_create_sub_table_functions(table, columns, field)

    @api.model
    def _feed_create_sub_table_functions(self, table, columns, field):
        """Rows of ``table`` belong to the partners in ``columns``: a change of a row is a
        change of ``field`` of those partners (of both versions' partners for an update
        that moves it)."""
        cr = self.env.cr
        prefix = f"crm_client_change_{table}"

        def partners(side):  # NEW and OLD name PL/pgSQL variables: other aliases
            return " UNION ALL ".join(f"SELECT r.{column} FROM crm_feed_{side} r" for column in columns)  # noqa: S608

        both = ", ".join(f"n.{column}, o.{column}" for column in columns)
        bodies = {
            "insert": f"SELECT array_agg(DISTINCT p) INTO ids FROM ({partners('new')}) AS t(p);",  # noqa: S608
            "delete": f"SELECT array_agg(DISTINCT p) INTO ids FROM ({partners('old')}) AS t(p);",  # noqa: S608
            # An update counts when something else than its write date changed; one that
            # moves the row is a change of both partners.
            "update": f"""
                SELECT array_agg(DISTINCT p) INTO ids
                  FROM (
                    SELECT unnest(ARRAY[{both}])
                      FROM crm_feed_new n JOIN crm_feed_old o ON o.id = n.id
                     WHERE (to_jsonb(n) - '{{write_date,write_uid}}'::text[])
                           IS DISTINCT FROM (to_jsonb(o) - '{{write_date,write_uid}}'::text[])
                  ) AS t(p);
            """,  # noqa: S608
        }
        if table.endswith("_rel"):
            # A many2many table has no id: a row is its pair of ids.
            bodies["update"] = f"""
                SELECT array_agg(DISTINCT p) INTO ids
                  FROM ({partners('new')} UNION ALL {partners('old')}) AS t(p);
            """  # noqa: S608
        functions = {}
        for event, body in bodies.items():
            name = f"{prefix}_{event}"
            cr.execute(  # pylint: disable=sql-injection
                f"""
                CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
                DECLARE
                    ids integer[];
                BEGIN
                    {_FEED_OFF}
                    {body}
                    ids := array_remove(ids, NULL);
                    IF cardinality(ids) > 0 THEN
                        PERFORM crm_client_change_touch(ids, array_fill('{field}'::varchar, ARRAY[cardinality(ids)]));
                    END IF;
                    RETURN NULL;
                END $$;
                """
            )
            functions[event] = name
        self._feed_create_triggers(table, functions)

    @api.model
    def _feed_create_triggers(self, table, functions):
        cr = self.env.cr
        for event, function in functions.items():
            name = SQL.identifier(f"crm_client_change_{event}")
            transitions = {
                "insert": "NEW TABLE AS crm_feed_new",
                "update": "NEW TABLE AS crm_feed_new OLD TABLE AS crm_feed_old",
                "delete": "OLD TABLE AS crm_feed_old",
            }[event]
            cr.execute(SQL("DROP TRIGGER IF EXISTS %s ON %s", name, SQL.identifier(table)))
            cr.execute(
                SQL(
                    "CREATE TRIGGER %s AFTER %s ON %s REFERENCING %s FOR EACH STATEMENT EXECUTE FUNCTION %s()",
                    name,
                    SQL(event.upper()),
                    SQL.identifier(table),
                    SQL(transitions),
                    SQL.identifier(function),
                )
            )

    @api.model
    def _feed_drop_sql_objects(self):
        """Remove the triggers and functions this feed put on other tables (the uninstall
        hook calls it: core's tables stay, and must not call functions that are gone)."""
        cr = self.env.cr
        for table in ("res_partner", *(table for table, _columns, _field in _SUB_TABLES)):
            for event in _EVENTS:
                cr.execute(
                    SQL(
                        "DROP TRIGGER IF EXISTS %s ON %s",
                        SQL.identifier(f"crm_client_change_{event}"),
                        SQL.identifier(table),
                    )
                )
        cr.execute(
            """
            SELECT p.oid::regprocedure::text FROM pg_proc p
             WHERE p.proname LIKE 'crm\\_client\\_change\\_%' AND p.pronamespace = 'public'::regnamespace
            """
        )
        for (signature,) in cr.fetchall():
            cr.execute(SQL("DROP FUNCTION IF EXISTS %s", SQL(signature)))

    # ---- Merges ----

    @api.model
    def _feed_record_merged(self, sources, target):
        """Say that ``sources`` were merged into ``target``; the deletion of the sources
        that follows, in this transaction, then says nothing more."""
        sources = sources.filtered(lambda source: not source.parent_id)  # a contact is its client's change
        if not sources:
            return
        values = [
            SQL(
                "(crm_client_change_xact(), %s, 'merged', %s, %s, %s)",
                source.id,
                target.id,
                source.company_id.id or None,
                source.external_ref or None,
            )
            for source in sources.sudo()
        ]
        self.env.cr.execute(
            SQL(
                "INSERT INTO %s (xact, partner_id, kind, into_id, company_id, external_ref) VALUES %s",
                SQL.identifier(TABLE),
                SQL(", ").join(values),
            )
        )

    # ---- Retention ----

    @api.model
    def _feed_retention_days(self):
        value = self.env["ir.config_parameter"].sudo().get_param(RETENTION_PARAM)
        try:
            days = int(value) if value not in (None, False, "") else DEFAULT_RETENTION_DAYS
        except ValueError:
            days = DEFAULT_RETENTION_DAYS
        return max(days, 1)

    @api.model
    def _cron_prune(self):
        """Remove the entries older than the retention, oldest first, in batches. What is
        removed is always a prefix of the feed, ending where a 'pruned' row is left: a
        cursor before it missed entries and is refused."""
        cr = self.env.cr
        days = self._feed_retention_days()
        cr.execute("SELECT xmin FROM crm_client_change_snapshot()")
        horizon = cr.fetchone()[0]
        cr.execute(
            SQL(
                """
                SELECT xact, id, at < (now() AT TIME ZONE 'UTC') - make_interval(days => %(days)s) AND xact < %(horizon)s
                  FROM %(table)s
                 ORDER BY xact, id
                 LIMIT %(batch)s + 1
                """,
                table=SQL.identifier(TABLE),
                days=days,
                horizon=horizon,
                batch=PRUNE_BATCH,
            )
        )
        rows = cr.fetchall()
        old = []
        for xact, row_id, is_old in rows[:PRUNE_BATCH]:
            if not is_old:
                break
            old.append((xact, row_id))
        if not old:
            self.env["ir.cron"]._notify_progress(done=0, remaining=0)
            return 0
        last = old[-1]
        cr.execute(
            SQL(
                "DELETE FROM %(table)s WHERE (xact, id) <= (%(xact)s, %(id)s)",
                table=SQL.identifier(TABLE),
                xact=last[0],
                id=last[1],
            )
        )
        removed = cr.rowcount
        cr.execute(
            SQL(
                "INSERT INTO %(table)s (xact, id, partner_id, kind) VALUES (%(xact)s, %(id)s, 0, %(kind)s)",
                table=SQL.identifier(TABLE),
                xact=last[0],
                id=last[1],
                kind=PRUNED,
            )
        )
        more = len(old) == PRUNE_BATCH and len(rows) > PRUNE_BATCH and rows[PRUNE_BATCH][2]
        self.env["ir.cron"]._notify_progress(done=removed, remaining=1 if more else 0)
        return removed
