import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import str2bool
from odoo.tools.translate import LazyGettext

from ..tools import peppol
from .eas import EAS_CODES

_logger = logging.getLogger(__name__)

PARALLEL_LOOKUPS = 16
CRON_BATCH = 200


class ResPartner(models.Model):
    _inherit = "res.partner"

    # Same names, types and codes as account_edi_ubl_cii's fields: with `account`
    # installed both definitions merge into one column and core's rules run first.
    peppol_eas = fields.Selection(
        EAS_CODES,
        string="Peppol e-address (EAS)",
        compute="_compute_peppol_eas",
        store=True,
        readonly=False,
        tracking=True,
    )
    peppol_endpoint = fields.Char(
        string="Peppol Endpoint",
        compute="_compute_peppol_endpoint",
        store=True,
        readonly=False,
        tracking=True,
    )
    peppol_status = fields.Selection(
        [
            ("unknown", "Not Checked"),
            ("registered", "Registered"),
            ("not_registered", "Not Registered"),
            ("invalid", "Invalid Identifier"),
            ("error", "Check Failed"),
        ],
        string="PEPPOL Status",
        default="unknown",
        readonly=True,
        copy=False,
        index="btree_not_null",
    )
    peppol_error = fields.Char(string="PEPPOL Check Message", readonly=True, copy=False)
    peppol_checked_at = fields.Datetime(string="PEPPOL Checked On", readonly=True, copy=False)
    peppol_zone = fields.Char(string="PEPPOL Zone Checked", readonly=True, copy=False)
    peppol_smp_url = fields.Char(string="SMP Address", readonly=True, copy=False)
    peppol_document_types = fields.Json(string="PEPPOL Document Types", readonly=True, copy=False)
    peppol_document_type_names = fields.Text(string="Accepted Documents", compute="_compute_peppol_document_type_names")
    peppol_can_receive_invoice = fields.Boolean(string="Can Receive Invoices", readonly=True, copy=False)
    # The last conclusive answer, kept beside later errors.
    peppol_result_status = fields.Selection(
        [("registered", "Registered"), ("not_registered", "Not Registered")],
        string="Last PEPPOL Result",
        readonly=True,
        copy=False,
    )
    peppol_result_at = fields.Datetime(string="Last PEPPOL Result On", readonly=True, copy=False)
    peppol_registered = fields.Boolean(
        string="Registered in PEPPOL", compute="_compute_peppol_registered", search="_search_peppol_registered"
    )

    # ---- identifier ----

    @api.depends("country_id", "vat", "company_registry", "barcode")
    def _compute_peppol_eas(self):
        core = getattr(super(), "_compute_peppol_eas", None)
        result = core() if core else None
        if not core:
            for partner in self:
                partner.peppol_eas = partner.peppol_eas
        self._peppol_fill_eas()
        return result

    @api.depends("country_id", "vat", "company_registry", "barcode", "peppol_eas")
    def _compute_peppol_endpoint(self):
        core = getattr(super(), "_compute_peppol_endpoint", None)
        result = core() if core else None
        if not core:
            for partner in self:
                partner.peppol_endpoint = partner.peppol_endpoint
        self._peppol_fill_endpoint()
        return result

    def _peppol_fill_eas(self):
        """Derive the scheme where nothing (neither the user nor core) set one."""
        for partner in self:
            if not partner.peppol_eas:
                partner.peppol_eas = partner._peppol_derive()[0]

    def _peppol_fill_endpoint(self):
        """Derive the endpoint where it is empty and the scheme is the derived one."""
        for partner in self:
            eas, endpoint = partner._peppol_derive()
            if not partner.peppol_endpoint and eas and eas == partner.peppol_eas:
                partner.peppol_endpoint = endpoint
            elif partner.peppol_eas == "9945" and (partner.peppol_endpoint or "").isdigit():
                # The NIP is stored without its PL prefix; the VAT scheme wants it.
                partner.peppol_endpoint = "PL" + partner.peppol_endpoint

    def _peppol_derive(self):
        self.ensure_one()
        partner = self.commercial_partner_id if self.commercial_partner_id else self
        return peppol.derive(
            partner.country_id.code,
            vat=partner.vat,
            company_registry=partner.company_registry,
            gln=partner.barcode,
        )

    @api.onchange("peppol_eas", "peppol_endpoint")
    def _onchange_peppol_identifier(self):
        """Warn while typing; an invalid identifier may still be saved (its check answers
        ``invalid`` without any lookup)."""
        if self.peppol_eas and self.peppol_endpoint:
            try:
                peppol.validate(self.peppol_eas, self.peppol_endpoint)
            except peppol.InvalidIdentifier as exc:
                return {
                    "warning": {
                        "title": self.env._("PEPPOL identifier"),
                        "message": self.env._("This identifier looks invalid: %(reason)s.", reason=exc.message),
                    }
                }
        return None

    # ---- status ----

    @api.depends("peppol_document_types")
    def _compute_peppol_document_type_names(self):
        for partner in self:
            partner.peppol_document_type_names = "\n".join(d["name"] for d in partner.peppol_document_types or [])

    @api.model
    def _peppol_zone(self):
        zone = self.env["ir.config_parameter"].sudo().get_param("crm_clients_peppol.sml_zone") or "production"
        return zone if zone in peppol.ZONES else "production"

    @api.depends("peppol_status", "peppol_zone")
    def _compute_peppol_registered(self):
        zone = self._peppol_zone()
        for partner in self:
            partner.peppol_registered = partner.peppol_status == "registered" and partner.peppol_zone == zone

    def _search_peppol_registered(self, operator, value):
        if operator not in ("=", "!="):
            raise UserError(self.env._("Unsupported search on the PEPPOL registration."))
        domain = [("peppol_status", "=", "registered"), ("peppol_zone", "=", self._peppol_zone())]
        return domain if (operator == "=") == bool(value) else ["!", *domain]

    # ---- checks ----

    def action_peppol_check(self):
        """Look these partners up on PEPPOL now and store what was found. Never raises
        for a lookup problem: the status says it (``error`` keeps the previous result)."""
        self.check_access("write")
        zone = self._peppol_zone()
        to_check = {}
        now = fields.Datetime.now()
        for partner in self:
            try:
                peppol.validate(partner.peppol_eas, partner.peppol_endpoint)
            except peppol.InvalidIdentifier as exc:
                partner._peppol_store(peppol.Result("invalid", exc.message), zone, now)
                continue
            to_check[partner] = (partner.peppol_eas, partner.peppol_endpoint)
        if to_check:
            # Network only in the pool; the ORM stays in this thread.
            lookup = self._peppol_lookup(zone)
            try:
                with ThreadPoolExecutor(max_workers=max(1, min(lookup.connections, len(to_check)))) as pool:
                    results = list(pool.map(lambda ids: lookup.check(*ids), to_check.values()))
            finally:
                lookup.close()
            for partner, result in zip(to_check, results, strict=True):
                partner._peppol_store(result, zone, now)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "message": self.env._(
                    "%(count)s checked on PEPPOL: %(registered)s registered.",
                    count=len(self),
                    registered=len(self.filtered(lambda p: p.peppol_status == "registered")),
                ),
                "type": "info",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    @api.model
    def _peppol_lookup(self, zone):
        """A lookup configured by the system parameters (see the README)."""
        get = self.env["ir.config_parameter"].sudo().get_param

        def number(key, default, kind=int):
            try:
                return kind(get(key) or default)
            except ValueError:
                _logger.warning("System parameter %s is not a number: %s used", key, default)
                return default

        return peppol.Lookup(
            zone=zone,
            dns_server=(get("crm_clients_peppol.dns_server") or "").strip() or None,
            timeout=number("crm_clients_peppol.timeout", 5.0, float),
            allow_private=str2bool(get("crm_clients_peppol.allow_private_networks") or "", False),
            max_bytes=number("crm_clients_peppol.max_answer_bytes", peppol.MAX_ANSWER_BYTES),
            ca_bundle=(get("crm_clients_peppol.ca_bundle") or "").strip() or None,
            connections=max(1, number("crm_clients_peppol.parallel_lookups", PARALLEL_LOOKUPS)),
        )

    def _peppol_store(self, result, zone, now):
        vals = {"peppol_status": result.status, "peppol_checked_at": now, "peppol_zone": zone}
        reason = self.env._(result.error) if isinstance(result.error, LazyGettext) else result.error
        if result.status == "error":
            kept = self.peppol_result_status if self.peppol_zone == zone else False
            if kept:
                vals["peppol_error"] = self.env._(
                    "%(reason)s. The previous result (%(status)s, %(date)s) is kept.",
                    reason=reason,
                    status=dict(self._fields["peppol_result_status"]._description_selection(self.env))[kept],
                    date=fields.Datetime.to_string(self.peppol_result_at),
                )
            else:
                vals["peppol_error"] = reason
                vals.update(
                    peppol_smp_url=False,
                    peppol_document_types=False,
                    peppol_can_receive_invoice=False,
                    peppol_result_status=False,
                    peppol_result_at=False,
                )
        else:
            vals.update(
                peppol_error=reason or False,
                peppol_smp_url=result.smp_url or False,
                peppol_document_types=result.document_types or False,
                peppol_can_receive_invoice=result.can_receive_invoice,
                peppol_result_status=result.status if result.status != "invalid" else False,
                peppol_result_at=now if result.status != "invalid" else False,
            )
        self.write(vals)

    @api.model
    def _cron_peppol_recheck(self, batch_size=CRON_BATCH):
        """Re-check clients whose status is older than the configured days (or from the
        other zone), one batch per call; the cron framework commits and calls again."""
        days = int(self.env["ir.config_parameter"].sudo().get_param("crm_clients_peppol.recheck_days") or 30)
        domain = [
            ("peppol_eas", "!=", False),
            ("peppol_endpoint", "!=", False),
            ("parent_id", "=", False),
            "|",
            "|",
            ("peppol_checked_at", "=", False),
            ("peppol_checked_at", "<", fields.Datetime.now() - timedelta(days=days)),
            ("peppol_zone", "!=", self._peppol_zone()),
        ]
        batch = self.search(domain, limit=batch_size, order="peppol_checked_at NULLS FIRST, id")
        batch.action_peppol_check()
        remaining = self.search_count(domain) if len(batch) == batch_size else 0
        self.env["ir.cron"]._notify_progress(done=len(batch), remaining=remaining)
        return remaining
