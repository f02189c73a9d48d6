import logging
import mmap
import os
import tempfile
import threading
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..tools import flatfile
from ..tools.whitelist import polish_today

_logger = logging.getLogger(__name__)

DEFAULT_URL = "https://plikplaski.mf.gov.pl/pliki/{date}.7z"

# Loaded flat files per process (an mmap of the index), and the answers already worked
# out: each costs 5,000 SHA-512 rounds per account (and per matching mask).
_FILES = {}
_ANSWERS = {}
_MAX_ANSWERS = 200_000
_LOCK = threading.Lock()


class CrmClientWhitelistFile(models.Model):
    """One day's flat file of the VAT white list, loaded: its index (an attachment) and
    what its header says. Payments of that day are checked against it offline."""

    _name = "crm.client.whitelist.file"
    _description = "VAT White List Flat File"
    _order = "date desc"
    _rec_name = "date"

    date = fields.Date(required=True, readonly=True)
    transformations = fields.Integer(readonly=True)
    active_count = fields.Integer(string="Active Taxpayers' Accounts", readonly=True)
    exempt_count = fields.Integer(string="Exempt Taxpayers' Accounts", readonly=True)
    mask_count = fields.Integer(string="Virtual Account Masks", readonly=True)
    masks = fields.Json(readonly=True)
    index_attachment_id = fields.Many2one("ir.attachment", readonly=True)
    source_url = fields.Char(string="Downloaded From", readonly=True)
    archive_sha512 = fields.Char(string="SHA-512 of the Download", readonly=True)
    archive_size = fields.Integer(string="Download Size (bytes)", readonly=True)
    loaded_at = fields.Datetime(readonly=True)

    _sql_constraints = [("date_unique", "UNIQUE (date)", "One flat file per day.")]

    # ---- loading ----

    @api.model
    def _whitelist_settings(self):
        get = self.env["ir.config_parameter"].sudo().get_param
        return {
            "url": (get("crm_clients_mf_whitelist.flat_file_url") or "").strip() or DEFAULT_URL,
            "max_bytes": int(float(get("crm_clients_mf_whitelist.flat_file_max_mb") or 2048) * 1024 * 1024),
            "timeout": float(get("crm_clients_mf_whitelist.flat_file_timeout") or 1800),
            "days": int(get("crm_clients_mf_whitelist.flat_file_days") or 3),
        }

    @api.model
    def _whitelist_load(self, day=None):
        """Download and load the flat file of ``day`` (today in Poland by default) unless loaded
        already; older files than ``crm_clients_mf_whitelist.flat_file_days`` are removed.
        Raises a ``UserError`` saying what went wrong; nothing is kept then."""
        if not (self.env.su or self.env.user.has_group("crm_clients.group_client_manager")):
            raise AccessError(self.env._("Only client administrators load the VAT white list's flat file."))
        day = day or polish_today()
        loaded = self.sudo().search([("date", "=", day)])
        if loaded:
            return loaded
        settings = self._whitelist_settings()
        stamp = day.strftime("%Y%m%d")
        url = settings["url"].replace("{date}", stamp)
        with tempfile.TemporaryFile() as archive, tempfile.TemporaryFile() as index:
            try:
                digest, size = flatfile.download(url, archive, settings["max_bytes"], settings["timeout"])
                header = flatfile.build_index(flatfile.read_document(archive), index)
            except flatfile.DownloadError as exc:
                raise UserError(
                    self.env._(
                        "The VAT white list's flat file of %(day)s could not be downloaded from %(url)s: " "%(error)s",
                        day=day,
                        url=url,
                        error=exc.args[0],
                    )  # fmt: skip
                ) from exc
            except flatfile.FlatFileError as exc:
                raise UserError(
                    self.env._(
                        "The VAT white list's flat file of %(day)s cannot be read: %(error)s",
                        day=day,
                        error=exc.args[0],
                    )  # fmt: skip
                ) from exc
            if header["date"] != stamp:
                raise UserError(
                    self.env._(
                        "The flat file downloaded for %(day)s is the one of %(other)s: it is not loaded.",
                        day=day,
                        other=header["date"],
                    )
                )
            index.seek(0)
            raw = index.read()
        # sudo: the index is public data written by this loader only; users read it through
        # the file record
        record = self.sudo().create(
            {
                "date": day,
                "transformations": header["transformations"],
                "active_count": header["active"],
                "exempt_count": header["exempt"],
                "mask_count": len(header["masks"]),
                "masks": header["masks"],
                "source_url": url,
                "archive_sha512": digest,
                "archive_size": size,
                "loaded_at": fields.Datetime.now(),
            }
        )
        record.index_attachment_id = (
            self.env["ir.attachment"]
            .sudo()
            .create(
                {
                    "name": f"vat-white-list-{stamp}.idx",
                    "raw": raw,
                    "res_model": self._name,
                    "res_id": record.id,
                    "mimetype": "application/octet-stream",
                }
            )
        )
        _logger.info(
            "VAT white list flat file of %s loaded: %s active, %s exempt, %s masks",
            day,
            header["active"],
            header["exempt"],
            len(header["masks"]),
        )
        self.sudo().search([("date", "<", day - timedelta(days=settings["days"] - 1))]).unlink()
        return record

    @api.model
    def _cron_whitelist_load(self):
        """Scheduled action: load today's flat file (the Ministry publishes it at midnight)."""
        try:
            self._whitelist_load()
        except UserError as exc:
            _logger.warning("%s", exc.args[0])

    def action_load_today(self):
        self._whitelist_load()
        return {"type": "ir.actions.client", "tag": "soft_reload"}

    # ---- checking ----

    @api.model
    def _whitelist_file_for(self, day):
        """The flat file loaded for ``day``, or an empty recordset."""
        return self.sudo().search([("date", "=", day)], limit=1)

    def _whitelist_flat_file(self):
        """The loaded :class:`flatfile.FlatFile` (kept per process)."""
        self.ensure_one()
        attachment = self.sudo().index_attachment_id
        key = (self.env.cr.dbname, self.id, attachment.checksum)
        with _LOCK:
            if key not in _FILES:
                buffer = None
                if attachment.store_fname:
                    path = attachment._full_path(attachment.store_fname)
                    if os.path.getsize(path):
                        with open(path, "rb") as handle:
                            buffer = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
                if buffer is None:
                    buffer = attachment.raw or b""
                index = flatfile.DigestIndex(buffer, self.active_count, self.exempt_count)
                _FILES.clear()  # one day's file at a time per process is what payments need
                _FILES[key] = flatfile.FlatFile(index, self.date.strftime("%Y%m%d"), self.transformations, self.masks)
            return _FILES[key]

    def _whitelist_lookup(self, pairs):
        """``{(nip, account): (status, mask)}`` for the pairs, status "active", "exempt" or
        False. Offline: nothing leaves the server."""
        self.ensure_one()
        loaded = self._whitelist_flat_file()
        key = (self.env.cr.dbname, self.id)
        answers = {}
        for pair in pairs:
            cached = _ANSWERS.get((key, pair))
            if cached is None:
                status, mask = loaded.check(*pair)
                cached = (status or False, mask)
                if len(_ANSWERS) >= _MAX_ANSWERS:
                    _ANSWERS.clear()
                _ANSWERS[(key, pair)] = cached
            answers[pair] = cached
        return answers
