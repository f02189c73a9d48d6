"""client_merge / client_merge_preview (see CONTRACT.md).

Everything that points to a source ends up on the target. Our own tables are merged with
their rules (duplicate email / phone lines collapse, a locked line wins; relations that
would link the target to itself are dropped); every other foreign key and reference field
is moved with Odoo's generic machinery, except that a conflicting row makes the whole call
fail with a clear error instead of being deleted (core's wizard deletes it). The whole
merge runs in one savepoint: it happens entirely or not at all.
"""

from markupsafe import Markup
from psycopg2 import errorcodes, errors

from odoo import api, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, mute_logger

from ..tools.internal import MERGE
from ..tools.internal import switch_on


class ConcurrentMerge(errors.SerializationFailure):
    """A concurrent merge changed the same clients: replayed by Odoo."""

    pgcode = errorcodes.SERIALIZATION_FAILURE


# Foreign keys merged by their own rules below, not moved blindly.
_OWN_TABLES = {
    ("crm_client_email", "partner_id"),
    ("crm_client_phone", "partner_id"),
    ("crm_client_relation", "left_partner_id"),
    ("crm_client_relation", "right_partner_id"),
    ("crm_client_external_ref_alias", "partner_id"),
    ("mail_followers", "partner_id"),
}


class ResPartner(models.Model):
    _inherit = "res.partner"

    # ---- Public API ----

    @api.model
    def client_merge_preview(self, source_ids, target_id):
        """What client_merge would do, without changing anything."""
        sources, target = self._client_merge_check(source_ids, target_id)
        return {"target_id": target.id, "merged_ids": sources.ids, "moved": sources._client_merge_counts()}

    @api.model
    def client_merge(self, source_ids, target_id):
        sources, target = self._client_merge_check(source_ids, target_id)
        moved = sources._client_merge_counts()
        summary = [(s.display_name, s.client_number, s.external_ref) for s in sources]
        merged_ids = sources.ids
        with self.env.cr.savepoint():
            sources.sudo().with_context(**switch_on(MERGE))._client_merge_into(
                target.sudo().with_context(**switch_on(MERGE))
            )
        target._client_merge_log(summary)
        return {"target_id": target.id, "merged_ids": merged_ids, "moved": moved}

    # ---- Checks ----

    @api.model
    def _client_merge_check(self, source_ids, target_id):
        if not self.env.user.has_group("crm_clients.group_client_manager") and not self.env.su:
            raise AccessError(self.env._("Only client administrators can merge clients."))
        if not isinstance(source_ids, (list, tuple)) or not source_ids or not isinstance(target_id, int):
            raise UserError(self.env._("client_merge needs a list of source ids and a target id."))
        target = self.with_context(active_test=False).browse(target_id).exists()
        sources = self.with_context(active_test=False).browse(list(dict.fromkeys(source_ids))).exists()
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

    # ---- Counting ----

    def _client_merge_counts(self):
        """{model: number of its records that point to these partners}."""
        self.env.flush_all()  # counted in SQL
        cr = self.env.cr
        tables = {Model._table: name for name, Model in self.env.registry.items() if not Model._abstract}
        counts = {}

        def add(model, count):
            if count:
                counts[model] = counts.get(model, 0) + count

        # One count per table: a record pointing to the sources through several columns
        # (an order's customer, invoice and delivery addresses) is one record moved.
        columns_by_table = {}
        for table, column in self.env["base.partner.merge.automatic.wizard"]._get_fk_on("res_partner"):
            if table == "res_partner" and column == "commercial_partner_id":
                continue  # follows parent_id
            columns_by_table.setdefault(table, []).append(column)
        for table, columns in columns_by_table.items():
            cr.execute("SELECT 1 FROM information_schema.columns WHERE table_name = %s AND column_name = 'id'", [table])
            counted = SQL("count(DISTINCT id)") if cr.rowcount else SQL("count(*)")
            condition = SQL(" OR ").join(SQL("%s IN %s", SQL.identifier(column), tuple(self.ids)) for column in columns)
            cr.execute(SQL("SELECT %s FROM %s WHERE %s", counted, SQL.identifier(table), condition))
            add(tables.get(table, table), cr.fetchone()[0])
        for model, fields in (
            ("mail.message", ("model", "res_id")),
            ("ir.attachment", ("res_model", "res_id")),
            ("mail.activity", ("res_model", "res_id")),
            ("mail.followers", ("res_model", "res_id")),
        ):
            if model in self.env:
                add(
                    model,
                    self.env[model].sudo().search_count([(fields[0], "=", "res.partner"), (fields[1], "in", self.ids)]),
                )
        return counts

    # ---- Merging ----

    def _client_merge_into(self, target):
        self.env["crm.client.change"]._feed_record_merged(self, target)  # before their references go
        self._client_merge_records(target)
        self.env["base.partner.merge.automatic.wizard"].sudo()._update_reference_fields(self, target)
        self._client_merge_values(target)
        self.env.invalidate_all()
        self.unlink()

    def _client_merge_records(self, target):
        """Move every row pointing to these partners to the target: our own tables by
        their rules, any other foreign key as it is (a row that cannot move fails the
        merge). Shared with Odoo's merge wizard (base_partner_merge_automatic_wizard.py)."""
        self._client_merge_bank_accounts(target)
        self.env.flush_all()  # the moves are done in SQL
        self._client_merge_channels(target)
        self._client_merge_relations(target)
        self._client_merge_aliases(target)
        self._client_merge_followers(target)
        self._client_merge_foreign_keys(target)
        self.env.invalidate_all()

    def _client_merge_bank_accounts(self, target):
        """Odoo's merge of bank accounts: a source's account that the target also has is
        merged into the target's (its payments and attachments move there) and archived
        (Odoo never deletes a bank account); that archived twin is then removed, as Odoo's
        wizard does. Run with fresh data: core's loop reads the target's accounts from a
        cache that misses those moved there by the same loop."""
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

    def _client_merge_channels(self, target):
        """Lines move to the target; two lines with the same value become one, locked if
        either was."""
        for model in ("crm.client.email", "crm.client.phone"):
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
        self.write({"external_ref": False})
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
        """A source following a record the target already follows: one follower."""
        self.env.cr.execute(
            SQL(
                """
                DELETE FROM mail_followers f
                 USING mail_followers t
                 WHERE f.partner_id IN %s AND t.partner_id = %s
                   AND t.res_model = f.res_model AND t.res_id = f.res_id
                """,
                tuple(self.ids),
                target.id,
            )
        )
        self.env.cr.execute(
            SQL("UPDATE mail_followers SET partner_id = %s WHERE partner_id IN %s", target.id, tuple(self.ids))
        )

    def _client_merge_foreign_keys(self, target):
        """Every other column pointing to a source now points to the target. A row that
        cannot move (a unique constraint) fails the merge; nothing is deleted."""
        cr = self.env.cr
        wizard = self.env["base.partner.merge.automatic.wizard"]
        for table, column in wizard._get_fk_on("res_partner"):
            if (table, column) in _OWN_TABLES or "base_partner_merge_" in table:
                continue
            cr.execute(
                "SELECT count(*) FROM information_schema.columns WHERE table_name = %s AND column_name != %s",
                [table, column],
            )
            if cr.fetchone()[0] <= 1:
                # A many2many table: the target gets the sources' links it does not have.
                cr.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = %s AND column_name != %s",
                    [table, column],
                )
                other = cr.fetchone()[0]
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
                with mute_logger("odoo.sql_db"), cr.savepoint(flush=False):
                    cr.execute(
                        SQL(
                            "UPDATE %s SET %s = %s WHERE %s IN %s",
                            SQL.identifier(table),
                            SQL.identifier(column),
                            target.id,
                            SQL.identifier(column),
                            tuple(self.ids),
                        )
                    )
            except errors.UniqueViolation as exc:
                raise UserError(
                    self.env._(
                        "The clients cannot be merged: %(table)s has records of both that cannot become one "
                        "(%(detail)s). Merge or remove them first; nothing was changed.",
                        table=table,
                        detail=exc.diag.message_detail or exc.diag.message_primary,
                    )
                ) from exc

    def _client_merge_values(self, target):
        """The target keeps its number, reference and status; gets the best stars, every
        type and tag, and fills its empty fields from the sources."""
        values = {"priority": max([target.priority or "0", *(s.priority or "0" for s in self)])}
        for fname in ("is_buyer", "is_supplier", "is_workshop"):
            if not target[fname] and any(s[fname] for s in self):
                values[fname] = True
        tags = self.category_id - target.category_id
        if tags:
            values["category_id"] = [(4, tag.id) for tag in tags]
        for fname in ("legal_name", "vat", "regon", "krs", "street", "street2", "zip", "city", "website", "comment"):
            donor = next((s for s in self if s[fname]), None)
            if not target[fname] and donor:
                values[fname] = donor[fname]
        target.write(values)
        # A primary line that came from a source now mirrors into the target's own field.
        for model in ("crm.client.email", "crm.client.phone"):
            self.env[model]._channel_sync_partners(target)

    def _client_merge_log(self, summary):
        self._message_log(
            body=Markup("%s%s") % (self.env._("Merged into this client:"), self._client_merge_summary_html(summary))
        )

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
