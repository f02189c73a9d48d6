"""client_changes: the change feed read by integrators (crm.client.change records it)."""

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from .crm_client_change import _CURSOR
from .crm_client_change import _OWN_FIELDS
from .crm_client_change import _TECHNICAL
from .crm_client_change import MAX_LIMIT
from .crm_client_change import PRUNED
from .crm_client_change import TABLE
from .crm_client_change import ChangeCursorExpired
from .crm_client_change import ChangeCursorInvalid
from .crm_client_change import ChangeLimitInvalid


class ResPartner(models.Model):
    _inherit = "res.partner"

    @api.model
    @api.readonly
    def client_changes(self, cursor=False, limit=1000):
        """Every change of the clients the caller may read, after ``cursor`` (an earlier
        answer's), oldest first: ``{"changes": [...], "cursor": str, "more": bool}``
        (docs/API.md, "Change feed"). Reads only."""
        if not self.env.su and not self.env.user._is_internal():
            raise AccessError(self.env._("Only internal users can read the client change feed."))
        self.check_access("read")
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
            raise ChangeLimitInvalid(
                self.env._("The limit must be a whole number from 1 to %(max)s.", max=format(MAX_LIMIT, ","))
            )
        # One snapshot for the whole call (Odoo reads in REPEATABLE READ): its xmin is the
        # horizon below which every transaction has finished.
        self.env.cr.execute("SELECT xmin, xmax FROM crm_client_change_snapshot()")
        horizon, xmax = self.env.cr.fetchone()
        position = self._client_changes_position(cursor, xmax)
        rows, position, more = self._client_changes_rows(position, limit, horizon)
        return {
            "changes": self._client_changes_visible(rows),
            "cursor": f"{position[0]}.{position[1]}",
            "more": more,
        }

    @api.model
    def _client_changes_position(self, cursor, xmax):
        """The (transaction, row) position to read after; refuses a cursor that is not
        one of ours, or that is older than the entries kept."""
        cr = self.env.cr
        start_again = self.env._(
            "Start again from a full read of the clients, then follow the feed from the cursor of a new first read."
        )
        if cursor in (False, None, ""):
            parsed = None
        elif isinstance(cursor, str) and (match := _CURSOR.match(cursor.strip())):
            parsed = (int(match.group(1)), int(match.group(2)))
        else:
            raise ChangeCursorInvalid(
                self.env._(
                    "%(cursor)s is not a cursor of the client change feed: pass the cursor of an earlier answer, "
                    "or none to start from the oldest change kept.",
                    cursor=repr(cursor)[:80],
                )
            )
        cr.execute(SQL("SELECT xact, id, kind FROM %s ORDER BY xact, id LIMIT 1", SQL.identifier(TABLE)))
        first = cr.fetchone()
        pruned_to = (first[0], first[1]) if first and first[2] == PRUNED else None
        if parsed is None:
            return pruned_to or (0, 0)
        if pruned_to and parsed < pruned_to:
            raise ChangeCursorExpired(
                self.env._(
                    "This cursor is older than the changes kept (%(days)s days): some changes after it were "
                    "removed. %(start_again)s",
                    days=self.env["crm.client.change"]._feed_retention_days(),
                    start_again=start_again,
                )
            )
        if parsed[0] >= xmax and not self._client_changes_on_replica():
            # On a replica behind the primary (Odoo's --db_replica_host), a cursor the
            # primary gave is ahead of what the replica has replayed: nothing new yet.
            raise ChangeCursorExpired(
                self.env._(
                    "This cursor was not given by this database (another database, or this one restored "
                    "from a backup). %(start_again)s",
                    start_again=start_again,
                )
            )
        return parsed

    @api.model
    def _client_changes_on_replica(self):
        self.env.cr.execute("SELECT pg_is_in_recovery()")
        return self.env.cr.fetchone()[0]

    @api.model
    def _client_changes_rows(self, position, limit, horizon):
        """(rows, new position, more) after ``position``: rows of finished transactions
        only; a page ends at a transaction's end whenever the transaction fits in it."""
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                SELECT c.xact, c.id, c.partner_id, c.kind, c.fields, c.into_id, c.company_id, c.external_ref, c.at
                  FROM %(table)s c
                 WHERE (c.xact, c.id) > (%(xact)s, %(id)s) AND c.xact < %(horizon)s
                 ORDER BY c.xact, c.id
                 LIMIT %(limit)s
                """,
                table=SQL.identifier(TABLE),
                xact=position[0],
                id=position[1],
                horizon=horizon,
                limit=limit + 1,
            )
        )
        rows = cr.fetchall()
        more = len(rows) > limit
        if more:
            extra, rows = rows[limit], rows[:limit]
            if extra[0] == rows[-1][0] and rows[0][0] != rows[-1][0]:
                # The last transaction goes on in the next page: it is all given there.
                rows = [row for row in rows if row[0] != extra[0]]
        if rows:
            position = (rows[-1][0], rows[-1][1])
        return [row for row in rows if row[3] != PRUNED], position, more

    @api.model
    def _client_changes_visible(self, rows):
        """The changes of ``rows`` the caller may see, one per client and transaction."""
        if not rows:
            return []
        relevant = {}  # field name -> reported or not, decided once per name
        groups = {}  # (xact, partner) -> rows, in order of their first row
        for row in rows:
            names = self._client_changes_field_names(row[4], relevant)
            if row[3] == "updated" and not names:
                continue  # only technical or computed columns changed
            groups.setdefault((row[0], row[2]), []).append((row, names))
        partner_ids = {partner_id for _xact, partner_id in groups}
        readable, gone = self._client_changes_access(partner_ids)
        changes = []
        for (_xact, partner_id), members in groups.items():
            if partner_id in readable:
                external_ref = readable[partner_id]
            elif partner_id in gone:
                external_ref = gone[partner_id]
            else:
                continue
            changes.append(self._client_changes_summary(partner_id, external_ref, members))
        return changes

    @api.model
    def _client_changes_field_names(self, names, relevant):
        """The names to report: a contact's or billing entity's field counts as a change
        of the client field that holds it when the field itself would be reported."""
        reported = set()
        for name in names or ():
            holder, _dot, field = name.partition(".")
            key = field or holder
            if key not in relevant:
                relevant[key] = self._client_changes_reports(key)
            if relevant[key]:
                reported.add(holder)
        return reported

    @api.model
    def _client_changes_reports(self, name):
        if name in _OWN_FIELDS:
            return True
        field = self._fields.get(name)
        if not field or name in _TECHNICAL or (field.compute and field.readonly):
            return False
        return field.is_accessible(self.env)

    @api.model
    def _client_changes_access(self, partner_ids):
        """({id: external_ref} of the existing partners the caller may read that are or
        were clients, {id: external_ref} of deleted clients the caller may see)."""
        readable = {
            partner.id: partner.external_ref or False
            for partner in self.with_context(active_test=False).search_fetch(
                [("id", "in", list(partner_ids))], ["external_ref", "is_client", "parent_id"]
            )
            if partner.is_client or partner.parent_id
        }
        cr = self.env.cr
        rest = list(partner_ids - readable.keys())
        if not rest:
            return readable, {}
        # A deleted client (merged away or deleted) is seen by whoever sees its company's
        # clients: the company part of core's partner rule; no other rule can apply to a
        # record that is gone.
        cr.execute(
            SQL(
                """
                SELECT DISTINCT ON (c.partner_id) c.partner_id, c.company_id, c.external_ref
                  FROM %(table)s c
                 WHERE c.partner_id = ANY(%(ids)s) AND c.kind IN ('merged', 'deleted')
                   AND NOT EXISTS (SELECT 1 FROM res_partner p WHERE p.id = c.partner_id)
                 ORDER BY c.partner_id, c.xact DESC, c.id DESC
                """,
                table=SQL.identifier(TABLE),
                ids=rest,
            )
        )
        deleted = cr.fetchall()
        if self.env.su:
            companies = None
        else:
            companies = set(self.env["res.company"].sudo().search([("id", "parent_of", self.env.companies.ids)]).ids)
        gone = {
            partner_id: external_ref or False
            for partner_id, company_id, external_ref in deleted
            if companies is None or not company_id or company_id in companies
        }
        return readable, gone

    @api.model
    def _client_changes_summary(self, partner_id, external_ref, members):
        """One change for the rows of one client in one transaction: merged, else
        deleted, else created, else the last archive or restore, else updated."""
        kinds = [row[3] for row, _names in members]
        names = set().union(*(names for _row, names in members))
        at = max(row[8] for row, _names in members)
        change = {"id": partner_id, "external_ref": external_ref, "fields": [], "at": fields.Datetime.to_string(at)}
        if "merged" in kinds:
            merged = next(row for row, _names in members if row[3] == "merged")
            change.update(kind="merged", into_id=merged[5], external_ref=merged[7] or external_ref or False)
        elif "deleted" in kinds:
            deleted = next(row for row, _names in members if row[3] == "deleted")
            change.update(kind="deleted", external_ref=deleted[7] or external_ref or False)
        elif "created" in kinds:
            change["kind"] = "created"
        else:
            states = [kind for kind in kinds if kind in ("archived", "restored")]
            change.update(kind=states[-1] if states else "updated", fields=sorted(names))
        return change
