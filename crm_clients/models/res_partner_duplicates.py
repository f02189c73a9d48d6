"""For client_upsert (possible_duplicate_ids): ``Partner._client_likely_duplicates(partners)``
answers ``{partner_id: [ids of likely duplicates]}`` for a whole batch in a handful of
queries (no N+1); ``partners._client_possible_duplicates()`` is the same on a recordset.

client_find_duplicates: groups of likely duplicate clients (docs/API.md); and the
same rules applied to a few clients at once (_client_possible_duplicates): the duplicates
client_upsert answers for the clients it creates, the warning of the client form while a
new client is typed, and the messages of a test import.

The keys (normalized tax ID, normalized name) are SQL expressions, indexed on the clients:
a lookup for a few clients reads indexes only (at 100,000 clients, a few milliseconds).
"""

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.osv import expression
from odoo.tools import SQL

from ..tools.internal import SYNC_FROM_PARTNER
from ..tools.internal import is_on
from ..tools.internal import switch_on
from ..tools.pg import gin_flush_pending
from ..tools.pg import local_settings

# Legal forms and noise words left out when comparing names ("Kowalski Sp. z o.o." and
# "KOWALSKI spółka z o.o." are the same name), matched once punctuation became spaces.
_NAME_NOISE = (
    r"\m(sp z o o|spółka z o o|spolka z o o|spółka z ograniczoną odpowiedzialnością|z o o|sp k a|s a|sp j|sp k|"
    r"sp p|s c|gmbh|ltd|inc|llc|sarl|s r l|b v|ab|oy|spółka|spolka|sp)\M"
)
# Similar names are compared within blocks of names starting alike, and within blocks of
# names ending alike (a typo in the first letters); a larger block is too generic to say
# anything ("Client 1", "Client 2", ...) and is skipped.
_BLOCK_MAX = 200
_SIMILARITY = 0.6
# From this many names looked up at once, the name index's pending entries are moved into
# it first (see gin_flush_pending): 3,000 of them cost each lookup 2 ms, their clean-up
# about 20 ms once.
_FLUSH_PENDING_MIN_PROBES = 20
# Reasons in the order they are told.
_REASONS = ("vat", "email", "phone", "name")
# A test import (the import dialog's Test button) of clients: its messages name the rows
# that look like existing clients. Set by base_import_import.py.
IMPORT_TEST = "crm_clients_import_test"
# The records a test import creates, with the rows they came from (see load()).
_IMPORTED = "crm_clients_imported_rows"


def vat_key_sql(column):
    """The normalized tax ID: letters and digits, upper case, no PL prefix."""
    return SQL(
        "regexp_replace(upper(regexp_replace(%s, '[^0-9A-Za-z]', '', 'g')), '^PL(?=[0-9])', '')",
        column,
    )


def name_key_sql(column):
    """The normalized name: lower case, punctuation as spaces, legal forms left out."""
    return SQL(
        "btrim(regexp_replace(regexp_replace(regexp_replace(lower(%s), '[^[:alnum:]]+', ' ', 'g'), %s, ' ', 'g'), ' +', ' ', 'g'))",
        column,
        _NAME_NOISE,
    )


class _ImportedRows:
    """What a test import created: (record id, the row info of load())."""

    __slots__ = ("created", "rows")

    def __init__(self):
        self.created = set()
        self.rows = []


class ResPartner(models.Model):
    _inherit = "res.partner"

    # The warning of the client form while a new client is typed (computed, never stored).
    client_possible_duplicate_ids = fields.Many2many(
        "res.partner",
        string="Likely Duplicates",
        compute="_compute_client_possible_duplicates",
        help="Existing clients with the same tax ID, email, phone or a similar name.",
    )
    client_duplicate_warning = fields.Char(compute="_compute_client_possible_duplicates")
    client_duplicate_hint = fields.Char(string="Details", compute="_compute_client_duplicate_hint")

    def init(self):
        result = super().init()
        cr = self.env.cr
        # Partial on is_client (ours): uninstalling drops them with the column.
        cr.execute(
            SQL(
                "CREATE INDEX IF NOT EXISTS res_partner_crm_vat_key ON res_partner (%s) WHERE is_client AND vat IS NOT NULL",
                vat_key_sql(SQL.identifier("vat")),
            )
        )
        for column in self._client_normalized_columns():
            cr.execute(
                SQL(
                    "CREATE INDEX IF NOT EXISTS %s ON res_partner (%s) WHERE is_client AND %s IS NOT NULL",
                    SQL.identifier(f"res_partner_crm_{column}"),
                    SQL.identifier(column),
                    SQL.identifier(column),
                )
            )
        if self._client_has_trigrams():
            # Equal and similar names, through one trigram index.
            cr.execute(
                SQL(
                    """CREATE INDEX IF NOT EXISTS res_partner_crm_name_key_trgm ON res_partner
                       USING gin ((%s) gin_trgm_ops) WHERE is_client AND name IS NOT NULL""",
                    name_key_sql(SQL.identifier("name")),
                )
            )
        else:
            cr.execute(
                SQL(
                    "CREATE INDEX IF NOT EXISTS res_partner_crm_name_key ON res_partner (%s) WHERE is_client AND name IS NOT NULL",
                    name_key_sql(SQL.identifier("name")),
                )
            )
        return result

    @api.model
    def _client_normalized_columns(self):
        """Core's normalized email and phone columns the partners have: phone_sanitized
        only comes with a module making partners phone threads (sms)."""
        return [
            name
            for name in ("email_normalized", "phone_sanitized")
            if name in self._fields and self._fields[name].store
        ]

    @api.model
    def _client_has_trigrams(self):
        self.env.cr.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        return bool(self.env.cr.rowcount)

    @api.model
    @api.readonly
    def client_find_duplicates(self, domain=None):
        """Groups of clients that are likely the same: by normalized tax ID, email, phone,
        name, and similar names. ``domain`` narrows the clients compared (access rules
        apply). For the staff: portal and public users are refused."""
        if not self.env.su and not self.env.user._is_internal():
            raise AccessError(self.env._("Only internal users can look for duplicate clients."))
        self.env.flush_all()  # the queries below read the tables directly
        ids = self._search(expression.AND([domain or [], [("is_client", "=", True)]])).subselect()
        cr = self.env.cr
        groups = []
        for reason, query in (
            ("vat", self._client_duplicates_vat_sql(ids)),
            ("email", self._client_duplicates_email_sql(ids)),
            ("phone", self._client_duplicates_phone_sql(ids)),
        ):
            cr.execute(query)
            groups += [{"reason": reason, "key": key, "partner_ids": partner_ids} for key, partner_ids in cr.fetchall()]
        groups += self._client_name_groups(ids)
        return self._client_without_not_duplicates(groups)

    @api.model
    def _client_without_not_duplicates(self, groups):
        """The groups less those whose every pair was marked "Not a duplicate"."""
        pairs = (
            self.env["crm.client.not.duplicate"]
            .sudo()
            ._pairs_among({i for group in groups for i in group["partner_ids"]})
        )
        if not pairs:
            return groups
        return [
            group
            for group in groups
            if any(
                (a, b) not in pairs
                for n, a in enumerate(sorted(group["partner_ids"]))
                for b in sorted(group["partner_ids"])[n + 1 :]
            )
        ]

    @api.model
    def _client_duplicates_vat_sql(self, ids):
        return SQL(
            """
            SELECT key, array_agg(id ORDER BY id) FROM (
                SELECT id, %s AS key FROM res_partner WHERE id IN %s AND vat IS NOT NULL
            ) t
             WHERE length(key) > 3
             GROUP BY key HAVING count(*) > 1
             ORDER BY key
            """,
            vat_key_sql(SQL.identifier("vat")),
            ids,
        )

    @api.model
    def _client_duplicates_email_sql(self, ids):
        return self._client_duplicates_channel_sql(ids, "email_normalized", "crm_client_email", "email")

    @api.model
    def _client_duplicates_phone_sql(self, ids):
        return self._client_duplicates_channel_sql(ids, "phone_sanitized", "crm_client_phone", "number")

    @api.model
    def _client_duplicates_channel_sql(self, ids, partner_column, line_table, line_column):
        """Clients sharing a normalized address or number: core's own normalized column
        on the partner (when there is one), and every valid line."""
        partner_keys = SQL()
        if partner_column in self._client_normalized_columns():
            partner_keys = SQL(
                "SELECT id AS partner_id, %(column)s AS key FROM res_partner WHERE id IN %(ids)s AND %(column)s IS NOT NULL UNION",
                column=SQL.identifier(partner_column),
                ids=ids,
            )
        return SQL(
            """
            SELECT key, array_agg(DISTINCT partner_id ORDER BY partner_id) FROM (
                %(partner_keys)s
                SELECT partner_id, %(line_column)s AS key FROM %(line_table)s WHERE partner_id IN %(ids)s AND is_valid
            ) t
             GROUP BY key HAVING count(DISTINCT partner_id) > 1
             ORDER BY key
            """,
            partner_keys=partner_keys,
            line_table=SQL.identifier(line_table),
            line_column=SQL.identifier(line_column),
            ids=ids,
        )

    @api.model
    def _client_name_groups(self, ids):
        """Groups of the same normalized name, then of similar names (a typo, a missing
        word: trigram similarity within blocks of names starting alike, and of names
        ending alike for a typo in the first letters; connected groups). One statement: the names are normalized once (the regular expressions
        are the expensive part) in a materialized CTE, so it only reads and runs on a
        read-only replica too."""
        cr = self.env.cr
        similar = SQL(
            """
            UNION ALL
            SELECT NULL, pairs.key, NULL, pairs.left_id, pairs.right_id FROM (
                SELECT a.id AS left_id, a.key, b.id AS right_id
                  FROM long_keys a JOIN long_keys b ON a.block = b.block AND a.id < b.id AND a.key <> b.key
                 WHERE a.block IN (SELECT block FROM blocks) AND similarity(a.key, b.key) >= %(similarity)s
                UNION
                SELECT a.id, a.key, b.id
                  FROM long_keys a JOIN long_keys b ON a.tail = b.tail AND a.id < b.id AND a.key <> b.key
                 WHERE a.tail IN (SELECT tail FROM tails) AND similarity(a.key, b.key) >= %(similarity)s
            ) pairs
            """,
            similarity=_SIMILARITY,
        )
        cr.execute(
            SQL(
                """
                WITH keys AS MATERIALIZED (
                        SELECT id, key, left(key, 4) AS block, right(key, 4) AS tail FROM (
                            SELECT id, %(name_key)s AS key FROM res_partner WHERE id IN %(ids)s AND name IS NOT NULL
                        ) t WHERE length(key) > 2
                     ),
                     long_keys AS (SELECT id, key, block, tail FROM keys WHERE length(key) > 3),
                     blocks AS (SELECT block FROM long_keys GROUP BY block HAVING count(*) BETWEEN 2 AND %(block_max)s),
                     tails AS (SELECT tail FROM long_keys GROUP BY tail HAVING count(*) BETWEEN 2 AND %(block_max)s)
                SELECT 'same', key, array_agg(id ORDER BY id), NULL, NULL
                  FROM keys GROUP BY key HAVING count(*) > 1
                %(similar)s
                """,
                name_key=name_key_sql(SQL.identifier("name")),
                ids=ids,
                block_max=_BLOCK_MAX,
                similar=similar if self._client_has_trigrams() else SQL(),
            )
        )
        rows = cr.fetchall()
        same = sorted((key, partner_ids) for kind, key, partner_ids, _a, _b in rows if kind == "same")
        pairs = sorted((left, key, right) for kind, key, _ids, left, right in rows if kind is None)
        groups = [{"reason": "name", "key": key, "partner_ids": partner_ids} for key, partner_ids in same]
        return groups + self._client_similar_name_groups(pairs)

    @api.model
    def _client_similar_name_groups(self, pairs):
        """Connected groups of the (left id, left key, right id) pairs of similar names."""
        parent, first_key = {}, {}

        def root(node):
            while parent.setdefault(node, node) != node:
                parent[node] = parent[parent[node]]
                node = parent[node]
            return node

        for left, key, right in pairs:
            first_key.setdefault(left, key)
            a, b = root(left), root(right)
            if a != b:
                parent[max(a, b)] = min(a, b)
        members = {}
        for node in list(parent):
            members.setdefault(root(node), []).append(node)
        return [
            {"reason": "name", "key": f"~{first_key.get(top, '')}", "partner_ids": sorted(group)}
            for top, group in sorted(members.items())
            if len(group) > 1
        ]

    # ---- The same rules for a few clients ----

    @api.model
    def _client_likely_duplicates(self, partners):
        """{partner id: [ids of the existing clients it likely duplicates]} for a batch of
        partners (client_upsert's possible_duplicate_ids): one batch, no N+1."""
        return self.browse(
            partners.ids if isinstance(partners, models.BaseModel) else partners
        )._client_possible_duplicates()

    def _client_possible_duplicates(self):
        """{id: [ids of the clients these clients likely duplicate]}, by the rules of
        client_find_duplicates (tax ID, email, phone, equal or similar name; active
        clients the user may read), for all of them in a handful of queries."""
        if not self:
            return {}
        for model in ("res.partner", "crm.client.email", "crm.client.phone"):
            self.env[model].flush_model()
        cr = self.env.cr
        ids = tuple(self.ids)
        phone = SQL("phone_sanitized") if "phone_sanitized" in self._client_normalized_columns() else SQL("NULL")
        cr.execute(SQL("SELECT id, vat, name, email_normalized, %s FROM res_partner WHERE id IN %s", phone, ids))
        probes = {
            partner_id: {
                "key": partner_id,
                "exclude": partner_id,
                "vat": vat,
                "name": name,
                "emails": {email} if email else set(),
                "phones": {phone} if phone else set(),
            }
            for partner_id, vat, name, email, phone in cr.fetchall()
        }
        for table, column, kind in (("crm_client_email", "email", "emails"), ("crm_client_phone", "number", "phones")):
            cr.execute(
                SQL(
                    "SELECT partner_id, %s FROM %s WHERE partner_id IN %s AND is_valid",
                    SQL.identifier(column),
                    SQL.identifier(table),
                    ids,
                )
            )
            for partner_id, value in cr.fetchall():
                probes[partner_id][kind].add(value)
        found = self._client_duplicate_candidates(list(probes.values()))
        pairs = (
            self.env["crm.client.not.duplicate"]
            .sudo()
            ._pairs_among(set(ids) | {i for matches in found.values() for i in matches})
        )
        return {
            partner.id: sorted(
                i for i in found.get(partner.id, {}) if (min(i, partner.id), max(i, partner.id)) not in pairs
            )
            for partner in self
        }

    @api.model
    def _client_duplicate_candidates(self, probes):
        """{probe key: {client id: {reasons}}} for probes ``{"key": int, "exclude": id
        or 0, "vat", "name", "emails": normalized, "phones": E.164}``: one query for them
        all, through the indexes of init(), then one for the rights."""
        if not probes:
            return {}
        emails = [(probe["key"], email) for probe in probes for email in probe["emails"]]
        phones = [(probe["key"], phone) for probe in probes for phone in probe["phones"]]
        trigrams = self._client_has_trigrams()
        names = self._client_name_candidates_sql(trigrams)
        # A lookup of a few clients through indexes: PostgreSQL's estimates of these
        # unions are far too high and make it compile the statement (JIT, about a second
        # for 500 probes); pg_trgm's "%" takes the similarity the names need, so that
        # its index reads only the names that can reach it (the same answer: an equal
        # name has a similarity of 1).
        settings = {"jit": "off"}
        if trigrams:
            settings["pg_trgm.similarity_threshold"] = str(_SIMILARITY)
            if len(probes) >= _FLUSH_PENDING_MIN_PROBES:
                gin_flush_pending(self.env.cr, "res_partner_crm_name_key_trgm")
        with local_settings(self.env.cr, settings):
            rows = self._client_duplicate_candidate_rows(probes, names, emails, phones)
        readable = set(self.search([("id", "in", list({row[2] for row in rows}))]).ids) if rows else set()
        found = {}
        for key, reason, partner_id in rows:
            if partner_id in readable:
                found.setdefault(key, {}).setdefault(partner_id, set()).add(reason)
        return found

    @api.model
    def _client_name_candidates_sql(self, trigrams):
        """(CTEs, rows) of the name part of the lookup: (probe key, 'name', client id).

        With pg_trgm, equal and similar names through its index, at most _BLOCK_MAX a
        name: a name that more clients resemble is too generic to say anything (as in
        client_find_duplicates' blocks; "Shop 12" among "Shop 1" ... "Shop 9999"), and
        only its equal names are given. Without a bound, each such name read every name
        like it and the lookup grew with their square. The clients counted are those of
        the user's companies (and of none), the clients core's company rule lets them
        read: clients of a company the user cannot see never silence a warning. Equal
        names are found through the same index, with a LIKE (a name key has letters,
        digits and single spaces only: no wildcard), which every version of pg_trgm
        serves."""
        key = name_key_sql(SQL("r.name"))
        alive = SQL("r.is_client AND r.name IS NOT NULL AND r.active AND r.id <> p.exclude")
        if not trigrams:
            return SQL(), SQL(
                "SELECT p.key, 'name', r.id FROM probe p JOIN res_partner r ON %s = p.name_key WHERE %s AND length(p.name_key) > 2",
                key,
                alive,
            )
        counted = alive
        if not self.env.su:
            companies = self.env.companies | self.env.companies.parent_ids
            counted = SQL("%s AND (r.company_id IS NULL OR r.company_id = ANY(%s))", alive, companies.ids)
        # "%%%%" is pg_trgm's similarity operator "%" (the index's), escaped twice.
        similar = SQL(
            "%s %%%% p.name_key AND (%s = p.name_key OR (length(p.name_key) > 3 AND similarity(%s, p.name_key) >= %s))",
            key,
            key,
            key,
            _SIMILARITY,
        )
        ctes = SQL(
            """, names AS MATERIALIZED (
                    SELECT p.key, found.id, found.n
                      FROM probe p CROSS JOIN LATERAL (
                           SELECT head.id, count(*) OVER () AS n FROM (
                                  SELECT r.id FROM res_partner r WHERE %(similar)s AND %(counted)s LIMIT %(over)s
                           ) head
                      ) found
                     WHERE length(p.name_key) > 2
                ), generic AS MATERIALIZED (
                    SELECT * FROM probe WHERE key IN (SELECT key FROM names WHERE n > %(max)s)
                )""",
            similar=similar,
            counted=counted,
            over=_BLOCK_MAX + 1,
            max=_BLOCK_MAX,
        )
        rows = SQL(
            """SELECT key, 'name', id FROM names WHERE n <= %(max)s
               UNION
               SELECT p.key, 'name', equal.id
                 FROM generic p CROSS JOIN LATERAL (
                      SELECT r.id FROM res_partner r WHERE %(key)s LIKE p.name_key AND %(key)s = p.name_key AND %(alive)s
                      OFFSET 0
                 ) equal""",
            max=_BLOCK_MAX,
            key=key,
            alive=alive,
        )
        return ctes, rows

    @api.model
    def _client_duplicate_candidate_rows(self, probes, names, emails, phones):
        self.env.cr.execute(
            SQL(
                """
                WITH probe AS (
                    SELECT u.key, u.exclude, %(vat_key)s AS vat_key, %(name_key)s AS name_key
                      FROM unnest(%(keys)s::int[], %(excludes)s::int[], %(vats)s::varchar[], %(names)s::varchar[])
                           AS u(key, exclude, vat, name)
                ), emails AS (
                    SELECT * FROM unnest(%(email_keys)s::int[], %(email_values)s::varchar[]) AS e(key, value)
                ), phones AS (
                    SELECT * FROM unnest(%(phone_keys)s::int[], %(phone_values)s::varchar[]) AS e(key, value)
                )%(name_ctes)s
                SELECT p.key, 'vat', r.id
                  FROM probe p JOIN res_partner r ON %(r_vat_key)s = p.vat_key
                 WHERE %(r_vat_key)s = ANY(ARRAY(SELECT vat_key FROM probe WHERE length(vat_key) > 3))
                   AND r.is_client AND r.vat IS NOT NULL AND r.active AND r.id <> p.exclude AND length(p.vat_key) > 3
                UNION
                %(name_rows)s
                UNION
                SELECT e.key, 'email', r.id
                  FROM emails e JOIN probe p ON p.key = e.key
                  JOIN crm_client_email l ON l.email = e.value AND l.is_valid
                  JOIN res_partner r ON r.id = l.partner_id
                 WHERE r.is_client AND r.active AND r.id <> p.exclude
                UNION
                SELECT e.key, 'email', r.id
                  FROM emails e JOIN probe p ON p.key = e.key JOIN res_partner r ON r.email_normalized = e.value
                 WHERE r.is_client AND r.email_normalized IS NOT NULL AND r.active AND r.id <> p.exclude
                UNION
                SELECT e.key, 'phone', r.id
                  FROM phones e JOIN probe p ON p.key = e.key
                  JOIN crm_client_phone l ON l.number = e.value AND l.is_valid
                  JOIN res_partner r ON r.id = l.partner_id
                 WHERE r.is_client AND r.active AND r.id <> p.exclude
                %(partner_phones)s
                """,
                partner_phones=SQL(
                    """UNION
                       SELECT e.key, 'phone', r.id
                         FROM phones e JOIN probe p ON p.key = e.key JOIN res_partner r ON r.phone_sanitized = e.value
                        WHERE r.is_client AND r.phone_sanitized IS NOT NULL AND r.active AND r.id <> p.exclude"""
                )
                if "phone_sanitized" in self._client_normalized_columns()
                else SQL(),
                vat_key=vat_key_sql(SQL("u.vat")),
                name_key=name_key_sql(SQL("u.name")),
                r_vat_key=vat_key_sql(SQL("r.vat")),
                name_ctes=names[0],
                name_rows=names[1],
                keys=[probe["key"] for probe in probes],
                excludes=[probe["exclude"] or 0 for probe in probes],
                vats=[probe["vat"] or None for probe in probes],
                names=[probe["name"] or None for probe in probes],
                email_keys=[key for key, _value in emails],
                email_values=[value for _key, value in emails],
                phone_keys=[key for key, _value in phones],
                phone_values=[value for _key, value in phones],
            )
        )
        return self.env.cr.fetchall()

    # ---- The warning of the client form ----

    @api.depends("vat", "email", "phone", "city")
    def _compute_client_duplicate_hint(self):
        for partner in self:
            partner.client_duplicate_hint = " · ".join(
                value for value in (partner.vat, partner.email, partner.phone, partner.city) if value
            )

    @api.depends(
        "name", "vat", "email", "phone", "mobile", "country_id", "parent_id", "email_ids.email", "phone_ids.number"
    )
    @api.depends_context("uid")
    def _compute_client_possible_duplicates(self):
        """New clients only (the form being typed): nothing is written, a few index
        lookups are read."""
        self.client_possible_duplicate_ids = False
        self.client_duplicate_warning = False
        new = self.filtered(
            lambda p: not p._origin
            and not p.id
            and not p.parent_id
            and (p.name or p.vat or p.email or p.phone or p.mobile)
        )
        if not new or not self.env.user._is_internal():
            return
        probes = [partner._client_typed_probe(key) for key, partner in enumerate(new)]
        found = self._client_duplicate_candidates(probes)
        labels = self._client_reason_labels()
        for key, partner in enumerate(new):
            matches = found.get(key, {})
            if not matches:
                continue
            ordered = sorted(matches, key=lambda pid: (min(_REASONS.index(r) for r in matches[pid]), pid))
            partner.client_possible_duplicate_ids = [fields.Command.set(ordered)]
            reasons = sorted({r for found_reasons in matches.values() for r in found_reasons}, key=_REASONS.index)
            partner.client_duplicate_warning = self.env._(
                "This client may already exist (%(reasons)s): open one of these, or discard this new one.",
                reasons=", ".join(labels[r] for r in reasons),
            )

    def _client_typed_probe(self, key):
        """What the form holds, normalized like the stored lines."""
        Email = self.env["crm.client.email"].with_context(**switch_on(SYNC_FROM_PARTNER))
        Phone = self.env["crm.client.phone"].with_context(**switch_on(SYNC_FROM_PARTNER))
        emails, phones = set(), set()
        for typed in {self.email, *self.email_ids.mapped("email")} - {False, None, ""}:
            value, valid = Email._channel_normalize(typed, self)
            if valid:
                emails.add(value)
        country = self.country_id or self.env.company.country_id
        for typed in {self.phone, self.mobile, *self.phone_ids.mapped("number")} - {False, None, ""}:
            value, valid, _extension = Phone._phone_parse_in_region(typed, country.code if country else None)
            if valid:
                phones.add(value)
        return {"key": key, "exclude": 0, "vat": self.vat, "name": self.name, "emails": emails, "phones": phones}

    @api.model
    def _client_reason_labels(self):
        _ = self.env._
        return {"vat": _("same tax ID"), "email": _("same email"), "phone": _("same phone"), "name": _("similar name")}

    # ---- Test imports ----

    @api.model
    def load(self, fields, data):
        """A test import of clients also says which rows look like existing clients
        (warnings: importing creates them anyway)."""
        if not is_on(self.env, IMPORT_TEST):
            return super().load(fields, data)
        imported = _ImportedRows()
        result = super(ResPartner, self.with_context(**{_IMPORTED: imported})).load(fields, data)
        if result.get("ids") and imported.rows:
            result["messages"] = [*result["messages"], *self._client_import_messages(imported, fields)]
        return result

    def _load_records_create(self, vals_list):
        records = super()._load_records_create(vals_list)
        imported = self.env.context.get(_IMPORTED)
        if isinstance(imported, _ImportedRows):
            imported.created.update(records.ids)
        return records

    def _load_records(self, data_list, update=False, ignore_duplicates=False):
        records = super()._load_records(data_list, update=update, ignore_duplicates=ignore_duplicates)
        imported = self.env.context.get(_IMPORTED)
        if isinstance(imported, _ImportedRows):
            imported.rows += [
                (data["record"].id, data.get("info") or {})
                for data in data_list
                if data.get("record") and data["record"].id in imported.created
            ]
        return records

    @api.model
    def _client_import_messages(self, imported, field_paths):
        created = self.browse([record_id for record_id, _info in imported.rows]).exists()
        duplicates = created._client_possible_duplicates()
        names = dict(
            self.browse({i for ids in duplicates.values() for i in ids}).mapped(lambda p: (p.id, p.display_name))
        )
        columns = {path.split("/")[0] for path in field_paths if path}
        messages = []
        for record_id, info in imported.rows:
            # Clients already there, and other rows of the file alike.
            ids = duplicates.get(record_id) or []
            if not ids:
                continue
            column = next((name for name in ("vat", "email", "phone", "name") if name in columns), None)
            message = {
                "type": "warning",
                "message": self.env._(
                    "This row looks like a client that already exists: %(clients)s.",
                    clients=", ".join(names.get(i) or "#" + str(i) for i in ids[:5]),
                ),
                "record": info.get("record", 0),
                "rows": info.get("rows") or {"from": info.get("record", 0), "to": info.get("record", 0)},
            }
            if column:
                message["field"] = column
            messages.append(message)
        if messages:
            messages.insert(
                0,
                {
                    "type": "warning",
                    "message": self.env._(
                        "%(count)s rows look like clients that already exist (below). Importing creates them anyway: "
                        "remove them from the file, or merge them afterwards (Clients > Duplicates).",
                        count=len(messages),
                    ),
                },
            )
        return messages
