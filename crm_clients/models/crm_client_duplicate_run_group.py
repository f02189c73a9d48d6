import logging

from psycopg2 import Error as PsycopgError

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

_logger = logging.getLogger(__name__)


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

    def _merge_holders(self, partner_ids=None):
        """{id: the id of the client holding it now, or False} for the clients of these
        groups (or ``partner_ids``; a client merged away by an earlier group counts as
        its holder): one lookup for the whole batch."""
        if partner_ids is None:
            partner_ids = [i for group in self for i in group.partner_record_ids or []]
        ids = set(partner_ids)
        return self.env["res.partner"]._client_resolve_chains(ids)[0] if ids else {}

    def _merge(self, logs, partners, partner_ids, target_id, holders=None):
        """Merge this group's clients ``partner_ids`` (into ``target_id`` if it still
        holds one of them) with ``partners`` (the run's user and company), in its own
        savepoint; its log joins ``logs`` once the group is merged (the batch writes
        them all: _client_merge_post_logs). ``holders``: _merge_holders() of its
        clients, when nothing merged since could have changed them.

        Reads nothing of the group and writes nothing on it (a merge empties the
        caches: each read would fetch the whole batch again): answers (the values to
        write on the group, the ids merged away), written by the batch at its end."""
        self.ensure_one()
        if holders is None:
            holders = self._merge_holders(partner_ids)
        holders = list(dict.fromkeys(h for h in map(holders.get, partner_ids) if h))
        if len(holders) < 2:
            return {"state": "skipped", "error": self.env._("These clients are merged already.")}, []
        if {target for target, _summary in logs} & set(holders):
            self._merge_post_logs(partners, logs)  # its clients get their logs before they merge again
        merged_logs = []
        try:
            # Everything done as the run's user fails this group alone (that user may
            # have lost its rights or its company since).
            with self.env.cr.savepoint():
                if target_id not in holders:
                    target_id = partners._client_merge_default_target(holders)
                sources = [i for i in holders if i != target_id]
                result = partners._client_merge(sources, target_id, None, logs=merged_logs)
        except (UserError, AccessError, ValidationError, PsycopgError) as exc:
            return self._merge_failed(exc), []
        except Exception as exc:
            _logger.exception("Background merge: group %s failed", self.id)
            return self._merge_failed(exc), []
        logs += merged_logs
        return {
            "state": "merged",
            "target_record_id": target_id,
            "merge_id": result["merge_id"],
            "error": False,
        }, sources

    @api.model
    def _merge_post_logs(self, partners, logs):
        """The merges' messages in ``logs`` written now, in a savepoint: if they cannot be
        (the run's user lost its rights), they stay in ``logs`` for the batch's end,
        which logs what it cannot write; no merge is undone for them."""
        pending = list(logs)
        try:
            with self.env.cr.savepoint():
                partners._client_merge_post_logs(logs)
        except Exception:
            _logger.exception("Background merge: the merges' messages could not be written")
            self.env.invalidate_all()
            logs[:] = pending

    def _merge_failed(self, exc):
        """The savepoint put everything of the group back: it is reported and skipped
        (the values to write on the group)."""
        self.env.invalidate_all()
        message = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
        return {"state": "failed", "error": message[:1000]}
