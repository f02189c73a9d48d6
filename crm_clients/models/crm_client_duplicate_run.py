"""The whole-database clean-up: merging many groups of duplicates in the background
(client_merge_duplicates), and the pairs marked "Not a duplicate"
(client_mark_not_duplicate) that client_find_duplicates never proposes again.

A run keeps its groups; the scheduled action merges the waiting ones batch by batch with
the cron progress API (each batch committed by the cron runner, the next one scheduled
at once). Each group is merged by client_merge in its own savepoint, as the user who
started the run: a group that fails is marked failed with the reason and skipped. A run
interrupted (a restart, a timeout) goes on from its first waiting group.
"""

import logging
import time

from psycopg2 import Error as PsycopgError

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

_logger = logging.getLogger(__name__)

# Groups per run, and partners per group.
RUN_MAX_GROUPS = 100_000
GROUP_MAX_PARTNERS = 100
# A batch of the scheduled action stops after this many seconds (then commits; the cron
# runs again at once).
BATCH_SECONDS = 30
BATCH_GROUPS = 500


class CrmClientNotDuplicate(models.Model):
    """Two clients a user said are not the same: never proposed as duplicates again."""

    _name = "crm.client.not.duplicate"
    _description = "Clients That Are Not Duplicates"
    _order = "id desc"

    partner_a_id = fields.Many2one("res.partner", required=True, ondelete="cascade", index=True, readonly=True)
    partner_b_id = fields.Many2one("res.partner", required=True, ondelete="cascade", index=True, readonly=True)

    _sql_constraints = [
        ("pair_unique", "UNIQUE(partner_a_id, partner_b_id)", "This pair is already marked."),
        ("pair_ordered", "CHECK(partner_a_id < partner_b_id)", "A pair is two different clients."),
    ]

    @api.model
    def _pairs_among(self, partner_ids):
        """{(a, b)} of the marked pairs between ``partner_ids`` (a < b): one query."""
        if not partner_ids:
            return set()
        self.env.cr.execute(
            """SELECT partner_a_id, partner_b_id FROM crm_client_not_duplicate
                WHERE partner_a_id = ANY(%s) AND partner_b_id = ANY(%s)""",
            [list(partner_ids), list(partner_ids)],
        )
        return set(self.env.cr.fetchall())


class CrmClientDuplicateRun(models.Model):
    """Groups of duplicates merged in the background."""

    _name = "crm.client.duplicate.run"
    _description = "Background Merge of Duplicates"
    _order = "id desc"

    user_id = fields.Many2one("res.users", string="Started By", readonly=True, required=True)
    company_id = fields.Many2one("res.company", readonly=True, default=lambda self: self.env.company)
    state = fields.Selection(
        [("waiting", "Waiting"), ("done", "Done")], default="waiting", readonly=True, required=True, index=True
    )
    group_ids = fields.One2many("crm.client.duplicate.run.group", "run_id", string="Duplicate Groups", readonly=True)
    group_count = fields.Integer(string="Groups", compute="_compute_counts")
    merged_count = fields.Integer(string="Merged", compute="_compute_counts")
    failed_count = fields.Integer(string="Failed", compute="_compute_counts")
    waiting_count = fields.Integer(string="Waiting Groups", compute="_compute_counts")

    @api.depends("group_ids.state")
    def _compute_counts(self):
        counts = {
            (run.id, state): count
            for run, state, count in self.env["crm.client.duplicate.run.group"]._read_group(
                [("run_id", "in", self.ids)], ["run_id", "state"], ["__count"]
            )
        }
        for run in self:
            by_state = {state: counts.get((run.id, state), 0) for state in ("waiting", "merged", "failed", "skipped")}
            run.group_count = sum(by_state.values())
            run.merged_count = by_state["merged"]
            run.failed_count = by_state["failed"]
            run.waiting_count = by_state["waiting"]

    @api.depends("create_date", "group_count")
    def _compute_display_name(self):
        for run in self:
            run.display_name = self.env._(
                "Merge of %(count)s groups (%(date)s)", count=run.group_count, date=run.create_date or ""
            )

    def action_retry_failed(self):
        """The failed groups wait again (after the reason was fixed)."""
        self.check_access("read")
        if not self.env.su and not self.env.user.has_group("crm_clients.group_client_manager"):
            raise AccessError(self.env._("Only client administrators can merge clients."))
        runs = self.sudo()
        runs.group_ids.filtered(lambda g: g.state == "failed").write({"state": "waiting", "error": False})
        runs.write({"state": "waiting"})
        self.env.ref("crm_clients.ir_cron_crm_client_duplicate_run").sudo()._trigger()

    @api.model
    def _cron_merge(self):
        """Merge the waiting groups of the oldest waiting run, one batch per call."""
        run = self.sudo().search([("state", "=", "waiting")], order="id", limit=1)
        if not run:
            self.env["ir.cron"]._notify_progress(done=0, remaining=0)
            return 0
        done = run._merge_batch()
        Group = self.env["crm.client.duplicate.run.group"].sudo()
        remaining = Group.search_count([("state", "=", "waiting"), ("run_id.state", "=", "waiting")])
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        return done

    def _merge_batch(self):
        self.ensure_one()
        started = time.monotonic()
        groups = self.group_ids.filtered(lambda g: g.state == "waiting").sorted("id")[:BATCH_GROUPS]
        done = 0
        for group in groups:
            group._merge()
            done += 1
            if time.monotonic() - started > BATCH_SECONDS:
                break
        if not self.group_ids.filtered(lambda g: g.state == "waiting"):
            self.state = "done"
        return done


class CrmClientDuplicateRunGroup(models.Model):
    """One group of a background merge: merged (all of it) or failed (none of it)."""

    _name = "crm.client.duplicate.run.group"
    _description = "Group of a Background Merge"
    _order = "run_id desc, id"

    run_id = fields.Many2one("crm.client.duplicate.run", required=True, ondelete="cascade", index=True)
    # Plain ids: the sources are gone once merged.
    partner_record_ids = fields.Json(string="Client IDs", readonly=True)
    target_record_id = fields.Integer(string="Kept Client ID", readonly=True)
    names = fields.Char(string="Clients", readonly=True)
    state = fields.Selection(
        [("waiting", "Waiting"), ("merged", "Merged"), ("failed", "Failed"), ("skipped", "Nothing to Merge")],
        default="waiting",
        required=True,
        readonly=True,
        index=True,
    )
    error = fields.Char(string="Reason", readonly=True)
    merge_id = fields.Many2one("crm.client.merge", string="Merge", readonly=True, ondelete="set null")

    def _merge(self):
        """Merge this group as the user who started the run, in its own savepoint."""
        self.ensure_one()
        Partner = self.env["res.partner"].with_user(self.run_id.user_id).with_company(self.run_id.company_id)
        # A client of the group merged away by an earlier group counts as its holder now.
        holders = []
        for row in Partner.sudo().client_resolve(list(self.partner_record_ids or [])):
            if row["resolved_id"] and row["resolved_id"] not in holders:
                holders.append(row["resolved_id"])
        target_id = self.target_record_id
        if target_id not in holders:
            target_id = Partner._client_merge_default_target(holders)
        sources = [i for i in holders if i != target_id]
        if not target_id or not sources:
            self.write({"state": "skipped", "error": self.env._("These clients are merged already.")})
            return
        try:
            with self.env.cr.savepoint():
                result = Partner.client_merge(sources, target_id)
        except (UserError, AccessError, ValidationError, PsycopgError) as exc:
            self._merge_failed(exc)
            return
        except Exception as exc:
            _logger.exception("Background merge: group %s failed", self.id)
            self._merge_failed(exc)
            return
        self.write({"state": "merged", "target_record_id": target_id, "merge_id": result["merge_id"], "error": False})

    def _merge_failed(self, exc):
        """The savepoint put everything of the group back: it is reported and skipped."""
        self.env.invalidate_all()
        message = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
        self.write({"state": "failed", "error": message[:1000]})
