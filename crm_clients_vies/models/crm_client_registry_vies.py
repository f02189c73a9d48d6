import logging
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools import vies

_logger = logging.getLogger(__name__)

CRON_BATCH = 50
MAX_BACKOFF_MINUTES = 6 * 60


class ViesUnavailable(UserError):
    """VIES or a member state could not answer now (a fault of ``vies.TRANSIENT``): the
    question is worth asking again later; it says nothing about the number."""

    def __init__(self, message, code):
        super().__init__(message)
        self.code = code


class CrmClientRegistryVies(models.AbstractModel):
    """EU VIES as a registry provider: validity with the consultation number that proves
    it, and name and address where the member state publishes them."""

    _name = "crm.client.registry.vies"
    _inherit = "crm.client.registry"
    _description = "EU VIES"

    @api.model
    def _registry_label(self):
        return "VIES"

    @api.model
    def _registry_applies(self, partner):
        return bool(self._vies_key(partner.vat, partner.country_id.code))

    @api.model
    def _vies_key(self, vat, country_code=None):
        """The number as VIES knows it ("LU26375245"), False when VIES cannot check it."""
        prefix, number = vies.split_vat(vat, country_code)
        return f"{prefix}{number}" if vat and prefix and number else False

    @api.model
    def _vies_requester(self, company):
        """The company's own EU VAT number as ``(prefix, number)``, sent as the requester so
        that VIES gives a consultation number; None when the company has none."""
        prefix, number = vies.split_vat(company.vat, company.country_id.code)
        return (prefix, number) if company.vat and prefix and number else None

    @api.model
    def _vies_check(self, vat, country_code=None, company=None):
        """The VIES answer for a VAT number asked on behalf of ``company`` (the current one
        by default), a dict, from the cache when fresh. A fault that says "not now" raises
        :class:`ViesUnavailable`, any other failure a ``UserError``."""
        prefix, number = vies.split_vat(vat, country_code)
        if not vat or not prefix or not number:
            raise UserError(
                self.env._("%(vat)s is not an EU VAT number VIES can check (country prefix missing).", vat=vat)
            )
        config = self._registry_config("crm_clients_vies", vies.SERVICE_URL)
        wsdl_url = self.env["ir.config_parameter"].sudo().get_param("crm_clients_vies.wsdl_url") or vies.WSDL_URL
        company = company or self.env.company
        requester = self._vies_requester(company)
        # A consultation number belongs to its requester: answers are cached per requester.
        key = f"{prefix}{number}@{''.join(requester)}" if requester else f"{prefix}{number}"

        def ask(client, with_requester):
            try:
                return client.check(prefix, number, requester if with_requester else None)
            except vies.ViesError as exc:
                _logger.info("VIES check of %s failed: %s", key, exc)
                message = self._vies_error_message(exc, prefix, company)
                if exc.code in vies.TRANSIENT:
                    raise ViesUnavailable(message, exc.code) from exc
                raise UserError(message) from exc

        def fetch():
            try:
                client = vies.Client(config["url"], wsdl_url, config["timeout"], config["min_interval"])
            except vies.ViesError as exc:
                raise ViesUnavailable(self._vies_error_message(exc, prefix, company), exc.code) from exc
            refused = ""
            try:
                result = ask(client, bool(requester))
            except UserError as exc:
                # A company not registered for intra-EU trade is refused as the requester:
                # the number is still checked, without a consultation number.
                if not requester or "INVALID_REQUESTER_INFO" not in str(exc.__cause__):
                    raise
                refused = "".join(requester)
                result = ask(client, False)
            street, zip_code, city = vies.split_address(result.address)
            return {
                "valid": result.valid,
                "country_code": result.country_code,
                "vat_number": result.vat_number,
                "name": result.name,
                "address": result.address,
                "street": street,
                "zip": zip_code,
                "city": city,
                "request_date": result.request_date,
                "request_identifier": result.request_identifier,
                "requester": "".join(requester) if requester and not refused else "",
                "requester_refused": refused,
            }

        return self._registry_cached(key, config["cache_hours"], fetch)

    @api.model
    def _vies_error_message(self, exc, prefix, company):
        _ = self.env._
        busy_state = _("The %(country)s VIES service is busy. Try again in a moment.", country=prefix)
        busy = _("VIES is busy. Try again in a moment.")
        messages = {
            "INVALID_INPUT": _(
                "VIES refused the number: it is not shaped like a VAT number of %(country)s.", country=prefix
            ),
            "INVALID_REQUESTER_INFO": _(
                "VIES refused %(vat)s, the VAT number of %(company)s, as the requester of the check: correct it in "
                "the company's settings.",
                vat=company.vat,
                company=company.display_name,
            ),
            "MS_UNAVAILABLE": _(
                "VIES cannot check %(country)s numbers right now: that member state's service is unavailable. "
                "Try again later.",
                country=prefix,
            ),
            "MS_MAX_CONCURRENT_REQ": busy_state,
            "MS_MAX_CONCURRENT_REQ_TIME": busy_state,
            "GLOBAL_MAX_CONCURRENT_REQ": busy,
            "GLOBAL_MAX_CONCURRENT_REQ_TIME": busy,
            "SERVICE_UNAVAILABLE": _("VIES is unavailable. Try again later."),
            "TIMEOUT": _("VIES did not answer in time. Try again later."),
            "UNREACHABLE": _("VIES cannot be reached."),
            "MALFORMED": _("VIES sent an answer that cannot be read."),
            "REDIRECT": _("VIES answered with a redirection (%(detail)s), which is refused.", detail=exc.detail),
            "VAT_BLOCKED": _("VIES refuses to check this number (VAT_BLOCKED)."),
            "IP_BLOCKED": _("VIES refuses questions from this server's address (IP_BLOCKED)."),
        }
        return messages.get(exc.code) or _("VIES answered with an error: %(code)s.", code=exc.code)

    @api.model
    def _registry_lookup(self, partner):
        """Check the partner's number. The consultation is recorded on the partner as soon
        as VIES answers (it happened, whether or not the user applies the name and address);
        when VIES cannot answer now, the check becomes pending and is retried by the
        scheduled action, and the candidate carries no values."""
        key = self._vies_key(partner.vat, partner.country_id.code)
        company = partner.company_id or self.env.company
        try:
            answer = self._vies_check(partner.vat, partner.country_id.code, company)
        except ViesUnavailable as exc:
            partner._vies_set_pending(key, exc.args[0], exc.code)
            description = self.env._("pending: %(error)s The check will be retried automatically.", error=exc.args[0])
            return [{"key": key, "label": key, "description": description, "values": {}}]
        partner._vies_record(answer, key)
        values = {}
        if answer["valid"]:
            country_code = "GR" if answer["country_code"] == "EL" else answer["country_code"]
            country = self.env["res.country"].search([("code", "=", country_code)], limit=1)
            values.update(
                {
                    "legal_name": answer["name"] or False,
                    "name": answer["name"] or False,
                    "street": answer["street"] or False,
                    "zip": answer["zip"] or False,
                    "city": answer["city"] or False,
                    "country_id": country.id if country and answer["address"] else False,
                }
            )
        label = answer["name"] or f"{answer['country_code']}{answer['vat_number']}"
        description = self.env._("valid VAT number") if answer["valid"] else self.env._("not a valid VAT number")
        if answer["valid"] and not answer["name"]:
            description += " · " + self.env._("this member state does not publish name and address")
        return [{"key": answer["vat_number"], "label": label, "description": description, "values": values}]

    @api.model
    def _registry_search(self, identifier, country_code=None):
        return [self._vies_check(identifier, country_code)]


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
