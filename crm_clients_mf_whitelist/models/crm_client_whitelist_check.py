from odoo import api, fields, models

RESULTS = [
    ("active", "On the list (active VAT payer)"),
    ("exempt", "On the list (VAT exempt)"),
    ("absent", "Not on the list"),
]


class CrmClientWhitelistCheck(models.Model):
    """The proof that an account was (or was not) a taxpayer's on the white list on a day:
    the Ministry's request id for an API answer, the flat file's day and checksum for an
    offline one. Written by the checks only, never edited."""

    _name = "crm.client.whitelist.check"
    _description = "VAT White List Check"
    _order = "date desc, id desc"

    nip = fields.Char(string="NIP", required=True, readonly=True, index=True)
    account = fields.Char(required=True, readonly=True)
    date = fields.Date(string="Checked For", required=True, readonly=True, index=True)
    result = fields.Selection(RESULTS, required=True, readonly=True)
    source = fields.Selection(
        [("file", "Flat file"), ("search", "White list API: search"), ("check", "White list API: account check")],
        required=True,
        readonly=True,
    )
    request_id = fields.Char(string="Request ID", readonly=True, help="The Ministry's identifier of the request")
    request_time = fields.Char(string="Answered At", readonly=True, help="The Ministry's time of the answer")
    file_sha512 = fields.Char(string="Flat File SHA-512", readonly=True, help="Of the archive the answer comes from")
    mask = fields.Char(string="Virtual Account Mask", readonly=True)

    _sql_constraints = [
        ("check_unique", "UNIQUE (nip, account, date, source)", "One check per account, day and source."),
    ]

    @api.depends("nip", "account", "date", "result")
    def _compute_display_name(self):
        labels = dict(RESULTS)
        for check in self:
            check.display_name = f"{check.date} · {check.nip} · {check.account} · {labels.get(check.result, '')}"

    def _proof_text(self):
        """How the answer can be shown again: the request id or the flat file."""
        self.ensure_one()
        if self.source == "file":
            return self.env._(
                "flat file of %(day)s (SHA-512 %(sha)s…)", day=self.date, sha=(self.file_sha512 or "")[:16]
            )
        return self.env._("request ID %(id)s", id=self.request_id or "?")
