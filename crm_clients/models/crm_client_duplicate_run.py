"""The whole-database clean-up: merging many groups of duplicates in the background
(client_merge_duplicates), and the pairs marked "Not a duplicate"
(client_mark_not_duplicate) that client_find_duplicates never proposes again.

A run keeps its groups; the scheduled action merges the waiting ones batch by batch with
the cron progress API (each batch committed by the cron runner, the next one scheduled
at once). Each group is merged by client_merge in its own savepoint, as the user who
started the run: a group that fails is marked failed with the reason and skipped. A run
interrupted (a restart, a timeout) goes on from its first waiting group.
"""

import time

from odoo import api, fields, models
from odoo.exceptions import AccessError

# Groups per run, and partners per group.
RUN_MAX_GROUPS = 100_000
GROUP_MAX_PARTNERS = 100
# A batch of the scheduled action stops after this many seconds (then commits; the cron
# runs again at once).
BATCH_SECONDS = 30
BATCH_GROUPS = 500


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

    def _merge_partners(self):
        """Partners as the user who started the run, in its company."""
        self.ensure_one()
        return self.env["res.partner"].with_user(self.user_id).with_company(self.company_id)

    def _merge_batch(self):
        self.ensure_one()
        started = time.monotonic()
        groups = self.group_ids.filtered(lambda g: g.state == "waiting").sorted("id")[:BATCH_GROUPS]
        # What the batch needs of its groups, read once: a merge empties the caches.
        todo = [(group, group.partner_record_ids or [], group.target_record_id) for group in groups]
        partners = self._merge_partners()
        done, logs, outcomes = 0, [], []
        with self.env["crm.client.merge"]._merge_schema_scope():
            # Where the batch's clients are, looked up once; a group whose clients were
            # held by a client merged away earlier in the batch looks again.
            holders = groups._merge_holders([i for _group, ids, _target in todo for i in ids])
            merged_away = set()
            for group, ids, target_id in todo:
                stale = {holders.get(i) for i in ids} & merged_away
                values, merged = group._merge(logs, partners, ids, target_id, holders=None if stale else holders)
                merged_away.update(merged)
                outcomes.append((group, values))
                done += 1
                if time.monotonic() - started > BATCH_SECONDS:
                    break
            # The groups' states, written together (one statement, not one per group).
            for group, values in outcomes:
                group.write(values)
            # The merges' messages on their targets, written together (committed with
            # the batch, as the merges are). A message that cannot be written does not
            # undo the merges of the batch (the run would meet it again at every call).
            self.env["crm.client.duplicate.run.group"]._merge_post_logs(partners, logs)
        if not self.group_ids.filtered(lambda g: g.state == "waiting"):
            self.state = "done"
        return done
