"""Merges kept to be undone (client_merge_undo) and to say where a merged id went
(client_resolve); see docs/API.md, "Merge choices, undo and merged ids".

Before a merge moves anything, it copies every row it may touch into a temporary table:
the partners merged, every row pointing to a source (foreign keys, messages, attachments,
activities, followers, external ids, reference fields, company-dependent values and
defaults), the rows of the target the merge changes (its own row, its contacts, its email
and phone lines, the links it gets, its aliases), and the same for the sources' bank
accounts merged into the target's. Once the merge is done, the difference is kept in
``crm.client.merge.row``: the rows deleted (whole), the columns changed (their old values
and a fingerprint of the row as the merge left it), the rows inserted, and the target's
changed columns (old and new values).

Undo checks first that nothing the merge touched changed since (the fingerprints, the
target's columns), and refuses naming what did; then puts the rows back in SQL, all in one
savepoint: the deleted rows again with their ids, the changed columns to their old values,
the inserted rows removed.
"""

from collections import defaultdict
from contextlib import contextmanager
from datetime import timedelta

from psycopg2 import errors

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, mute_logger

UNDO_DAYS_PARAM = "crm_clients.merge_undo_days"
DEFAULT_UNDO_DAYS = 30
# The temporary copy of what a merge may touch (dropped at the end of the transaction).
_SNAPSHOT = "crm_client_merge_snapshot"
# Columns that change when a row is merely saved again: not a change worth refusing for,
# nor a value to put back.
_TECHNICAL = ("write_date", "write_uid")
# Tables whose rows of the target a merge changes or adds to (twin lines, new aliases).
_TARGET_SIDE = ("crm_client_email", "crm_client_phone", "crm_client_external_ref_alias")
# Records attached to a partner by model name and id rather than a foreign key.
RECORD_TABLES = (
    ("mail_message", "model"),
    ("ir_attachment", "res_model"),
    ("mail_activity", "res_model"),
    ("mail_followers", "res_model"),
    ("ir_model_data", "model"),
)
# What a merge counts as moved (_merge_counted): every record pointing to a source
# by a foreign key but a contact's commercial partner (it follows parent_id), and the
# records attached by model and id but external ids, files of binary fields and
# archived activities (as their search_count would).
NOT_COUNTED = {("res_partner", "commercial_partner_id")}
COUNTED_RECORDS = {
    "mail_message": "",
    "ir_attachment": " AND t.res_field IS NULL",
    "mail_activity": " AND t.active",
    "mail_followers": "",
}
# cr.cache key of the tables and foreign keys read during a merge (_merge_schema_scope).
_SCHEMA_SCOPE = "crm_clients_merge_schema"
# The subtypes of followers: copied after the followers (found through their copy).
_FOLLOWER_SUBTYPES = "mail_followers_mail_message_subtype_rel"
# Flags with a partial unique index (one per partner): cleared before the old values
# come back, so that two lines never hold one in between.
_SINGLE_FLAGS = ("is_primary", "is_mobile")
# Merges expired per batch of the scheduled action.
EXPIRE_BATCH = 200


class CrmClientMerge(models.Model):
    """One merge of clients, as client_merge or Odoo's merge wizard did it."""

    _name = "crm.client.merge"
    _description = "Client Merge"
    _order = "id desc"

    # Plain ids, not foreign keys: the target can be merged again or deleted later, and the
    # ids must stay (client_resolve follows them).
    target_record_id = fields.Integer(string="Kept Client ID", readonly=True, index=True)
    target_id = fields.Many2one(
        "res.partner", string="Kept Client", compute="_compute_target_id", search="_search_target_id"
    )
    target_name = fields.Char(string="Kept Client Name", readonly=True)
    source_ids = fields.One2many("crm.client.merge.source", "merge_id", string="Merged Clients", readonly=True)
    source_names = fields.Char(string="Merged", readonly=True)
    company_id = fields.Many2one("res.company", string="Company", readonly=True, index=True)
    origin = fields.Selection(
        [("client_merge", "Clients"), ("wizard", "Odoo's merge wizard")], string="Merged With", readonly=True
    )
    state = fields.Selection(
        [("done", "Merged"), ("undone", "Undone"), ("expired", "Undo Period Over")],
        default="done",
        readonly=True,
        index=True,
    )
    moved = fields.Json(string="Moved Counts", readonly=True)  # {model: records moved}, as client_merge answers it
    moved_summary = fields.Char(string="Moved", compute="_compute_moved_summary")
    tables = fields.Json(readonly=True)  # {table: [columns]} as the merge found them
    undo_deadline = fields.Datetime(string="Undo Until", compute="_compute_undo")
    can_undo = fields.Boolean(compute="_compute_undo")
    undo_uid = fields.Many2one("res.users", string="Undone By", readonly=True)
    undo_date = fields.Datetime(string="Undone On", readonly=True)
    row_ids = fields.One2many("crm.client.merge.row", "merge_id", readonly=True)

    # ---- Compute ----

    @api.depends("target_record_id")
    def _compute_target_id(self):
        existing = set(
            self.env["res.partner"].with_context(active_test=False).browse(self.mapped("target_record_id")).exists().ids
        )
        for merge in self:
            merge.target_id = merge.target_record_id if merge.target_record_id in existing else False

    def _search_target_id(self, operator, value):
        if operator in ("=", "in") and value:
            return [("target_record_id", "in", value if isinstance(value, (list, tuple)) else [value])]
        if operator in ("=", "in") or (operator in ("!=", "not in") and not value):
            return [("target_record_id", "!=", 0)]  # every merge has a target
        if operator in ("!=", "not in"):
            return [("target_record_id", "not in", value if isinstance(value, (list, tuple)) else [value])]
        partners = self.env["res.partner"].with_context(active_test=False)._search([("display_name", operator, value)])
        return [("target_record_id", "in", partners)]

    @api.depends("target_name", "source_names")
    def _compute_display_name(self):
        for merge in self:
            merge.display_name = self.env._(
                "%(sources)s into %(target)s", sources=merge.source_names or "?", target=merge.target_name or "?"
            )

    @api.depends("moved")
    def _compute_moved_summary(self):
        names = {}
        models_moved = {model for merge in self for model in (merge.moved or {})}
        if models_moved:
            names = {m.model: m.name for m in self.env["ir.model"].sudo().search([("model", "in", list(models_moved))])}
        for merge in self:
            merge.moved_summary = ", ".join(
                f"{names.get(model, model)}: {count}" for model, count in sorted((merge.moved or {}).items())
            )

    @api.depends("create_date", "state")
    @api.depends_context("uid")
    def _compute_undo(self):
        days = self._undo_days()
        now = fields.Datetime.now()
        for merge in self:
            merge.undo_deadline = merge.create_date and merge.create_date + timedelta(days=days)
            merge.can_undo = bool(merge.state == "done" and merge.undo_deadline and merge.undo_deadline > now)

    @api.model
    def _undo_days(self):
        value = self.env["ir.config_parameter"].sudo().get_param(UNDO_DAYS_PARAM)
        try:
            days = int(value) if value not in (None, False, "") else DEFAULT_UNDO_DAYS
        except ValueError:
            days = DEFAULT_UNDO_DAYS
        return max(days, 0)

    # ---- Actions ----

    def action_undo(self):
        """The list's Undo button."""
        self.ensure_one()
        result = self.env["res.partner"].client_merge_undo(self.id)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._(
                    "The merge was undone: %(names)s are back.",
                    names=", ".join(
                        self.env["res.partner"]
                        .with_context(active_test=False)
                        .browse(result["restored_ids"])
                        .mapped("display_name")
                    ),
                ),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    @api.readonly
    def action_open_target(self):
        self.ensure_one()
        if not self.target_id:
            raise UserError(self.env._("The kept client no longer exists."))
        return self.target_id._client_form_action()

    # ---- Recording a merge ----

    @api.model
    def _merge_begin(self, sources, target, origin):
        """The record of a merge about to happen, with a copy of every row it may touch
        and what will move (``moved``: counted in that copy). Called before anything
        moves, in the merge's savepoint."""
        sources_sudo = sources.sudo().with_context(active_test=False)
        merge = self.sudo().create(
            {
                "target_record_id": target.id,
                "target_name": target.sudo().display_name,
                "company_id": target.sudo().company_id.id,
                "origin": origin,
                "source_names": ", ".join(sources_sudo.mapped("display_name")),
                "source_ids": [
                    fields.Command.create(
                        {
                            "partner_record_id": source.id,
                            "name": source.display_name,
                            "client_number": source.client_number,
                            "external_ref": source.external_ref,
                        }
                    )
                    for source in sources_sudo
                ],
            }
        )
        merge._merge_snapshot(sources, target)
        return merge

    def _merge_snapshot(self, sources, target):
        self.ensure_one()
        self.env.flush_all()  # the copy is made in SQL
        cr = self.env.cr
        cr.execute(
            SQL(
                """CREATE TEMPORARY TABLE IF NOT EXISTS %s (
                       merge integer NOT NULL, tbl varchar NOT NULL, pk text NOT NULL, row jsonb NOT NULL,
                       counted boolean NOT NULL, PRIMARY KEY (merge, tbl, pk)
                   ) ON COMMIT DROP""",
                SQL.identifier(_SNAPSHOT),
            )
        )
        # Each merge's rows are its own (a background batch of merges never empties the
        # table: deleted rows would make every later merge read them again).
        watches, counted = self._merge_watches(sources, target, self.id)
        columns = self._merge_table_columns(list(watches))
        # One statement for every table (the follower subtypes after it: they are found
        # through the followers copied), then the diff looks only at the tables copied.
        # A row copied is "counted" when it is one of the records that move (what
        # _client_merge_counts counts): the merge's counts come from the copy, not from
        # a statement of their own.
        copies = {
            table: SQL(
                "SELECT %(merge)s, %(name)s, %(pk)s, to_jsonb(t), %(counted)s FROM %(table)s t WHERE %(condition)s",
                merge=self.id,
                name=table,
                pk=SQL("t.id::text") if "id" in columns[table] else SQL("md5(to_jsonb(t)::text)"),
                counted=SQL("(%s) IS TRUE", SQL(" OR ").join(SQL("(%s)", c) for c in counted[table]))
                if counted.get(table)
                else SQL("false"),
                table=SQL.identifier(table),
                condition=SQL(" OR ").join(SQL("(%s)", condition) for condition in conditions),
            )
            for table, conditions in watches.items()
            if table in columns  # not a table of a model whose module is not installed any more
        }
        subtypes = copies.pop(_FOLLOWER_SUBTYPES, None)
        for batch in (list(copies.values()), [subtypes] if subtypes else []):
            if batch:
                cr.execute(
                    SQL(
                        "INSERT INTO %s (merge, tbl, pk, row, counted) %s ON CONFLICT DO NOTHING",
                        SQL.identifier(_SNAPSHOT),
                        SQL(" UNION ALL ").join(batch),
                    )
                )
        cr.execute(
            SQL(
                "SELECT tbl, count(*) FILTER (WHERE counted) FROM %s WHERE merge = %s GROUP BY tbl",
                SQL.identifier(_SNAPSHOT),
                self.id,
            )
        )
        models_ = self._merge_table_models()
        moved, copied = {}, set(_TARGET_SIDE)
        for table, count in cr.fetchall():
            copied.add(table)
            if count:
                moved[models_.get(table, table)] = count
        self.write(
            {
                "tables": {table: columns[table] for table in watches if table in columns and table in copied},
                "moved": moved,
            }
        )

    @api.model
    def _merge_watches(self, sources, target, merge_id):
        """({table: [conditions on its alias t]}: the rows merging ``sources`` into
        ``target`` may delete, change or add to, the partners' own table first, the
        followers' subtypes last (they are found through the followers copied);
        {table: [conditions]}: of those, the records that move, counted as
        _client_merge_counts counts them)."""
        source_ids = tuple(sources.ids)
        all_ids = (*source_ids, target.id)
        watches, counted = defaultdict(list), self._merge_counted(source_ids)
        # The partners merged and the contacts under them (the target's too: a value the
        # target gets goes down to its contacts).
        watches["res_partner"].append(
            SQL("t.id IN %s OR t.parent_id IN %s OR t.commercial_partner_id IN %s", all_ids, all_ids, all_ids)
        )
        self._merge_watch_pointers(watches, "res.partner", "res_partner", source_ids, target.id)
        if "res.partner.bank" in self.env:
            # Core merges a source's bank account into the target's same account: what
            # points to the source's account moves there, and the account goes.
            self.env.cr.execute("SELECT id FROM res_partner_bank WHERE partner_id IN %s", [source_ids])
            if bank_ids := tuple(row[0] for row in self.env.cr.fetchall()):
                watches["res_partner_bank"].append(SQL("t.id IN %s", bank_ids))
                self._merge_watch_pointers(watches, "res.partner.bank", "res_partner_bank", bank_ids, None)
        # A follower that goes (the target already follows the record) takes its subtypes.
        watches[_FOLLOWER_SUBTYPES].append(
            SQL(
                "t.mail_followers_id IN (SELECT pk::int FROM %s WHERE merge = %s AND tbl = 'mail_followers')",
                SQL.identifier(_SNAPSHOT),
                merge_id,
            )
        )
        return watches, counted

    @api.model
    def _merge_counted(self, ids):
        """{table: [conditions on its alias t]}: the records pointing to the partners
        ``ids`` that a merge of them moves, as it counts them (``moved``): a record is
        counted once, however many of its columns point to them (a message a source
        wrote on itself). Shared by the merge (_merge_snapshot) and its preview
        (_client_merge_counts)."""
        counted = defaultdict(list)
        for table, column in self._merge_fk_on("res_partner"):
            if (table, column) not in NOT_COUNTED and "base_partner_merge_" not in table:
                counted[table].append(SQL("t.%s IN %s", SQL.identifier(column), ids))
        for table, column in RECORD_TABLES:
            if table in COUNTED_RECORDS:
                counted[table].append(
                    SQL(
                        "t.%s = 'res.partner' AND t.res_id IN %s%s",
                        SQL.identifier(column),
                        ids,
                        SQL(COUNTED_RECORDS[table]),
                    )
                )
        return counted

    @api.model
    def _merge_watch_pointers(self, watches, model, table, ids, target_id):
        """Conditions on every row pointing to the records ``ids`` of ``model``."""
        foreign_keys = defaultdict(list)
        for fk_table, column in self._merge_fk_on(table):
            if "base_partner_merge_" not in fk_table:  # core's wizard's own tables: not moved
                foreign_keys[fk_table].append(column)
        columns = self._merge_table_columns(list(foreign_keys))
        for fk_table, fk_columns in foreign_keys.items():
            table_columns = columns.get(fk_table, [])
            if "id" in table_columns:
                watched = ids + (target_id,) if target_id and fk_table in _TARGET_SIDE else ids
                watches[fk_table].extend(SQL("t.%s IN %s", SQL.identifier(column), watched) for column in fk_columns)
                continue
            for column in fk_columns:
                watches[fk_table].append(SQL("t.%s IN %s", SQL.identifier(column), ids))
                others = [other for other in table_columns if other != column]
                if target_id and len(others) == 1:
                    # A link table: the target's links to the records the sources link
                    # to (the merge adds the ones the target lacks).
                    watches[fk_table].append(
                        SQL(
                            "t.%(column)s = %(target)s AND t.%(other)s IN (SELECT %(other)s FROM %(table)s WHERE %(column)s IN %(ids)s)",
                            column=SQL.identifier(column),
                            other=SQL.identifier(others[0]),
                            table=SQL.identifier(fk_table),
                            target=target_id,
                            ids=ids,
                        )
                    )
        for record_table, model_column in RECORD_TABLES:
            watches[record_table].append(SQL("t.%s = %s AND t.res_id IN %s", SQL.identifier(model_column), model, ids))
        references = tuple(f"{model},{record_id}" for record_id in ids)
        for Model, fname in self._merge_reference_columns():
            watches[Model._table].append(SQL("t.%s IN %s", SQL.identifier(fname), references))
        jsonpath = "$.* ? ({})".format(" || ".join(f"@ == {record_id}" for record_id in ids))
        for field in self.env.registry.many2one_company_dependents[model]:
            watches[self.env[field.model_name]._table].append(
                SQL("t.%s @? %s::jsonpath", SQL.identifier(field.name), jsonpath)
            )
        if model == "res.partner":
            # Defaults naming a source (core moves or discards them).
            watches["ir_default"].append(SQL("t.json_value IN %s", tuple(str(record_id) for record_id in ids)))

    @api.model
    def _merge_table_columns(self, tables):
        """{table: [its columns]} of the ``tables`` that exist (once per schema scope)."""
        cache = self._merge_schema_cache("columns")
        if missing := [table for table in tables if table not in cache]:
            self.env.cr.execute(
                """SELECT c.relname, array_agg(a.attname::text ORDER BY a.attnum)
                     FROM pg_class c
                     JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                    WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
                      AND c.relname = ANY(%s)
                    GROUP BY c.relname""",
                [missing],
            )
            cache.update(dict.fromkeys(missing))
            cache.update(self.env.cr.fetchall())
        return {table: cache[table] for table in tables if cache.get(table)}

    @api.model
    def _merge_table_models(self):
        """{table: its model} (once per schema scope): ``moved`` names models, not tables."""
        cache = self._merge_schema_cache("models")
        if not cache:
            cache.update((Model._table, name) for name, Model in self.env.registry.items() if not Model._abstract)
        return cache

    @api.model
    def _merge_reference_columns(self):
        """[(model, field)] of the stored reference fields, which name a record as
        "model,id" (once per schema scope)."""
        cache = self._merge_schema_cache("references")
        if "fields" not in cache:
            found = []
            for field in self.env["ir.model.fields"].sudo().search([("ttype", "=", "reference"), ("store", "=", True)]):
                Model = self.env.get(field.model)
                if Model is None or Model._abstract or not Model._auto or field.name not in Model._fields:
                    continue
                found.append((field.model, field.name))
            cache["fields"] = found
        return [(self.env[model].sudo(), fname) for model, fname in cache["fields"]]

    @api.model
    def _merge_fk_on(self, table):
        """[(table, column)] of the foreign keys to ``table``, as Odoo's merge wizard finds
        them (once per schema scope)."""
        cache = self._merge_schema_cache("foreign_keys")
        if table not in cache:
            cache[table] = self.env["base.partner.merge.automatic.wizard"]._get_fk_on(table)
        return cache[table]

    @contextmanager
    def _merge_schema_scope(self):
        """Within this block (a merge, a batch of a background merge) the tables and
        foreign keys are read once, not at every use; forgotten at its end, since a
        savepoint rolled back can take a table with it."""
        cache = self.env.cr.cache
        if _SCHEMA_SCOPE in cache:
            yield
            return
        cache[_SCHEMA_SCOPE] = {}
        try:
            yield
        finally:
            cache.pop(_SCHEMA_SCOPE, None)

    @api.model
    def _merge_schema_cache(self, kind):
        scope = self.env.cr.cache.get(_SCHEMA_SCOPE)
        return {} if scope is None else scope.setdefault(kind, {})

    def _merge_detach_attachments(self, sources):
        """The sources' pictures and files of their binary fields would be deleted with
        them: they stay, attached to this merge, until its undo period ends."""
        self.ensure_one()
        self.env.flush_all()
        self.env.cr.execute(
            """UPDATE ir_attachment SET res_model = %s, res_id = %s
                WHERE res_model = 'res.partner' AND res_id IN %s""",
            [self._name, self.id, tuple(sources.ids)],
        )
        self.env["ir.attachment"].invalidate_model()

    def _merge_end(self, target):
        """Keep the difference between the copy and what the merge left: the rows gone,
        changed and added, of every table copied, in one statement."""
        self.ensure_one()
        self.env.flush_all()
        snapshot = SQL.identifier(_SNAPSHOT)
        ctes, rows = [], []
        for index, (table, columns) in enumerate(self.tables.items()):
            params = {
                "snapshot": snapshot,
                "merge": self.id,
                "name": table,
                "table": SQL.identifier(table),
                "target": target.id,
            }
            if "id" not in columns:
                rows += self._merge_diff_link_table(table, columns, params)
                continue
            rows.append(
                SQL(
                    """SELECT %(merge)s, 'deleted', s.tbl, s.pk::int, s.row, NULL::jsonb FROM %(snapshot)s s
                        WHERE s.merge = %(merge)s AND s.tbl = %(name)s
                          AND NOT EXISTS (SELECT 1 FROM %(table)s t WHERE t.id = s.pk::int)""",
                    **params,
                )
            )
            # Each row made JSON once (inlined, it was made again for each of its keys).
            cte = SQL.identifier(f"now_{index}")
            ctes.append(
                SQL(
                    """%(cte)s AS MATERIALIZED (
                           SELECT s.tbl, t.id, s.row AS before, to_jsonb(t) AS after
                             FROM %(snapshot)s s JOIN %(table)s t ON t.id = s.pk::int
                            WHERE s.merge = %(merge)s AND s.tbl = %(name)s)""",
                    cte=cte,
                    **params,
                )
            )
            rows.append(
                SQL(
                    """SELECT %(merge)s, CASE WHEN n.id = %(target)s AND n.tbl = 'res_partner' THEN 'target' ELSE 'changed' END,
                              n.tbl, n.id, d.old, d.new
                         FROM %(cte)s n CROSS JOIN LATERAL (
                            SELECT jsonb_object_agg(o.key, o.value) AS old, jsonb_object_agg(o.key, n.after -> o.key) AS new
                              FROM jsonb_each(n.before) o WHERE o.value IS DISTINCT FROM n.after -> o.key
                         ) d
                        WHERE n.after <> n.before AND (d.old - %(technical)s::text[]) <> '{}'::jsonb""",
                    cte=cte,
                    technical=list(_TECHNICAL),
                    **params,
                )
            )
            if table in _TARGET_SIDE:
                fk_columns = [column for t, column in self._merge_partner_keys() if t == table]
                rows.append(
                    SQL(
                        """SELECT %(merge)s, 'inserted', %(name)s, t.id, to_jsonb(t), NULL::jsonb FROM %(table)s t
                            WHERE (%(pointing)s)
                              AND NOT EXISTS (SELECT 1 FROM %(snapshot)s s
                                               WHERE s.merge = %(merge)s AND s.tbl = %(name)s AND s.pk = t.id::text)""",
                        pointing=SQL(" OR ").join(SQL("t.%s = %s", SQL.identifier(c), target.id) for c in fk_columns),
                        **params,
                    )
                )
        if rows:
            # UNION ALL keeps the tables' order: an undo puts rows back in it.
            self.env.cr.execute(
                SQL(
                    "%s INSERT INTO crm_client_merge_row (merge_id, kind, table_name, row_id, old_values, new_values) %s",
                    SQL("WITH %s", SQL(", ").join(ctes)) if ctes else SQL(),
                    SQL(" UNION ALL ").join(SQL("(%s)", row) for row in rows),
                )
            )

    def _merge_diff_link_table(self, table, columns, params):
        """A table of links (no id): the links gone and the links the target got, as
        rows of _merge_end's statement."""
        same = SQL(" AND ").join(SQL("t.%s = p.%s", SQL.identifier(c), SQL.identifier(c)) for c in columns)
        rows = [
            SQL(
                """SELECT %(merge)s, 'deleted', s.tbl, NULL::int, s.row, NULL::jsonb
                     FROM %(snapshot)s s CROSS JOIN LATERAL jsonb_populate_record(NULL::%(table)s, s.row) p
                    WHERE s.merge = %(merge)s AND s.tbl = %(name)s AND NOT EXISTS (SELECT 1 FROM %(table)s t WHERE %(same)s)""",
                same=same,
                **params,
            )
        ]
        fk_columns = [column for t, column in self._merge_partner_keys() if t == table]
        if len(columns) != 2 or not fk_columns:
            return rows
        for column in fk_columns:
            other = next(c for c in columns if c != column)
            rows.append(
                SQL(
                    """SELECT %(merge)s, 'inserted', %(name)s, NULL::int, to_jsonb(t), NULL::jsonb FROM %(table)s t
                        WHERE t.%(column)s = %(target)s
                          AND t.%(other)s IN (SELECT (s.row ->> %(other_name)s)::int FROM %(snapshot)s s
                                               WHERE s.merge = %(merge)s AND s.tbl = %(name)s
                                                 AND s.row ->> %(column_name)s <> %(target_text)s)
                          AND NOT EXISTS (SELECT 1 FROM %(snapshot)s s
                                           WHERE s.merge = %(merge)s AND s.tbl = %(name)s AND s.pk = md5(to_jsonb(t)::text))""",
                    column=SQL.identifier(column),
                    other=SQL.identifier(other),
                    column_name=column,
                    other_name=other,
                    target_text=str(params["target"]),
                    **params,
                )
            )
        return rows

    @api.model
    def _merge_partner_keys(self):
        return self._merge_fk_on("res_partner")

    # ---- Undo ----

    def _undo(self):
        """Put back everything this merge changed; refuse, changing nothing, when
        something it touched changed since."""
        self.ensure_one()
        merge = self.sudo()
        if merge.state == "undone":
            raise UserError(self.env._("This merge was already undone."))
        if merge.state == "expired" or not merge.can_undo:
            raise UserError(
                self.env._(
                    "This merge can no longer be undone: the undo period of %(days)s days is over.",
                    days=self._undo_days(),
                )
            )
        cr = self.env.cr
        try:
            with mute_logger("odoo.sql_db"), cr.savepoint(flush=False):
                cr.execute("SELECT id FROM crm_client_merge WHERE id = %s FOR UPDATE NOWAIT", [merge.id])
        except errors.LockNotAvailable as exc:
            raise UserError(self.env._("This merge is being undone by someone else right now.")) from exc
        target = self.env["res.partner"].sudo().with_context(active_test=False).browse(merge.target_record_id)
        if not target.exists():
            later = self.sudo().search(
                [("source_ids.partner_record_id", "=", merge.target_record_id), ("state", "=", "done")], limit=1
            )
            if later:
                raise UserError(
                    self.env._(
                        "%(target)s was merged into %(other)s since: undo that merge first.",
                        target=merge.target_name,
                        other=later.target_name,
                    )
                )
            raise UserError(
                self.env._("%(target)s was deleted since: the merge cannot be undone.", target=merge.target_name)
            )
        self.env.flush_all()
        if problems := merge._undo_conflicts():
            raise UserError(
                self.env._(
                    "The merge cannot be undone: %(changes)s changed since. Nothing was changed.",
                    changes="; ".join(problems),
                )
            )
        try:
            with mute_logger("odoo.sql_db"), cr.savepoint():
                merge._undo_apply()
        except (errors.IntegrityError, errors.RaiseException) as exc:
            raise UserError(
                self.env._(
                    "The merge cannot be undone: %(detail)s. Nothing was changed.",
                    detail=exc.diag.message_detail or exc.diag.message_primary,
                )
            ) from exc
        restored = (
            self.env["res.partner"]
            .sudo()
            .with_context(active_test=False)
            .browse(merge.source_ids.mapped("partner_record_id"))
            .exists()
        )
        merge.write({"state": "undone", "undo_uid": self.env.uid, "undo_date": fields.Datetime.now()})
        cr.execute("DELETE FROM crm_client_merge_row WHERE merge_id = %s", [merge.id])
        merge.invalidate_recordset(["row_ids"])
        target._message_log(
            body=self.env._(
                "Merge undone by %(user)s: %(names)s are separate clients again.",
                user=self.env.user.display_name,
                names=", ".join(restored.mapped("display_name")),
            )
        )
        for partner in restored:
            partner._message_log(
                body=self.env._(
                    "Restored: the merge into %(target)s was undone by %(user)s.",
                    target=target.display_name,
                    user=self.env.user.display_name,
                )
            )
        return restored

    def _undo_conflicts(self):
        """What changed since the merge among what it touched, in words: a value it
        wrote that is no longer there (computed columns aside: they follow), a row it
        moved that is gone, an id it deleted that is taken."""
        self.ensure_one()
        cr = self.env.cr
        problems = []
        Partner = self.env["res.partner"]
        cr.execute(
            "SELECT DISTINCT kind, table_name FROM crm_client_merge_row WHERE merge_id = %s AND kind IN ('target', 'changed')",
            [self.id],
        )
        for kind, table in sorted(cr.fetchall(), key=lambda row: row[0] != "target"):
            cr.execute(
                SQL(
                    """SELECT r.row_id, array_agg(e.key ORDER BY e.key)
                         FROM crm_client_merge_row r
                         LEFT JOIN %(table)s t ON t.id = r.row_id
                        CROSS JOIN LATERAL jsonb_each(r.new_values) e
                        WHERE r.merge_id = %(merge)s AND r.kind = %(kind)s AND r.table_name = %(name)s
                          AND e.key <> ALL(%(skip)s::text[])
                          AND (t.id IS NULL OR (to_jsonb(t) -> e.key) IS DISTINCT FROM e.value)
                        GROUP BY r.row_id ORDER BY r.row_id LIMIT 4""",
                    table=SQL.identifier(table),
                    merge=self.id,
                    kind=kind,
                    name=table,
                    skip=[*_TECHNICAL, *self._undo_computed_columns(table)],
                )
            )
            rows = cr.fetchall()
            if not rows:
                continue
            if kind == "target":
                names = rows[0][1]
                labels = sorted({Partner._fields[name].string if name in Partner._fields else name for name in names})
                problems.append(
                    self.env._("%(fields)s of %(target)s", fields=", ".join(labels), target=self.target_name)
                )
            else:
                problems.append(self._undo_describe(table, [row_id for row_id, _names in rows]))
        cr.execute(
            "SELECT DISTINCT table_name FROM crm_client_merge_row WHERE merge_id = %s AND kind = 'deleted' AND row_id IS NOT NULL",
            [self.id],
        )
        for (table,) in cr.fetchall():
            cr.execute(
                SQL(
                    """SELECT r.row_id FROM crm_client_merge_row r JOIN %(table)s t ON t.id = r.row_id
                        WHERE r.merge_id = %(merge)s AND r.kind = 'deleted' AND r.table_name = %(name)s LIMIT 4""",
                    table=SQL.identifier(table),
                    merge=self.id,
                    name=table,
                )
            )
            if row_ids := [row[0] for row in cr.fetchall()]:
                problems.append(self._undo_describe(table, row_ids))
        return problems

    @api.model
    def _undo_model(self, table):
        return next(
            (
                Model
                for Model in self.env.registry.values()
                if Model._table == table and not Model._abstract and Model._auto and not Model._inherits
            ),
            None,
        )

    @api.model
    def _undo_computed_columns(self, table):
        """The stored computed columns of a table: recomputed after an undo, not checked."""
        Model = self._undo_model(table)
        if Model is None:
            return []
        return [name for name, field in Model._fields.items() if field.store and field.compute]

    @api.model
    def _undo_describe(self, table, row_ids):
        """'Messages: "Hello", #42' for the rows of a table."""
        model = next(
            (
                name
                for name, Model in self.env.registry.items()
                if Model._table == table and not Model._abstract and Model._auto
            ),
            None,
        )
        if not model:
            return self.env._("%(table)s rows %(ids)s", table=table, ids=", ".join("#" + str(i) for i in row_ids))
        Model = self.env[model].sudo().with_context(active_test=False)
        existing = Model.browse(row_ids).exists()
        names = [
            f"{record.display_name} (#{record.id})" if record in existing else f"#{record.id}"
            for record in Model.browse(row_ids)
        ]
        return self.env._("%(model)s: %(records)s", model=Model._description, records=", ".join(names))

    def _undo_apply(self):
        self.ensure_one()
        cr = self.env.cr
        tables = self.tables or {}
        current = self._merge_table_columns(list(tables))
        rows_by_kind = defaultdict(set)
        cr.execute("SELECT DISTINCT kind, table_name FROM crm_client_merge_row WHERE merge_id = %s", [self.id])
        for kind, table in cr.fetchall():
            rows_by_kind[kind].add(table)

        def usable(table):
            return [c for c in tables.get(table, []) if c in current.get(table, [])]

        # The rows the merge added go first, then the rows it deleted come back (the
        # partners first: everything else points to them), then the old values.
        for table in rows_by_kind["inserted"]:
            columns = usable(table)
            if "id" in columns:
                cr.execute(
                    SQL(
                        """DELETE FROM %s WHERE id IN (SELECT row_id FROM crm_client_merge_row
                                                     WHERE merge_id = %s AND kind = 'inserted' AND table_name = %s)""",
                        SQL.identifier(table),
                        self.id,
                        table,
                    )
                )
                continue
            cr.execute(
                SQL(
                    """DELETE FROM %(table)s t USING crm_client_merge_row r,
                              LATERAL jsonb_populate_record(NULL::%(table)s, r.old_values) p
                        WHERE r.merge_id = %(merge)s AND r.kind = 'inserted' AND r.table_name = %(name)s AND %(same)s""",
                    table=SQL.identifier(table),
                    merge=self.id,
                    name=table,
                    same=SQL(" AND ").join(SQL("t.%s = p.%s", SQL.identifier(c), SQL.identifier(c)) for c in columns),
                )
            )
        # One primary (one mobile) line per partner, checked row by row: the flags of
        # every row the undo touches are cleared first (a row moving back to its partner
        # keeps its flag, put back last), so that no row restored early meets the flag of
        # a row restored later.
        kept_flags = []
        for kind in ("changed", "target"):
            for table in rows_by_kind[kind]:
                kept_flags += self._undo_clear_single_flags(table, kind, usable(table))
        ordered = sorted(rows_by_kind["deleted"], key=lambda t: (t != "res_partner", "id" not in current.get(t, []), t))
        for table in ordered:
            columns = SQL(", ").join(SQL.identifier(c) for c in usable(table))
            cr.execute(
                SQL(
                    """INSERT INTO %(table)s (%(columns)s)
                       SELECT %(columns)s FROM (
                           SELECT p.* FROM crm_client_merge_row r,
                                  LATERAL jsonb_populate_record(NULL::%(table)s, r.old_values) p
                            WHERE r.merge_id = %(merge)s AND r.kind = 'deleted' AND r.table_name = %(name)s
                            ORDER BY r.id
                       ) restored""",
                    table=SQL.identifier(table),
                    columns=columns,
                    merge=self.id,
                    name=table,
                )
            )
        recompute = []
        for kind in ("changed", "target"):
            for table in rows_by_kind[kind]:
                recompute += self._undo_changed_rows(table, kind, usable(table))
        for table, flag, row_ids in kept_flags:
            cr.execute(
                SQL(
                    "UPDATE %s SET %s = true WHERE id IN %s",
                    SQL.identifier(table),
                    SQL.identifier(flag),
                    tuple(row_ids),
                )
            )
        self.env.invalidate_all(flush=False)
        for field, records in recompute:
            self.env.add_to_compute(field, records)
        self.env.flush_all()
        if {"ir_model_data", "ir_default"} & (rows_by_kind["changed"] | rows_by_kind["deleted"]):
            self.env.registry.clear_cache()

    def _undo_rows(self, table, kind):
        return SQL(
            "SELECT row_id, old_values FROM crm_client_merge_row WHERE merge_id = %s AND kind = %s AND table_name = %s",
            self.id,
            kind,
            table,
        )

    def _undo_clear_single_flags(self, table, kind, columns):
        """Clear the single flags of the rows of ``kind``; [(table, flag, row ids)] of the
        rows whose flag the merge did not change: theirs is put back after the undo."""
        kept = []
        for flag in _SINGLE_FLAGS:
            if flag not in columns:
                continue
            self.env.cr.execute(
                SQL(
                    """UPDATE %(table)s t SET %(flag)s = false FROM (%(rows)s) r
                        WHERE t.id = r.row_id AND t.%(flag)s RETURNING t.id, r.old_values ? %(name)s""",
                    table=SQL.identifier(table),
                    flag=SQL.identifier(flag),
                    rows=self._undo_rows(table, kind),
                    name=flag,
                )
            )
            if row_ids := [row_id for row_id, restored in self.env.cr.fetchall() if not restored]:
                kept.append((table, flag, row_ids))
        return kept

    def _undo_changed_rows(self, table, kind, columns):
        """Put the old values back; [(computed field, records)] to recompute."""
        cr = self.env.cr
        rows = self._undo_rows(table, kind)
        cr.execute(SQL("SELECT DISTINCT jsonb_object_keys(old_values) FROM (%s) r", rows))
        # What the undo writes is a change of today: write_date is not put back.
        changed = [name for (name,) in cr.fetchall() if name in columns and name not in _TECHNICAL]
        if not changed:
            return []
        cr.execute(
            SQL(
                """UPDATE %(table)s t SET (%(columns)s) = (SELECT %(values)s FROM jsonb_populate_record(t, r.old_values) p)
                     FROM (%(rows)s) r WHERE t.id = r.row_id RETURNING t.id""",
                table=SQL.identifier(table),
                columns=SQL(", ").join(SQL.identifier(c) for c in changed),
                values=SQL(", ").join(SQL("p.%s", SQL.identifier(c)) for c in changed),
                rows=rows,
            )
        )
        # Computed columns got their old values back with the rest; they follow what
        # changed since (a contact renamed after the merge): recomputed.
        row_ids = [row[0] for row in cr.fetchall()]
        Model = self._undo_model(table)
        if Model is None or not row_ids:
            return []
        records = self.env[Model._name].sudo().with_context(active_test=False).browse(row_ids)
        return [
            (records._fields[name], records)
            for name in changed
            if name in records._fields and records._fields[name].store and records._fields[name].compute
        ]

    # ---- Scheduled action ----

    @api.model
    def _cron_expire(self):
        """Merges past their undo period: the copies of what they changed go, and the
        sources' pictures kept for an undo are deleted. What they merged stays known
        (client_resolve)."""
        deadline = fields.Datetime.now() - timedelta(days=self._undo_days())
        merges = self.sudo().search([("state", "=", "done"), ("create_date", "<", deadline)], limit=EXPIRE_BATCH)
        if merges:
            self.env["ir.attachment"].sudo().search(
                [("res_model", "=", self._name), ("res_id", "in", merges.ids), ("res_field", "!=", False)]
            ).unlink()
            self.env["ir.attachment"].sudo().search(
                [("res_model", "=", self._name), ("res_id", "in", merges.ids)]
            ).unlink()
            self.env.cr.execute("DELETE FROM crm_client_merge_row WHERE merge_id IN %s", [tuple(merges.ids)])
            merges.write({"state": "expired"})
        remaining = self.sudo().search_count([("state", "=", "done"), ("create_date", "<", deadline)])
        self.env["ir.cron"]._notify_progress(done=len(merges), remaining=remaining)
        return len(merges)
