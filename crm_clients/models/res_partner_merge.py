"""client_merge / client_merge_preview (docs/API.md).

Everything that points to a source ends up on the target. Our own tables are merged with
their rules (duplicate email / phone lines collapse, a locked line wins; relations that
would link the target to itself are dropped); every other foreign key, the records
attached by model and id, reference fields, company-dependent values and defaults move
as Odoo's wizard moves them, in a statement per table, except that a conflicting row
makes the whole call fail with a clear error instead of being deleted (core's wizard
deletes it). The whole merge runs in one savepoint: it happens entirely or not at all.

``values`` chooses, field by field, the partner whose value the target keeps; every merge
is recorded (crm.client.merge) so that a manager can undo it within the undo period
(client_merge_undo), and so that client_resolve can say where a merged id went.
"""

import json
from collections import defaultdict

from markupsafe import Markup
from psycopg2 import errorcodes, errors

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, mute_logger

from ..tools.internal import MERGE
from ..tools.internal import switch_on
from .crm_client_duplicate_run import GROUP_MAX_PARTNERS
from .crm_client_duplicate_run import RUN_MAX_GROUPS
from .crm_client_merge import RECORD_TABLES


class ConcurrentMerge(errors.SerializationFailure):
    """A concurrent merge changed the same clients: replayed by Odoo."""

    pgcode = errorcodes.SERIALIZATION_FAILURE


# Fields whose surviving value can be chosen (``values``), in the order the merge screen
# shows them; bridges add theirs by extending _client_merge_choice_fields().
_CHOICE_FIELDS = (
    "name",
    "legal_name",
    "vat",
    "regon",
    "krs",
    "pesel",
    "email",
    "phone",
    "street",
    "street2",
    "zip",
    "city",
    "state_id",
    "country_id",
    "website",
    "lang",
    "client_status_id",
    "is_buyer",
    "is_supplier",
    "is_workshop",
    "priority",
    "user_id",
    "assigned_user_ids",
    "category_id",
    "client_group_id",
    "client_origin_id",
    "industry_id",
    "client_discount",
    "billing_amount",
    "client_properties",
    "comment",
)
# Fields whose value goes with another one when chosen.
_CHOICE_COMPANIONS = {"billing_amount": ("billing_currency_id",)}
# Not named, these combine everyone's values (highest stars, every tag and user).
CHOICE_COMBINED = ("priority", "category_id", "assigned_user_ids")
# The partner's email and phone mirror its primary line: choosing one chooses the line
# that becomes primary on the target (every line is kept).
_CHANNELS = {"email": "crm.client.email", "phone": "crm.client.phone"}
# client_resolve: ids per call.
RESOLVE_MAX = 10_000

# Foreign keys merged by their own rules below, not moved blindly.
_OWN_TABLES = {
    ("crm_client_email", "partner_id"),
    ("crm_client_phone", "partner_id"),
    ("crm_client_relation", "left_partner_id"),
    ("crm_client_relation", "right_partner_id"),
    ("crm_client_external_ref_alias", "partner_id"),
    ("mail_followers", "partner_id"),
    # "Not a duplicate" pairs name the source itself: they go with it (an undo brings
    # them back), never onto the target.
    ("crm_client_not_duplicate", "partner_a_id"),
    ("crm_client_not_duplicate", "partner_b_id"),
}

# Foreign keys that are computed from the ones moved: recomputed, not moved (a contact's
# commercial partner follows its parent; the source that was its own goes).
_RECOMPUTED = {("res_partner", "commercial_partner_id")}


class ResPartner(models.Model):
    _inherit = "res.partner"

    client_merge_count = fields.Integer(
        string="Merges", compute="_compute_client_merge_count", groups="crm_clients.group_client_manager"
    )

    def _compute_client_merge_count(self):
        groups = self.env["crm.client.merge"]._read_group(
            [("target_record_id", "in", self.ids)], ["target_record_id"], ["__count"]
        )
        count_by_id = dict(groups)
        for partner in self:
            partner.client_merge_count = count_by_id.get(partner.id, 0)

    @api.readonly
    def action_view_client_merges(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("crm_clients.crm_client_merge_action")
        action["domain"] = [("target_record_id", "=", self.id)]
        action["context"] = {}
        return action

    # ---- Public API ----

    @api.model
    @api.readonly
    def client_merge_preview(self, source_ids, target_id):
        """What client_merge would do, without changing anything, and for each field
        where the partners differ, every partner's value (the target's first)."""
        sources, target = self._client_merge_check(source_ids, target_id)
        return {
            "target_id": target.id,
            "merged_ids": sources.ids,
            "moved": sources._client_merge_counts(),
            "fields": sources._client_merge_differences(target),
        }

    @api.model
    def client_merge(self, source_ids, target_id, values=None):
        with self.env["crm.client.merge"]._merge_schema_scope():
            return self._client_merge(source_ids, target_id, values)

    @api.model
    def _client_merge(self, source_ids, target_id, values, logs=None):
        """The merge; ``logs`` (a list) collects its log for _client_merge_post_logs
        instead of writing it at once (a background batch writes them together)."""
        sources, target = self._client_merge_check(source_ids, target_id)
        choices = sources._client_merge_check_values(values, target)
        summary = [(s.display_name, s.client_number, s.external_ref) for s in sources]
        merged_ids = sources.ids
        with self.env.cr.savepoint():
            merge = self.env["crm.client.merge"]._merge_begin(sources, target, "client_merge")
            sources.sudo().with_context(**switch_on(MERGE))._client_merge_into(
                target.sudo().with_context(**switch_on(MERGE)), choices=choices, merge=merge
            )
            merge._merge_end(target)
        if logs is None:
            target._client_merge_post_logs([(target.id, summary)])
        else:
            logs.append((target.id, summary))
        return {"target_id": target.id, "merged_ids": merged_ids, "moved": merge.moved, "merge_id": merge.id}

    @api.model
    def client_merge_undo(self, merge_id):
        """Put back everything a merge changed: the sources with their ids, numbers,
        references, lines and values, what moved back on them, the aliases gone."""
        if not self.env.su and not self.env.user.has_group("crm_clients.group_client_manager"):
            raise AccessError(self.env._("Only client administrators can undo a merge."))
        if isinstance(merge_id, bool) or not isinstance(merge_id, int):
            raise UserError(
                self.env._("client_merge_undo needs the id of a merge (the merge_id client_merge answered).")
            )
        merge = self.env["crm.client.merge"].browse(merge_id)
        if not merge.exists():
            raise UserError(self.env._("There is no merge %(id)s.", id=merge_id))
        merge.check_access("read")  # the merges of the user's companies only
        target = self.with_context(active_test=False).browse(merge.sudo().target_record_id).exists()
        if target:
            target.check_access("write")
        restored = merge._undo()
        return {"merge_id": merge.id, "restored_ids": restored.ids}

    @api.model
    @api.readonly
    def client_resolve(self, ids):
        """Where each of ``ids`` is now: ``[{"id", "resolved_id", "merged"}]`` in the order
        asked; a merged-away id resolves to the partner that holds it now (merges of
        merges followed), an existing id to itself, an unknown one (or one the caller
        may not read) to False."""
        if not self.env.su and not self.env.user._is_internal():
            raise AccessError(self.env._("Only internal users can resolve client ids."))
        if not isinstance(ids, (list, tuple)) or any(isinstance(i, bool) or not isinstance(i, int) for i in ids):
            raise UserError(self.env._("client_resolve needs a list of ids (whole numbers)."))
        if len(ids) > RESOLVE_MAX:
            raise UserError(
                self.env._("client_resolve takes at most %(max)s ids per call.", max=format(RESOLVE_MAX, ","))
            )
        where, merged = self._client_resolve_chains({i for i in ids if 0 < i < 2**31})
        held = [i for i in set(where.values()) if i]
        visible = set(self.with_context(active_test=False).search([("id", "in", held)]).ids) if held else set()
        return [
            {
                "id": asked,
                "resolved_id": where[asked] if where.get(asked) in visible else False,
                # An id merged into a partner the caller may not read says nothing either.
                "merged": asked in merged and (not where[asked] or where[asked] in visible),
            }
            for asked in ids
        ]

    @api.model
    def client_merge_duplicates(self, groups):
        """Merge groups of duplicates in the background (crm.client.duplicate.run):
        ``groups`` is a list of groups, each a list of client ids or a dict with
        ``partner_ids`` (as client_find_duplicates answers) and optionally ``target_id``;
        without one, the oldest client (lowest number) is kept. Answers ``{"run_id",
        "groups"}``; the run tells each group's state and the reason of a failure."""
        if not self.env.su and not self.env.user.has_group("crm_clients.group_client_manager"):
            raise AccessError(self.env._("Only client administrators can merge clients."))
        parsed = self._client_parse_groups(groups)
        all_ids = {i for ids, _target in parsed for i in ids}
        found = self.with_context(active_test=False).search([("id", "in", list(all_ids)), ("is_client", "=", True)])
        if missing := sorted(all_ids - set(found.ids)):
            raise UserError(
                self.env._(
                    "These ids are not clients you can read: %(ids)s. Nothing was queued.",
                    ids=", ".join(str(i) for i in missing[:20]),
                )
            )
        names = dict(found.mapped(lambda p: (p.id, p.display_name)))
        found.mapped("client_number")  # read for every group at once: the kept clients below
        run = (
            self.env["crm.client.duplicate.run"]
            .sudo()
            .create(
                {
                    "user_id": self.env.uid,
                    "company_id": self.env.company.id,
                    "group_ids": [
                        fields.Command.create(
                            {
                                "partner_record_ids": ids,
                                # Named now (the merge names another one only if this
                                # one is merged away by an earlier group).
                                "target_record_id": target_id or self._client_merge_oldest(found.browse(ids)).id,
                                "names": ", ".join(names[i] for i in ids)[:500],
                            }
                        )
                        for ids, target_id in parsed
                    ],
                }
            )
        )
        self.env.ref("crm_clients.ir_cron_crm_client_duplicate_run").sudo()._trigger()
        return {"run_id": run.id, "groups": len(parsed)}

    @api.model
    def _client_parse_groups(self, groups):
        """[(ids, target id or None)] of client_merge_duplicates' ``groups``, checked."""
        run_max, group_max = RUN_MAX_GROUPS, GROUP_MAX_PARTNERS
        usage = self.env._(
            "groups must be a list of groups of at least two client ids (lists, or dicts with partner_ids and "
            "an optional target_id), at most %(groups)s groups of %(partners)s clients.",
            groups=format(run_max, ","),
            partners=group_max,
        )
        if not isinstance(groups, (list, tuple)) or not 0 < len(groups) <= run_max:
            raise UserError(usage)
        parsed = []
        for group in groups:
            target_id, members = None, group
            if isinstance(group, dict):
                if set(group) - {"partner_ids", "target_id", "reason", "key"}:
                    raise UserError(usage)
                target_id = group.get("target_id")
                members = group.get("partner_ids")
            if not isinstance(members, (list, tuple)) or any(
                isinstance(i, bool) or not isinstance(i, int) or not 0 < i < 2**31 for i in members
            ):
                raise UserError(usage)
            ids = list(dict.fromkeys(members))
            if not 2 <= len(ids) <= group_max:
                raise UserError(usage)
            if target_id is not None and (isinstance(target_id, bool) or target_id not in ids):
                raise UserError(
                    self.env._("The client kept (target_id %(id)s) must be one of its group.", id=repr(target_id))
                )
            parsed.append((ids, target_id))
        return parsed

    @api.model
    def _client_merge_default_target(self, ids):
        """The client a group keeps when none is named: the oldest (lowest number)."""
        return self._client_merge_oldest(self.with_context(active_test=False).browse(ids).exists()).id

    @api.model
    def _client_merge_oldest(self, partners):
        return partners.sorted(lambda p: (not p.client_number, p.client_number or "", p.id))[:1]

    @api.model
    def client_mark_not_duplicate(self, partner_ids):
        """These clients are not the same: client_find_duplicates, the duplicates a new
        client is told and client_upsert's never pair them again."""
        if not self.env.su and not self.env.user.has_group("crm_clients.group_client_manager"):
            raise AccessError(self.env._("Only client administrators can mark clients as not duplicates."))
        if (
            not isinstance(partner_ids, (list, tuple))
            or any(isinstance(i, bool) or not isinstance(i, int) for i in partner_ids)
            or not 2 <= len(set(partner_ids)) <= GROUP_MAX_PARTNERS
        ):
            raise UserError(
                self.env._(
                    "client_mark_not_duplicate needs a list of %(min)s to %(max)s client ids.",
                    min=2,
                    max=GROUP_MAX_PARTNERS,
                )
            )
        ids = sorted(set(partner_ids))
        found = self.with_context(active_test=False).search([("id", "in", ids), ("is_client", "=", True)])
        if missing := sorted(set(ids) - set(found.ids)):
            raise UserError(
                self.env._("These ids are not clients you can read: %(ids)s.", ids=", ".join(str(i) for i in missing))
            )
        Pair = self.env["crm.client.not.duplicate"].sudo()
        known = Pair._pairs_among(ids)
        new = [(a, b) for n, a in enumerate(ids) for b in ids[n + 1 :] if (a, b) not in known]
        Pair.create([{"partner_a_id": a, "partner_b_id": b} for a, b in new])
        return {"pairs": len(new)}

    # ---- Checks ----

    @api.model
    def _client_merge_check(self, source_ids, target_id):
        if not self.env.user.has_group("crm_clients.group_client_manager") and not self.env.su:
            raise AccessError(self.env._("Only client administrators can merge clients."))
        if (
            not isinstance(source_ids, (list, tuple))
            or not source_ids
            or any(isinstance(i, bool) or not isinstance(i, int) for i in [*source_ids, target_id])
        ):
            raise UserError(self.env._("client_merge needs a list of source ids and a target id."))
        asked = self.with_context(active_test=False).browse([target_id, *dict.fromkeys(source_ids)])
        found = asked.exists()  # one query for all of them
        # One prefetch for both: the rules' fields of target and sources read at once.
        target = (asked[:1] & found).with_prefetch(found._prefetch_ids)
        sources = (asked[1:] & found).with_prefetch(found._prefetch_ids)
        if not target:
            raise UserError(self.env._("The target client %(id)s does not exist.", id=target_id))
        if len(sources) != len(set(source_ids)):
            raise UserError(self.env._("Some of the clients to merge do not exist."))
        if target in sources:
            raise UserError(self.env._("%(client)s cannot be merged into itself.", client=target.display_name))
        target.check_access("write")
        sources.check_access("unlink")
        if clash := sources & target._client_ancestors():
            raise UserError(
                self.env._(
                    "%(client)s cannot be merged into %(target)s: it is one of its parents.",
                    client=clash[0].display_name,
                    target=target.display_name,
                )
            )
        companies = (sources | target).company_id
        if len(companies) > 1 or (companies and any(not p.company_id for p in sources | target)):
            raise UserError(self.env._("Clients of different companies cannot be merged."))
        if users := (sources.sudo().user_ids):
            raise UserError(
                self.env._(
                    "%(partner)s is the partner of a user and cannot be merged.",
                    partner=users[0].partner_id.display_name,
                )
            )
        return sources, target

    def _client_ancestors(self):
        self.ensure_one()
        ancestors = self.browse()
        parent = self.parent_id
        while parent and parent not in ancestors:
            ancestors |= parent
            parent = parent.parent_id
        return ancestors

    @api.model
    def _client_merge_choice_fields(self):
        """The fields whose surviving value a merge can choose, for this user."""
        return [name for name in _CHOICE_FIELDS if name in self._fields and self._fields[name].is_accessible(self.env)]

    def _client_merge_check_values(self, values, target):
        """``values`` of client_merge, checked: {field name: the partner whose value the
        target keeps}."""
        if values in (None, False):
            return {}
        if not isinstance(values, dict):
            raise UserError(
                self.env._("The values of a merge map field names to the id of the client whose value is kept.")
            )
        choosable = self._client_merge_choice_fields()
        partners = target | self
        choices = {}
        for fname, partner_id in values.items():
            if fname not in choosable:
                raise UserError(
                    self.env._(
                        "%(field)s cannot be chosen in a merge. Fields that can: %(fields)s.",
                        field=repr(fname),
                        fields=", ".join(choosable),
                    )
                )
            if isinstance(partner_id, bool) or not isinstance(partner_id, int) or partner_id not in partners.ids:
                raise UserError(
                    self.env._(
                        "The value kept for %(field)s must be one of the merged clients (%(ids)s), not %(value)s.",
                        field=self._fields[fname].string,
                        ids=", ".join(str(i) for i in partners.ids),
                        value=repr(partner_id),
                    )
                )
            choices[fname] = partners.browse(partner_id)
        return choices

    def _client_merge_differences(self, target):
        """{field: [{"partner_id", "value"}]} for the choosable fields where the partners
        differ, the target first, values as read() gives them."""
        names = self._client_merge_choice_fields()
        rows = (target + self).read(names)
        differences = {}
        for fname in names:
            compared = {
                json.dumps(self._client_merge_comparable(row[fname]), sort_keys=True, default=str) for row in rows
            }
            if len(compared) > 1:
                differences[fname] = [{"partner_id": row["id"], "value": row[fname]} for row in rows]
        return differences

    @api.model
    def _client_merge_comparable(self, value):
        if isinstance(value, tuple):  # many2one as read(): (id, name)
            return value[0]
        if isinstance(value, list) and all(isinstance(item, int) for item in value):
            return sorted(value)
        if isinstance(value, list):  # properties: their values only
            return [(item.get("name"), item.get("value")) for item in value if isinstance(item, dict)]
        return value or False

    def _client_merge_default_choices(self, target):
        """{field: partner} of the value each not-chosen field keeps (the target's, or the
        first source's when the target's is empty); None for a combination (stars, tags,
        users)."""
        partners = target + self
        defaults = {}
        for fname in self._client_merge_choice_fields():
            if fname in CHOICE_COMBINED:
                defaults[fname] = None
            else:
                defaults[fname] = next((p for p in partners if p[fname]), target)
        return defaults

    # ---- Counting ----

    def _client_merge_counts(self):
        """{model: number of its records that point to these partners}: what a merge of
        them would move, counted as the merge counts it (crm.client.merge._merge_counted):
        a record once, however many of its columns point to them. One query."""
        self.env.flush_all()  # counted in SQL
        Merge = self.env["crm.client.merge"]
        counted = Merge._merge_counted(tuple(self.ids))
        existing = Merge._merge_table_columns(list(counted))
        queries = [
            SQL(
                "SELECT %s, count(*) FROM %s t WHERE %s",
                table,
                SQL.identifier(table),
                SQL(" OR ").join(SQL("(%s)", condition) for condition in conditions),
            )
            for table, conditions in counted.items()
            if table in existing
        ]
        if not queries:
            return {}
        self.env.cr.execute(SQL(" UNION ALL ").join(queries))
        models_ = Merge._merge_table_models()
        return {models_.get(table, table): count for table, count in self.env.cr.fetchall() if count}

    # ---- Merging ----

    def _client_merge_into(self, target, choices=None, merge=None):
        lines = self._client_merge_line_models()
        chosen = self._client_merge_chosen_values(target, choices or {}, lines)  # before anything moves
        self.env["crm.client.change"]._feed_record_merged(self, target)  # before their references go
        self._client_merge_records(target, lines)
        self._client_merge_record_followers(target)
        self._client_merge_reference_fields(target)
        self._client_merge_values(target, chosen, lines)
        if merge:
            merge._merge_detach_attachments(self)
        self.env.invalidate_all()
        self.unlink()

    def _client_merge_line_models(self):
        """The line models (emails, phones) of which these partners have lines: of the
        others, nothing moves, no primary line changes and nothing is mirrored again."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                " UNION ALL ".join(
                    ["SELECT %s WHERE EXISTS (SELECT 1 FROM %s WHERE partner_id IN %s)"] * len(_CHANNELS)
                ),
                *(
                    arg
                    for model in _CHANNELS.values()
                    for arg in (model, SQL.identifier(self.env[model]._table), tuple(self.ids))
                ),
            )
        )
        return {row[0] for row in self.env.cr.fetchall()}

    def _client_merge_chosen_values(self, target, choices, line_models=None):
        """(values to write on the target, {line model: value of the line that becomes
        its primary one}), read before anything moves: the chosen partners' values for
        the fields named, and the primary email and phone the target keeps (its own, else
        the first source's)."""
        values = {}
        for fname, partner in choices.items():
            if fname in _CHANNELS:
                continue
            for name in (fname, *_CHOICE_COMPANIONS.get(fname, ())):
                values[name] = self._client_merge_value(partner, name)
        primaries = {}
        partners = target + self
        for fname, model in _CHANNELS.items():
            if line_models is not None and model not in line_models:
                continue  # the target's own primary line stays
            Line = self.env[model]
            value_field = Line._channel_value_field
            lines = Line.search([("partner_id", "in", partners.ids), ("is_primary", "=", True)])
            primary = {line.partner_id: line for line in lines}
            keeper = choices.get(fname) or (
                target if target in primary else next((p for p in self if p in primary), None)
            )
            if line := primary.get(keeper):
                primaries[model] = (line[value_field], line["extension"] if "extension" in Line._fields else None)
        return values, primaries

    def _client_merge_records(self, target, line_models=None):
        """Move every row pointing to these partners to the target: our own tables by
        their rules, any other foreign key as it is (a row that cannot move fails the
        merge). Shared with Odoo's merge wizard (base_partner_merge_automatic_wizard.py)."""
        self._client_merge_bank_accounts(target)
        self.env.flush_all()  # the moves are done in SQL
        self._client_merge_channels(target, line_models)
        self._client_merge_relations(target)
        self._client_merge_aliases(target)
        self._client_merge_followers(target)
        self.env.cr.execute(
            "DELETE FROM crm_client_not_duplicate WHERE partner_a_id IN %s OR partner_b_id IN %s",
            [tuple(self.ids), tuple(self.ids)],
        )
        contacts = self._client_merge_foreign_keys(target)
        self.env.invalidate_all()
        # Contacts moved in SQL: their full names and commercial partner (and those of
        # their own contacts) follow the target.
        self.env["res.partner"].browse(contacts).modified(["parent_id"])

    def _client_merge_bank_accounts(self, target):
        """Odoo's merge of bank accounts: a source's account that the target also has is
        merged into the target's (its payments and attachments move there) and archived
        (Odoo never deletes a bank account); that archived twin is then removed, as Odoo's
        wizard does. Run with fresh data: core's loop reads the target's accounts from a
        cache that misses those moved there by the same loop."""
        self.env["res.partner.bank"].flush_model(["partner_id"])
        self.env.cr.execute("SELECT 1 FROM res_partner_bank WHERE partner_id IN %s LIMIT 1", [tuple(self.ids)])
        if not self.env.cr.rowcount:
            return  # no account: nothing to merge, no cache to empty
        self.env.invalidate_all()
        self.env["base.partner.merge.automatic.wizard"].sudo()._merge_bank_accounts(self, target)
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """DELETE FROM res_partner_bank b USING res_partner_bank t
                    WHERE b.partner_id IN %s AND NOT b.active
                      AND t.partner_id = %s AND t.sanitized_acc_number = b.sanitized_acc_number""",
                tuple(self.ids),
                target.id,
            )
        )
        self.env.invalidate_all()

    def _client_merge_channels(self, target, line_models=None):
        """Lines move to the target; two lines with the same value become one, locked if
        either was. ``line_models``: the models of which the sources have lines (all when
        None)."""
        for model in ("crm.client.email", "crm.client.phone"):
            if line_models is not None and model not in line_models:
                continue
            Line = self.env[model].with_context(**switch_on(MERGE))
            value_field = Line._channel_value_field
            extra = ("extension",) if "extension" in Line._fields else ()
            kept = {
                tuple(line[f] for f in (value_field, *extra)): line
                for line in Line.search([("partner_id", "=", target.id)])
            }
            has_primary = any(line.is_primary for line in kept.values())
            for line in Line.search([("partner_id", "in", self.ids)], order="is_primary desc, sequence, id"):
                key = tuple(line[f] for f in (value_field, *extra))
                if twin := kept.get(key):
                    updates = {"locked": twin.locked or line.locked}
                    if model == "crm.client.email":
                        updates["is_invoicing"] = twin.is_invoicing or line.is_invoicing
                    else:
                        updates["is_whatsapp"] = twin.is_whatsapp or line.is_whatsapp
                    for fname in ("contact_name", "role", "note"):
                        if not twin[fname] and line[fname]:
                            updates[fname] = line[fname]
                    super(type(Line), twin).write(updates)
                    super(type(Line), line).unlink()
                else:
                    super(type(Line), line).write(
                        {"partner_id": target.id, "is_primary": line.is_primary and not has_primary, "is_mobile": False}
                        if "is_mobile" in Line._fields
                        else {"partner_id": target.id, "is_primary": line.is_primary and not has_primary}
                    )
                    has_primary = has_primary or line.is_primary
                    kept[key] = line
        return True

    def _client_merge_relations(self, target):
        Relation = self.env["crm.client.relation"]
        relations = Relation.search(["|", ("left_partner_id", "in", self.ids), ("right_partner_id", "in", self.ids)])
        for relation in relations:
            left = target if relation.left_partner_id in self else relation.left_partner_id
            right = target if relation.right_partner_id in self else relation.right_partner_id
            if left == right:
                relation.unlink()  # it would link the target to itself
                continue
            twin = Relation.search(
                [
                    ("id", "!=", relation.id),
                    ("type_id", "=", relation.type_id.id),
                    ("left_partner_id", "=", left.id),
                    ("right_partner_id", "=", right.id),
                    ("date_start", "=", relation.date_start),
                    ("date_end", "=", relation.date_end),
                ],
                limit=1,
            )
            if twin:
                relation.unlink()  # the very same relation exists on the target
            else:
                relation.with_context(**switch_on(MERGE)).write(
                    {"left_partner_id": left.id, "right_partner_id": right.id}
                )

    def _client_merge_aliases(self, target):
        Alias = self.env["crm.client.external.ref.alias"]
        Alias.search([("partner_id", "in", self.ids)]).write({"partner_id": target.id})
        refs = [(source.external_ref, source.company_id.id) for source in self if source.external_ref]
        # Not written through the ORM (no tracking, no sync to contacts): the sources go,
        # their reference is named in the merge's log and an undo gives it back.
        self.flush_recordset(["external_ref"])
        self.env.cr.execute(
            "UPDATE res_partner SET external_ref = NULL WHERE id IN %s AND external_ref IS NOT NULL", [tuple(self.ids)]
        )
        self.invalidate_recordset(["external_ref"])
        if not refs:
            return
        try:
            with mute_logger("odoo.sql_db"), self.env.cr.savepoint():
                Alias.create(
                    [{"partner_id": target.id, "external_ref": ref, "company_id": company} for ref, company in refs]
                )
        except errors.UniqueViolation as exc:
            # Another merge of the same source committed meanwhile: Odoo replays this
            # request, which then finds the source gone and says so.
            raise ConcurrentMerge(str(exc)) from exc

    def _client_merge_followers(self, target):
        """Sources following a record the target (or another source) follows too: one
        follower, the target's (else the first source's)."""
        self.env.cr.execute(
            SQL(
                """
                DELETE FROM mail_followers f
                 USING mail_followers t
                 WHERE f.partner_id IN %(sources)s
                   AND t.res_model = f.res_model AND t.res_id = f.res_id
                   AND (t.partner_id = %(target)s OR (t.partner_id IN %(sources)s AND t.id < f.id))
                """,
                sources=tuple(self.ids),
                target=target.id,
            )
        )
        self.env.cr.execute(
            SQL("UPDATE mail_followers SET partner_id = %s WHERE partner_id IN %s", target.id, tuple(self.ids))
        )

    def _client_merge_record_followers(self, target):
        """The followers of the sources' records become the target's: a partner following
        several of them (or the target already) stays one follower. Core moves them all at
        once and, when two clash, deletes every follower of the source instead."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                DELETE FROM mail_followers f
                 WHERE f.res_model = 'res.partner' AND f.res_id IN %(sources)s
                   AND EXISTS (
                        SELECT 1 FROM mail_followers o
                         WHERE o.res_model = 'res.partner' AND o.partner_id = f.partner_id
                           AND (o.res_id = %(target)s OR (o.res_id IN %(sources)s AND o.id < f.id))
                   )
                """,
                sources=tuple(self.ids),
                target=target.id,
            )
        )
        self.env["mail.followers"].invalidate_model()

    def _client_merge_reference_fields(self, target):
        """What names a source by model and id (messages, activities, attachments,
        followers, external ids), by a reference field, by a company-dependent many2one
        or by a default value now names the target, and the target gets the sources'
        company-specific values where it has none: core's _update_reference_fields, in a
        statement per table instead of a search and a write per model and source (its
        write on ir.model.data, even of no row, emptied every cache of the registry)."""
        cr = self.env.cr
        sources, model = tuple(self.ids), self._name
        self.env.flush_all()
        # [(model, fields, UPDATE ... RETURNING id)], at most one per table: they run as
        # one statement, and one statement must not change a row twice.
        updates = []
        for table, model_column, Model in self._client_merge_record_tables():
            update = SQL(
                "UPDATE %(table)s SET res_id = %(target)s WHERE %(model_column)s = %(model)s AND res_id IN %(sources)s%(extra)s RETURNING id",
                table=SQL.identifier(table),
                model_column=SQL.identifier(model_column),
                model=model,
                target=target.id,
                sources=sources,
                # Core moves the files attached to a source, not those of its binary
                # fields (they go with it: _merge_detach_attachments).
                extra=SQL(" AND res_field IS NULL") if table == "ir_attachment" else SQL(),
            )
            updates.append((Model, ["res_id"], update))
        references, new_reference = tuple(f"{model},{record_id}" for record_id in sources), f"{model},{target.id}"
        by_table = {}
        for Model, fname in self.env["crm.client.merge"]._merge_reference_columns():
            if not Model._fields[fname].compute:  # a computed one follows what moves
                by_table.setdefault(Model._table, (Model, []))[1].append(fname)
        for table, (Model, fnames) in by_table.items():
            update = SQL(
                "UPDATE %s SET %s WHERE %s RETURNING id",
                SQL.identifier(table),
                SQL(", ").join(
                    SQL(
                        "%s = CASE WHEN %s IN %s THEN %s ELSE %s END",
                        *([SQL.identifier(f)] * 2),
                        references,
                        new_reference,
                        SQL.identifier(f),
                    )
                    for f in fnames
                ),
                SQL(" OR ").join(SQL("%s IN %s", SQL.identifier(f), references) for f in fnames),
            )
            updates.append((Model, fnames, update))
        # Company-dependent many2ones ({company: id}) naming a source: only the rows that
        # do (core rewrites every row that has a value).
        jsonpath = "$.* ? ({})".format(" || ".join(f"@ == {record_id}" for record_id in sources))
        for field in self.env.registry.many2one_company_dependents[model]:
            Model = self.env[field.model_name]
            update = SQL(
                """UPDATE %(table)s t SET %(field)s = (
                       SELECT jsonb_object_agg(key, CASE WHEN value::int IN %(sources)s THEN %(target)s ELSE value::int END)
                         FROM jsonb_each_text(t.%(field)s))
                    WHERE t.%(field)s @? %(jsonpath)s::jsonpath RETURNING t.id""",
                table=SQL.identifier(Model._table),
                field=SQL.identifier(field.name),
                sources=sources,
                target=target.id,
                jsonpath=jsonpath,
            )
            updates.append((Model, [field.name], update))
        # Defaults naming a source.
        update = SQL(
            """UPDATE ir_default d SET json_value = %(target)s
                 FROM ir_model_fields f
                WHERE f.id = d.field_id AND f.company_dependent AND f.relation = %(model)s
                  AND f.ttype = 'many2one' AND d.json_value IN %(sources)s RETURNING d.id""",
            target=str(target.id),
            model=model,
            sources=tuple(str(record_id) for record_id in sources),
        )
        updates.append((self.env["ir.default"], ["json_value"], update))
        moved = defaultdict(list)  # index in updates -> ids changed
        alone = [
            i for i, (Model, _f, _u) in enumerate(updates) if [u[0]._table for u in updates].count(Model._table) > 1
        ]
        together = [i for i in range(len(updates)) if i not in alone]
        if together:
            cr.execute(
                SQL(
                    "WITH %s %s",
                    SQL(", ").join(SQL("%s AS (%s)", SQL.identifier(f"moved_{i}"), updates[i][2]) for i in together),
                    SQL(" UNION ALL ").join(
                        SQL("SELECT %s, id FROM %s", i, SQL.identifier(f"moved_{i}")) for i in together
                    ),
                )
            )
            for index, record_id in cr.fetchall():
                moved[index].append(record_id)
        for index in alone:
            cr.execute(updates[index][2])
            moved[index] += [row[0] for row in cr.fetchall()]
        if any(
            moved.get(i) for i, (Model, _f, _u) in enumerate(updates) if Model._name in ("ir.model.data", "ir.default")
        ):
            self.env.registry.clear_cache()  # the external ids and defaults Odoo keeps in memory
        # The sources' company-specific values fill the target's (the later source
        # winning), as core's merge does.
        if company_fields := [fname for fname, field in self._fields.items() if field.company_dependent]:
            cr.execute(
                SQL(
                    "UPDATE res_partner t SET %s FROM (SELECT %s) agg WHERE t.id = %s AND (%s)",
                    SQL(", ").join(
                        SQL(
                            "%(f)s = CASE WHEN agg.%(f)s IS NULL THEN t.%(f)s ELSE agg.%(f)s || COALESCE(t.%(f)s, '{}'::jsonb) END",
                            f=SQL.identifier(fname),
                        )
                        for fname in company_fields
                    ),
                    SQL(", ").join(
                        SQL(
                            "(SELECT jsonb_object_agg(e.key, e.value ORDER BY s2.id) FROM res_partner s2, jsonb_each(s2.%(f)s) e WHERE s2.id IN %(sources)s) AS %(f)s",
                            f=SQL.identifier(fname),
                            sources=sources,
                        )
                        for fname in company_fields
                    ),
                    target.id,
                    SQL(" OR ").join(SQL("agg.%s IS NOT NULL", SQL.identifier(fname)) for fname in company_fields),
                )
            )
            target.invalidate_recordset(company_fields)
        for index, ids in moved.items():
            Model, fnames, _update = updates[index]
            records = Model.browse(ids)
            records.invalidate_recordset(fnames)
            records.modified(fnames)

    def _client_merge_record_tables(self):
        """[(table, its model column, model)] of the records attached by model and id."""
        # Their tables are named after their models (mail_message: mail.message).
        models_ = ((table, column, table.replace("_", ".")) for table, column in RECORD_TABLES)
        return [(table, column, self.env[name].sudo()) for table, column, name in models_ if name in self.env]

    def _client_merge_foreign_keys(self, target):
        """Every other column pointing to a source now points to the target. A row that
        cannot move (a unique constraint) fails the merge, in its savepoint; nothing is
        deleted. Answers the ids of the contacts moved."""
        cr = self.env.cr
        contacts = []
        refused = self.env._(
            "The clients cannot be merged: %(table)s has records of both that cannot become one "
            "(%(detail)s). Merge or remove them first; nothing was changed."
        )
        for table, column, other in self._client_merge_pointing_columns():
            if other:
                # A many2many table: the target gets the sources' links it does not have.
                cr.execute(
                    SQL(
                        """INSERT INTO %(table)s (%(column)s, %(other)s)
                           SELECT DISTINCT %(target)s, %(other)s FROM %(table)s WHERE %(column)s IN %(sources)s
                           ON CONFLICT DO NOTHING""",
                        table=SQL.identifier(table),
                        column=SQL.identifier(column),
                        other=SQL.identifier(other),
                        target=target.id,
                        sources=tuple(self.ids),
                    )
                )
                cr.execute(
                    SQL("DELETE FROM %s WHERE %s IN %s", SQL.identifier(table), SQL.identifier(column), tuple(self.ids))
                )
                continue
            try:
                # No savepoint of its own: a row that cannot move fails the whole
                # merge, whose savepoint takes everything back.
                is_contact = (table, column) == ("res_partner", "parent_id")
                cr.execute(
                    SQL(
                        "UPDATE %s SET %s = %s WHERE %s IN %s%s",
                        SQL.identifier(table),
                        SQL.identifier(column),
                        target.id,
                        SQL.identifier(column),
                        tuple(self.ids),
                        SQL(" RETURNING id") if is_contact else SQL(),
                    ),
                    log_exceptions=False,
                )
                if is_contact:
                    contacts = [row[0] for row in cr.fetchall()]
            except errors.UniqueViolation as exc:
                # The transaction is aborted until the merge's savepoint is rolled back:
                # the message was translated before (reading the language reads the
                # database).
                raise UserError(
                    refused % {"table": table, "detail": exc.diag.message_detail or exc.diag.message_primary}
                ) from exc
        return contacts

    def _client_merge_pointing_columns(self):
        """[(table, column, the other column of a many2many table or None)] of the foreign
        keys that _client_merge_foreign_keys moves and that hold one of these partners:
        one query for every column, so that a merge costs what it moves, not what is
        installed."""
        Merge = self.env["crm.client.merge"]
        keys = [
            (table, column)
            for table, column in Merge._merge_fk_on("res_partner")
            if (table, column) not in _OWN_TABLES | _RECOMPUTED and "base_partner_merge_" not in table
        ]
        if not keys:
            return []
        self.env.cr.execute(
            SQL(" UNION ALL ").join(
                SQL(
                    "SELECT %s, %s WHERE EXISTS (SELECT 1 FROM %s WHERE %s IN %s)",
                    table,
                    column,
                    SQL.identifier(table),
                    SQL.identifier(column),
                    tuple(self.ids),
                )
                for table, column in keys
            )
        )
        pointing = self.env.cr.fetchall()
        schema = Merge._merge_table_columns([table for table, _column in pointing])
        result = []
        for table, column in pointing:
            # A many2many table: two columns, no id (a table of one partner column and an
            # id holds records, which move).
            others = [name for name in schema.get(table, ()) if name != column]
            link = len(others) == 1 and "id" not in others
            result.append((table, column, others[0] if link else None))
        return result

    def _client_merge_values(self, target, chosen=None, line_models=None):
        """The target keeps its number, reference and status; the values chosen win;
        otherwise it gets the best stars, every type, tag and assigned user, and its empty
        fields are filled from the first source that has them."""
        chosen_values, primaries = chosen or ({}, {})
        values = {}
        if "priority" not in chosen_values:
            values["priority"] = max([target.priority or "0", *(s.priority or "0" for s in self)])
        tags = self.category_id - target.category_id
        if tags and "category_id" not in chosen_values:
            values["category_id"] = [(4, tag.id) for tag in tags]
        for fname in self._client_merge_choice_fields():
            if fname in chosen_values or fname in CHOICE_COMBINED or fname in _CHANNELS or fname == "name":
                continue
            donor = next((s for s in self if s[fname]), None)
            if not target[fname] and donor:
                for name in (fname, *_CHOICE_COMPANIONS.get(fname, ())):
                    values[name] = self._client_merge_value(donor, name)
        values.update(chosen_values)
        if changes := self._client_merge_changes(target, values):
            target.write(changes)  # nothing to write: no write (its tracking, its sync to contacts)
        for model, (value, extension) in primaries.items():
            self._client_merge_set_primary(target, model, value, extension)
        # A primary line that came from a source now mirrors into the target's own field.
        for model in ("crm.client.email", "crm.client.phone"):
            if line_models is None or model in line_models:
                self.env[model]._channel_sync_partners(target)

    @api.model
    def _client_merge_value(self, partner, fname):
        """``partner``'s value of ``fname``, to write on the target."""
        field = partner._fields[fname]
        if field.type == "properties":
            # {name: value}: a list (the read format) would rewrite the definitions.
            return dict(partner[fname] or {})
        return field.convert_to_write(partner[fname], partner)

    @api.model
    def _client_merge_changes(self, target, values):
        """The values that change something on the target (a form-like write of the same
        value would still count as a change: the change feed, the chatter)."""
        changes = {}
        for fname, value in values.items():
            field = target._fields[fname]
            current = self._client_merge_value(target, fname)
            if field.type in ("many2many", "one2many") or current != value:
                changes[fname] = value
        return changes

    @api.model
    def _client_merge_set_primary(self, target, model, value, extension):
        Line = self.env[model].with_context(**switch_on(MERGE))
        value_field = Line._channel_value_field
        lines = Line.search([("partner_id", "=", target.id)])
        keep = next(
            (
                line
                for line in lines
                if line[value_field] == value and (extension is None or (line.extension or None) == (extension or None))
            ),
            None,
        )
        if not keep or keep.is_primary:
            return
        if current := lines.filtered("is_primary"):
            super(type(Line), current).write({"is_primary": False})
            current.flush_recordset(["is_primary"])
        super(type(Line), keep).write({"is_primary": True})

    @api.model
    def _client_merge_post_logs(self, logs):
        """Say on each target what was merged into it: ``logs`` is a list of (target id,
        summary rows), emptied; one message per merge, written together."""
        while logs:
            bodies, later = {}, []
            for target_id, summary in logs:
                if target_id in bodies:
                    later.append((target_id, summary))  # a second merge into it: its own message
                else:
                    bodies[target_id] = Markup("%s%s") % (
                        self.env._("Merged into this client:"),
                        self._client_merge_summary_html(summary),
                    )
            self.browse(list(bodies))._message_log_batch(bodies)
            logs[:] = later

    def _client_merge_summary_html(self, summary):
        """The merged clients as a list: name, number and reference of each."""
        items = Markup("").join(
            Markup("<li>%s</li>")
            % self.env._(
                "%(name)s (number %(number)s, reference %(ref)s)",
                name=name,
                number=number or "-",
                ref=ref or "-",
            )
            for name, number, ref in summary
        )
        return Markup("<ul>%s</ul>") % items

    # ---- Merged ids ----

    @api.model
    def _client_resolve_chains(self, ids):
        """({id: the id holding it now, or False}, {ids merged away}): one query per
        merge hop for all the ids at once."""
        Partner = self.sudo().with_context(active_test=False)
        alive = set(Partner.browse(list(ids)).exists().ids)
        where = {i: i if i in alive else False for i in ids}
        merged = set()
        pending = {i: i for i in ids if i not in alive}  # asked id -> the id looked for now
        for _hop in range(64):  # a chain is as long as the merges of merges
            if not pending:
                break
            self.env.cr.execute(
                """SELECT s.partner_record_id, m.target_record_id
                     FROM crm_client_merge_source s JOIN crm_client_merge m ON m.id = s.merge_id
                    WHERE m.state != 'undone' AND s.partner_record_id IN %s
                    ORDER BY m.id""",
                [tuple(set(pending.values()))],
            )
            into = dict(self.env.cr.fetchall())
            holders = set(Partner.browse(list(set(into.values()))).exists().ids)
            following = {}
            for asked, looked_for in pending.items():
                if looked_for not in into:
                    continue  # never merged (unknown or deleted), or merged into one deleted since
                merged.add(asked)
                if into[looked_for] in holders:
                    where[asked] = into[looked_for]
                else:
                    following[asked] = into[looked_for]
            pending = following
        return where, merged
