from markupsafe import Markup

from odoo import api, models
from odoo.tools import SQL

from ..tools.internal import MERGE
from ..tools.internal import switch_on

# What the sources were, read before the merge, for the log (their references become
# aliases and their numbers go on the way).
_SUMMARY = "crm_clients_merge_summary"
# The record of the merge under way (crm.client.merge): a recordset, which no caller's
# context can hold.
_MERGE_RECORD = "crm_clients_merge_record"


class BasePartnerMergeAutomaticWizard(models.TransientModel):
    """Odoo's own merge (Contacts > Action > Merge, open to every employee with Contact
    Creation) with the guarantees of client_merge: email and phone lines kept and
    collapsed (a locked line wins), relations and our tables merged, the sources'
    references kept as aliases, the target's number and reference kept, and a row that
    cannot move fails the merge instead of being deleted (core deletes it). All or
    nothing; core's checks, bank account merge, value filling and log stay. Recorded like
    client_merge's merges: a client administrator can undo it."""

    _inherit = "base.partner.merge.automatic.wizard"

    def _merge(self, partner_ids, dst_partner=None, extra_checks=True):
        partners = self.env["res.partner"].sudo().browse(partner_ids).exists()
        summary = {p.id: (p.display_name, p.client_number, p.external_ref) for p in partners}
        if len(partners) < 2:
            return super()._merge(partner_ids, dst_partner=dst_partner, extra_checks=extra_checks)
        # The same target as core's (_merge): the one given, else the last of its order.
        in_partners = dst_partner and dst_partner in partners
        target = dst_partner if in_partners else self._get_ordered_partner(partners.ids)[-1]
        sources = partners - target
        with self.env["crm.client.merge"]._merge_schema_scope(), self.env.cr.savepoint():
            merge = self.env["crm.client.merge"]._merge_begin(sources, target, "wizard")
            result = super(
                BasePartnerMergeAutomaticWizard, self.with_context(**{_SUMMARY: summary, _MERGE_RECORD: merge})
            )._merge(partner_ids, dst_partner=dst_partner, extra_checks=extra_checks)
            merge._merge_end(target)
        return result

    @api.model
    def _update_foreign_keys(self, src_partners, dst_partner):
        # Not super(): core's generic move deletes the rows it cannot move.
        sources = src_partners.sudo().with_context(**switch_on(MERGE))
        self.env["crm.client.change"]._feed_record_merged(sources, dst_partner)  # the change feed says "merged"
        sources._client_merge_records(dst_partner.sudo().with_context(**switch_on(MERGE)))

    @api.model
    def _update_reference_fields(self, src_partners, dst_partner):
        # Core moves the followers of a source all at once and, when one clashes with a
        # follower of the target, deletes them all: one follower per partner first.
        if src_partners._name == "res.partner":
            src_partners.sudo()._client_merge_record_followers(dst_partner)
        return super()._update_reference_fields(src_partners, dst_partner)

    @api.model
    def _update_values(self, src_partners, dst_partner):
        # Core fills the target's empty fields with the sources' values: not with what
        # identifies a source (its number, reference, billing entity role).
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """UPDATE res_partner SET client_number = NULL, external_ref = NULL, is_billing_entity = FALSE,
                          is_default_billing = FALSE, client_archived_with_id = NULL
                    WHERE id IN %s""",
                tuple(src_partners.ids),
            )
        )
        src_partners.invalidate_recordset(
            ["client_number", "external_ref", "is_billing_entity", "is_default_billing", "client_archived_with_id"]
        )
        result = super()._update_values(src_partners, dst_partner)
        src_partners.sudo().with_context(**switch_on(MERGE))._client_merge_values(
            dst_partner.sudo().with_context(**switch_on(MERGE))
        )
        return result

    def _log_merge_operation(self, src_partners, dst_partner):
        """Core's log (one message, mail's) names the sources; it also gets their client
        numbers and references. Called right before the sources are deleted: their
        pictures are kept for an undo."""
        last = (
            self.env["mail.message"]
            .sudo()
            .search([("model", "=", "res.partner"), ("res_id", "=", dst_partner.id)], order="id desc", limit=1)
        )
        result = super()._log_merge_operation(src_partners, dst_partner)
        summary = self.env.context.get(_SUMMARY) or {}
        rows = [summary[p.id] for p in src_partners if p.id in summary and (summary[p.id][1] or summary[p.id][2])]
        log = (
            self.env["mail.message"]
            .sudo()
            .search(
                [("model", "=", "res.partner"), ("res_id", "=", dst_partner.id), ("id", ">", last.id or 0)],
                order="id desc",
                limit=1,
            )
        )
        if rows and log:
            log.body = Markup("%s%s") % (log.body or "", dst_partner._client_merge_summary_html(rows))
        merge = self.env.context.get(_MERGE_RECORD)
        if isinstance(merge, models.BaseModel) and merge._name == "crm.client.merge":
            merge._merge_detach_attachments(src_partners)
        return result
