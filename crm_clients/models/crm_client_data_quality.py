"""Data Quality: what does not look right in the partners' identifiers, emails and phones.

Built when the addon is installed into a database that already holds partners (and on
demand): nothing is refused or changed by it, it lists values kept as typed so that
someone can fix them.
"""

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL
from odoo.tools.sql import column_exists

from ..tools import polish_ids
from .res_partner_identifiers import _POLISH_ID_FIELDS

_PAGE = 10_000

# InvalidIdentifier reasons (polish_ids) -> problem
_ID_PROBLEMS = {
    "only digits are allowed": "characters",
    "only digits are allowed, after an optional PL prefix": "characters",
    "a NIP has 10 digits": "length",
    "a REGON has 9 or 14 digits": "length",
    "a PESEL has 11 digits": "length",
    "a KRS number has 10 digits": "length",
    "the checksum does not match": "checksum",
    "the checksum or the encoded birth date does not match": "checksum",
}

# The key two tax IDs are compared on, as client_find_duplicates compares them.
_TAX_ID_KEY = SQL(
    "regexp_replace(upper(regexp_replace(p.vat, '[^0-9A-Za-z]', '', 'g')), '^PL(?=[0-9])', '')",
)


class CrmClientDataQuality(models.Model):
    _name = "crm.client.data.quality"
    _description = "Client Data Quality Finding"
    _order = "kind, problem, partner_id, id"
    _rec_name = "value"

    partner_id = fields.Many2one(
        "res.partner", string="Partner", required=True, readonly=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="partner_id.company_id", store=True, string="Company")
    kind = fields.Selection(
        [
            ("nip", "NIP"),
            ("vat", "Tax ID"),
            ("regon", "REGON"),
            ("pesel", "PESEL"),
            ("krs", "KRS"),
            ("email", "Email"),
            ("phone", "Phone"),
        ],
        required=True,
        readonly=True,
    )
    problem = fields.Selection(
        [
            ("characters", "Not only digits"),
            ("length", "Wrong number of digits"),
            ("checksum", "Checksum does not match"),
            ("shared", "Shared with another partner"),
            ("not_email", "Not an email address"),
            ("unparsable", "Not a phone number"),
            ("reformatted", "Reformatted at install"),
        ],
        required=True,
        readonly=True,
    )
    field_name = fields.Selection(
        [
            ("vat", "Tax ID"),
            ("regon", "REGON"),
            ("pesel", "PESEL"),
            ("krs", "KRS"),
            ("email", "Email"),
            ("phone", "Phone"),
            ("mobile", "Mobile"),
        ],
        string="Field",
        required=True,
        readonly=True,
    )
    value = fields.Char(
        readonly=True, help="The value as it is stored (for a reformatted one: as it was typed before the install)."
    )
    normalized_value = fields.Char(
        readonly=True,
        help="What the value was reformatted to; for a shared tax ID the digits it is compared on.",
    )
    found_on = fields.Datetime(readonly=True, default=fields.Datetime.now)

    # ---- Actions ----

    def action_refresh(self):
        """Look again at every partner the user can see (client managers only)."""
        if not self.env.su and not self.env.user.has_group("crm_clients.group_client_manager"):
            raise AccessError(self.env._("Only client managers can refresh the Data Quality report."))
        visible = self.env["res.partner"].with_context(active_test=False)._search([])
        # sudo: the report's rows are written by the system only (users read them).
        self.sudo()._client_quality_rebuild(visible)
        return {"type": "ir.actions.client", "tag": "soft_reload"}

    # ---- Building ----

    @api.model
    def _client_quality_rebuild(self, partners=None):
        """Replace the findings about ``partners`` (a Query of partner ids; every
        partner when None) with what their data shows now. Reformatting notes stay."""
        self.env.flush_all()
        cr = self.env.cr
        scope = SQL("TRUE") if partners is None else SQL("p.id IN %s", partners.subselect())
        cr.execute(
            SQL(
                """DELETE FROM crm_client_data_quality q USING res_partner p
                    WHERE q.partner_id = p.id AND q.problem <> 'reformatted' AND %s""",
                scope,
            )
        )
        self._client_quality_from_lines(scope)
        self._client_quality_from_ids(scope)
        self._client_quality_shared_tax_ids(scope)
        self.env.invalidate_all()

    @api.model
    def _client_quality_insert(self, rows):
        """rows: (partner id, kind, problem, field, value, normalized value)."""
        if not rows:
            return
        columns = list(zip(*rows, strict=True))
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO crm_client_data_quality (partner_id, company_id, kind, problem, field_name, value,
                                                     normalized_value, found_on,
                                                     create_uid, create_date, write_uid, write_date)
                SELECT t.partner_id, p.company_id, t.kind, t.problem, t.field_name, t.value, t.normalized_value,
                       %(now)s, %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM unnest(%(partner_ids)s::int4[], %(kinds)s::varchar[], %(problems)s::varchar[],
                              %(fields)s::varchar[], %(values)s::varchar[], %(normalized)s::varchar[])
                       AS t(partner_id, kind, problem, field_name, value, normalized_value)
                  JOIN res_partner p ON p.id = t.partner_id
                """,
                now=self.env.cr.now(),
                uid=self.env.uid,
                partner_ids=list(columns[0]),
                kinds=list(columns[1]),
                problems=list(columns[2]),
                fields=list(columns[3]),
                values=list(columns[4]),
                normalized=list(columns[5]),
            )
        )

    @api.model
    def _client_quality_record_reformatted(self, changes):
        """changes: (partner id, field, as typed, normalized) of identifiers the install
        rewrote in their normalized form."""
        self._client_quality_insert(
            [
                (partner_id, "nip" if fname == "vat" else fname, "reformatted", fname, typed, normalized)
                for partner_id, fname, typed, normalized in changes
            ]
        )

    @api.model
    def _client_quality_from_lines(self, scope):
        """Emails and phones kept as typed because they do not parse (their lines are
        flagged invalid, as for a new partner)."""
        now, uid = self.env.cr.now(), self.env.uid
        for table, column, kind, problem, field_name in (
            (
                "crm_client_email",
                "email",
                "email",
                "not_email",
                SQL("'email'"),
            ),
            (
                "crm_client_phone",
                "number",
                "phone",
                "unparsable",
                SQL("CASE WHEN l.is_mobile AND NOT l.is_primary THEN 'mobile' ELSE 'phone' END"),
            ),
        ):
            self.env.cr.execute(
                SQL(
                    """
                    INSERT INTO crm_client_data_quality (partner_id, company_id, kind, problem, field_name, value,
                                                         found_on, create_uid, create_date, write_uid, write_date)
                    SELECT l.partner_id, p.company_id, %(kind)s, %(problem)s, %(field_name)s, l.%(column)s,
                           %(now)s, %(uid)s, %(now)s, %(uid)s, %(now)s
                      FROM %(table)s l JOIN res_partner p ON p.id = l.partner_id
                     WHERE NOT l.is_valid AND %(scope)s
                    """,
                    table=SQL.identifier(table),
                    column=SQL.identifier(column),
                    kind=kind,
                    problem=problem,
                    field_name=field_name,
                    now=now,
                    uid=uid,
                    scope=scope,
                )
            )

    @api.model
    def _client_quality_from_ids(self, scope):
        """Polish identifiers failing their format or checksum, page by page. Tax IDs of
        other countries are left to base_vat: only Polish ones can be told invalid here."""
        cr = self.env.cr
        Partner = self.env["res.partner"]
        columns = ["vat"] + [fname for fname in _POLISH_ID_FIELDS if column_exists(cr, "res_partner", fname)]
        countries = {country.id: country for country in self.env["res.country"].search([])}
        last_id = 0
        while True:
            cr.execute(
                SQL(
                    """
                    SELECT p.id, p.country_id, %(columns)s FROM res_partner p
                     WHERE p.id > %(last_id)s AND (%(any_value)s) AND %(scope)s
                     ORDER BY p.id LIMIT %(limit)s
                    """,
                    columns=SQL(", ").join(SQL("p.%s", SQL.identifier(column)) for column in columns),
                    any_value=SQL(" OR ").join(SQL("p.%s IS NOT NULL", SQL.identifier(column)) for column in columns),
                    last_id=last_id,
                    scope=scope,
                    limit=_PAGE,
                )
            )
            rows = cr.dictfetchall()
            if not rows:
                return
            last_id = rows[-1]["id"]
            found = []
            for row in rows:
                for fname in columns:
                    value = row[fname]
                    if not isinstance(value, str) or not value.strip():
                        continue
                    if fname == "vat":
                        country = countries.get(row["country_id"], self.env["res.country"])
                        if not Partner._client_vat_is_nip(value, country):
                            continue
                        normalize, kind = polish_ids.normalize_nip, "nip"
                    else:
                        normalize, kind = _POLISH_ID_FIELDS[fname][0], fname
                    try:
                        normalize(value)
                    except polish_ids.InvalidIdentifier as exc:
                        found.append((row["id"], kind, _ID_PROBLEMS.get(exc.reason, "characters"), fname, value, None))
            self._client_quality_insert(found)

    @api.model
    def _client_quality_shared_tax_ids(self, scope):
        """Active commercial entities with the same tax ID, compared as the duplicate
        finder compares them. A partner is reported only for the partners that whoever
        sees it sees too (of its company, or of no company): a finding never tells one
        company about another's partners."""
        cr = self.env.cr
        now, uid = cr.now(), self.env.uid
        cr.execute(
            SQL(
                """
                WITH keyed AS (
                    SELECT p.id, p.company_id, p.vat, %(key)s AS key
                      FROM res_partner p
                     WHERE p.vat IS NOT NULL AND p.active AND p.id = p.commercial_partner_id AND %(scope)s
                ), counted AS (
                    -- Partners with the same key: of no company, and of each partner's own
                    -- company (window counts: a self-join was quadratic in the partners
                    -- sharing keys, hours at a million).
                    SELECT k.*,
                           count(*) FILTER (WHERE k.company_id IS NULL) OVER (PARTITION BY k.key) AS of_no_company,
                           count(*) OVER (PARTITION BY k.key, k.company_id) AS of_its_company
                      FROM keyed k
                     WHERE length(k.key) > 3
                )
                INSERT INTO crm_client_data_quality (partner_id, company_id, kind, problem, field_name, value,
                                                     normalized_value, found_on,
                                                     create_uid, create_date, write_uid, write_date)
                SELECT a.id, a.company_id, 'vat', 'shared', 'vat', a.vat, a.key, %(now)s, %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM counted a
                 -- another partner with its key that whoever sees it sees too: of no
                 -- company, or of its own company
                 WHERE CASE WHEN a.company_id IS NULL THEN a.of_no_company > 1
                            ELSE a.of_no_company > 0 OR a.of_its_company > 1 END
                """,
                key=_TAX_ID_KEY,
                scope=scope,
                now=now,
                uid=uid,
            )
        )
