"""The VIES check on the partner: its status and proof (the consultation number), pending
checks retried with backoff by a scheduled action."""

import logging
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools import vies

_logger = logging.getLogger(__name__)

CRON_BATCH = 50
MAX_BACKOFF_MINUTES = 6 * 60

PROOF_RESET = {
    "vies_status": False,
    "vies_request_identifier": False,
    "vies_request_date": False,
    "vies_checked_vat": False,
    "vies_error": False,
    "vies_error_code": False,
    "vies_attempts": 0,
    "vies_retry_at": False,
}


class ResPartner(models.Model):
    _inherit = "res.partner"

    vies_status = fields.Selection(
        [("valid", "Valid"), ("invalid", "Not Valid"), ("pending", "Pending"), ("error", "Not Checked")],
        string="VIES",
        readonly=True,
        copy=False,
        tracking=True,
        help="Pending: VIES could not answer; the check is retried automatically.",
    )
    vies_request_identifier = fields.Char(
        string="VIES Consultation Number",
        readonly=True,
        copy=False,
        tracking=True,
        help="The number VIES gives a check made with the company's own VAT number as the requester: the proof "
        "of the check a tax audit asks for.",
    )
    vies_request_date = fields.Date(string="VIES Consultation Date", readonly=True, copy=False, tracking=True)
    vies_checked_vat = fields.Char(string="VAT Number Checked in VIES", readonly=True, copy=False)
    vies_error = fields.Char(string="VIES Problem", readonly=True, copy=False)
    vies_error_code = fields.Char(readonly=True, copy=False)
    vies_attempts = fields.Integer(string="VIES Attempts", readonly=True, copy=False)
    vies_retry_at = fields.Datetime(string="Next VIES Attempt", readonly=True, copy=False, index="btree_not_null")

    def write(self, vals):
        """A VIES result describes one number: when the number changes, it is forgotten
        (the chatter keeps the consultations made), and a pending check is dropped."""
        result = super().write(vals)
        if "vat" in vals or "country_id" in vals:
            provider = self.env["crm.client.registry.vies"]
            stale = self.filtered(
                lambda p: p.vies_checked_vat and p.vies_checked_vat != provider._vies_key(p.vat, p.country_id.code)
            )
            if stale:
                super(ResPartner, stale).write(PROOF_RESET)
        return result

    # ---- recording what VIES said ----

    def _vies_record(self, answer, key):
        """Write a final answer (valid or not) and log the consultation in the chatter."""
        self.ensure_one()
        status = "valid" if answer["valid"] else "invalid"
        try:
            consulted_on = fields.Date.to_date(answer["request_date"])
        except ValueError:
            consulted_on = False
        consulted_on = consulted_on or fields.Date.context_today(self)
        identifier = answer.get("request_identifier") or False
        known = (
            self.vies_status == status
            and self.vies_checked_vat == key
            and self.vies_request_date == consulted_on
            and (self.vies_request_identifier or False) == identifier
        )
        self.write(
            {
                **PROOF_RESET,
                "vies_status": status,
                "vies_request_identifier": identifier,
                "vies_request_date": consulted_on,
                "vies_checked_vat": key,
            }
        )
        if known:
            return  # the same consultation (a cached answer): logged already
        _ = self.env._
        verdict = (
            _("VIES: %(vat)s is a valid VAT number.", vat=key)
            if status == "valid"
            else _("VIES: %(vat)s is not a valid VAT number.", vat=key)
        )
        if identifier:
            proof = _(
                "Consultation number %(number)s of %(date)s, asked as %(requester)s.",
                number=identifier,
                date=fields.Date.to_string(consulted_on),
                requester=answer.get("requester"),
            )
        elif answer.get("requester_refused"):
            proof = _(
                "Checked on %(date)s without a consultation number: VIES refused %(vat)s, the VAT number of "
                "%(company)s, as the requester (is it registered for intra-EU trade?).",
                date=fields.Date.to_string(consulted_on),
                vat=answer["requester_refused"],
                company=(self.company_id or self.env.company).display_name,
            )
        elif not answer.get("requester"):
            company = self.company_id or self.env.company
            proof = _(
                "Checked on %(date)s without a consultation number: %(company)s has no EU VAT number to send as the "
                "requester.",
                date=fields.Date.to_string(consulted_on),
                company=company.display_name,
            )
        else:
            proof = _(
                "Checked on %(date)s; VIES gives no consultation number for this answer.",
                date=fields.Date.to_string(consulted_on),
            )
        self.message_post(body=Markup("<p>%s</p><p>%s</p>") % (verdict, proof), message_type="notification")

    def _vies_retry_minutes(self, attempts):
        base = float(self.env["ir.config_parameter"].sudo().get_param("crm_clients_vies.retry_minutes") or 5)
        return min(base * 2 ** max(attempts - 1, 0), MAX_BACKOFF_MINUTES)

    def _vies_set_pending(self, key, message, code, counted=True):
        """VIES could not answer now: retry later, each attempt waiting twice as long as
        the one before (``crm_clients_vies.retry_minutes``, 5 by default, at most 6 hours);
        after ``crm_clients_vies.retry_attempts`` attempts (12 by default) give up.
        ``counted`` is False when the question was not even asked (its member state was
        found down a moment before)."""
        self.ensure_one()
        same = self.vies_status == "pending" and self.vies_checked_vat == key
        attempts = (self.vies_attempts if same else 0) + (1 if counted else 0)
        limit = int(self.env["ir.config_parameter"].sudo().get_param("crm_clients_vies.retry_attempts") or 12)
        if attempts > limit:
            self._vies_set_error(
                key,
                self.env._("VIES could not answer after %(count)s attempts: %(error)s", count=limit, error=message),
            )
            return
        retry_at = fields.Datetime.now() + timedelta(minutes=self._vies_retry_minutes(max(attempts, 1)))
        self.write(
            {
                "vies_status": "pending",
                "vies_checked_vat": key,
                "vies_error": message,
                "vies_error_code": code,
                "vies_attempts": attempts,
                "vies_retry_at": retry_at,
            }
        )
        if not same:
            self.message_post(
                body=self.env._(
                    "VIES could not check %(vat)s: %(error)s The check is pending and will be retried automatically.",
                    vat=key,
                    error=message,
                ),
                message_type="notification",
            )
        # One trigger per minute (a bulk check makes many partners pending at once).
        cron = self.env.ref("crm_clients_vies.ir_cron_vies_retry")
        moment = retry_at.replace(second=0, microsecond=0) + timedelta(minutes=1)
        # sudo: triggers are the scheduler's records, only administrators read them
        if not self.env["ir.cron.trigger"].sudo().search_count([("cron_id", "=", cron.id), ("call_at", "=", moment)]):
            cron._trigger(at=moment)

    def _vies_set_error(self, key, message):
        """A check that cannot end with an answer (the number refused, retries used up)."""
        self.ensure_one()
        self.write({**PROOF_RESET, "vies_status": "error", "vies_checked_vat": key, "vies_error": message})
        self.message_post(
            body=self.env._("VIES could not check %(vat)s: %(error)s", vat=key, error=message),
            message_type="notification",
        )

    # ---- actions ----

    def _vies_bulk_check(self):
        """Server action: check the selection, each partner on its own; the summary also
        counts the checks left pending."""
        action = self._registry_bulk_update("vies")
        pending = self.filtered(lambda p: p.vies_status == "pending")
        if pending:
            action["params"]["message"] += "\n" + self.env._(
                "%(count)s pending: VIES could not answer for them now; they will be checked again automatically.",
                count=len(pending),
            )
            action["params"]["type"] = "warning"
        return action

    # ---- scheduled retries ----

    @api.model
    def _vies_due_domain(self):
        return [("vies_status", "=", "pending"), ("vies_retry_at", "<=", fields.Datetime.now())]

    @api.model
    def _cron_vies_retry(self, batch_size=CRON_BATCH):
        """Ask VIES again for the pending checks that are due, oldest first. A member state
        found down is not asked again in the same run (its other partners wait with it);
        VIES itself down ends the run. Returns the number of due checks left."""
        provider = self.env["crm.client.registry.vies"]
        due = self.search(self._vies_due_domain(), order="vies_retry_at, id", limit=batch_size)
        down = {}  # member state -> (message, code); None -> VIES itself
        done = 0
        for partner in due:
            done += 1
            key = provider._vies_key(partner.vat, partner.country_id.code)
            if key != partner.vies_checked_vat:
                # The number changed under a pending check: its answer would be stale.
                partner.write(PROOF_RESET)
                continue
            waiting = down.get(None) or down.get(key[:2])
            if waiting:
                partner._vies_set_pending(key, *waiting, counted=False)
                continue
            try:
                with self.env.cr.savepoint():
                    partner.registry_update("vies")
            except UserError as exc:
                partner._vies_set_error(key, exc.args[0])
                continue
            if partner.vies_status == "pending":
                state = key[:2] if partner.vies_error_code in vies.MEMBER_STATE_FAULTS else None
                down[state] = (partner.vies_error, partner.vies_error_code)
        remaining = self.search_count(self._vies_due_domain()) if len(due) == batch_size else 0
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        return remaining
