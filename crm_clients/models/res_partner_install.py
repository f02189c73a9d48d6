"""Partners that existed before the install (or before an upgrade that adds such data)
get what a new partner gets: email and phone lines, normalized identifiers, a client
number and the default status.

A database may hold a million partners: nothing here goes through the ORM one partner
at a time. Partners are read in pages of ``_INSTALL_BATCH`` ids (keyset pagination, so
memory stays bounded), normalized in Python by the same code as a new partner's values,
and their lines written with one multi-row INSERT per page. Each partner row is then
rewritten once, by one UPDATE (every full rewrite of res_partner updates its twenty-odd
indexes for every partner: doing it once per column would cost minutes per million).
"""

import logging
import time

from odoo import api, models
from odoo.tools import SQL
from odoo.tools.sql import column_exists
from odoo.tools.sql import create_column

from ..tools import polish_ids
from ..tools.internal import SYNC_FROM_PARTNER
from ..tools.internal import switch_on
from .res_partner_identifiers import _POLISH_ID_FIELDS

_logger = logging.getLogger(__name__)

_INSTALL_BATCH = 10_000

# Stored computed fields of ours on res_partner whose columns are created before the ORM
# sees them: it would compute them partner by partner, every partner in memory at once
# (account does the same for account_move_line in its _auto_init).
# _client_install_existing_partners gives them their values.
_PRECREATED_COLUMNS = ("is_client", "client_attribute_set_id", "client_properties")

# Where the normalized identifiers of a page wait for the one UPDATE of res_partner.
_NORMALIZED_TABLE = "crm_client_install_normalized_ids"


class ResPartner(models.Model):
    _inherit = "res.partner"

    def _auto_init(self):
        cr = self.env.cr
        for name in _PRECREATED_COLUMNS:
            field = self._fields[name]
            if not column_exists(cr, self._table, name):
                create_column(cr, self._table, name, field.column_type[1], field.string)
        for field in self._fields.values():
            if field._module == "crm_clients" and field.store and field.column_type and field.default:
                self._client_create_column_with_default(field)
        return super()._auto_init()

    def _client_create_column_with_default(self, field):
        """Create the column of a new field with a default the way the ORM would, but
        give existing rows the default as PostgreSQL's default of the new column: the
        ORM's UPDATE of every row (_init_column) rewrites every partner."""
        cr = self.env.cr
        if column_exists(cr, self._table, field.name):
            return
        # Other models' new columns may not exist yet: read only what the default reads.
        model = self.with_context(prefetch_fields=False)
        value = field.convert_to_column_insert(field.convert_to_write(field.default(model), model), model)
        table, column = SQL.identifier(self._table), SQL.identifier(field.name)
        cr.execute(
            SQL(
                "ALTER TABLE %s ADD COLUMN %s %s DEFAULT %s",
                table,
                column,
                SQL(field.column_type[1]),
                value,
            )
        )
        # Existing rows keep it; new rows get their values from the ORM, as with
        # create_column.
        cr.execute(SQL("ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT", table, column))
        cr.execute(SQL("COMMENT ON COLUMN %s IS %s", SQL.identifier(self._table, field.name), field.string))

    @api.model
    def _client_install_existing_partners(self):
        """Give every partner what creating it today would give it (and list what does
        not look right in the Data Quality report). Safe to run again: only what is
        missing is added."""
        self.env.flush_all()
        started = time.monotonic()
        stats = self._client_install_channels_and_ids()
        _logger.info(
            "Existing partners: %(partners)s read, %(emails)s email and %(phones)s phone lines added, "
            "%(ids)s identifiers to reformat (%(seconds).0f s)",
            dict(stats, seconds=time.monotonic() - started),
        )
        started = time.monotonic()
        stats["updated"] = self._client_install_update_partners()
        _logger.info(
            "Existing partners: %(updated)s given their client fields (%(seconds).0f s)",
            dict(stats, seconds=time.monotonic() - started),
        )
        started = time.monotonic()
        self.env["crm.client.data.quality"]._client_quality_rebuild()
        _logger.info("Existing partners: Data Quality report built (%.0f s)", time.monotonic() - started)
        self.env.invalidate_all()
        return stats

    # ---- Helpers ----

    @api.model
    def _client_install_channels_and_ids(self):
        """Email, phone and mobile lines of partners that have none for their fields,
        and Polish identifiers in the form a new partner's get (kept aside for
        _client_install_update_partners), page by page."""
        cr = self.env.cr
        Email = self.env["crm.client.email"].sudo().with_context(**switch_on(SYNC_FROM_PARTNER))
        Phone = self.env["crm.client.phone"].sudo().with_context(**switch_on(SYNC_FROM_PARTNER))
        countries = {country.id: country for country in self.env["res.country"].search([])}
        default_region = self.env.company.country_id.code or None
        id_columns = ["vat"] + [fname for fname in _POLISH_ID_FIELDS if column_exists(cr, "res_partner", fname)]
        cr.execute(
            SQL(
                "CREATE TEMPORARY TABLE IF NOT EXISTS %s (id int4 PRIMARY KEY, %s) ON COMMIT DROP",
                SQL.identifier(_NORMALIZED_TABLE),
                SQL(", ").join(SQL("%s varchar", SQL.identifier(fname)) for fname in id_columns),
            )
        )
        cr.execute(SQL("TRUNCATE %s", SQL.identifier(_NORMALIZED_TABLE)))
        stats = {"partners": 0, "emails": 0, "phones": 0, "ids": 0}
        last_id = 0
        while True:
            cr.execute(self._client_install_page_query(last_id, id_columns))
            rows = cr.dictfetchall()
            if not rows:
                break
            last_id = rows[-1]["id"]
            stats["partners"] += len(rows)
            ids = [row["id"] for row in rows]
            emails, phones = self._client_install_existing_lines(ids)
            email_lines, phone_lines, reformatted = [], [], []
            for row in rows:
                if line := self._client_install_email_line(Email, row, emails.get(row["id"])):
                    email_lines.append(line)
                phone_lines += self._client_install_phone_lines(
                    Phone, row, phones.get(row["id"], ()), row["region"] or default_region
                )
                reformatted += self._client_install_normalized_ids(row, id_columns, countries)
            stats["emails"] += self._client_install_insert_emails(email_lines)
            stats["phones"] += self._client_install_insert_phones(phone_lines)
            stats["ids"] += self._client_install_keep_ids(reformatted, id_columns)
        return stats

    @api.model
    def _client_install_page_query(self, last_id, id_columns):
        # The country a number is typed in: the partner's, its commercial partner's, its
        # company's (where a user of that company would have created it).
        return SQL(
            """
            SELECT p.id, p.email, p.phone, p.mobile, p.country_id, %(id_columns)s,
                   COALESCE(own.code, commercial.code, company.code) AS region
              FROM res_partner p
              LEFT JOIN res_country own ON own.id = p.country_id
              LEFT JOIN res_partner cp ON cp.id = p.commercial_partner_id
              LEFT JOIN res_country commercial ON commercial.id = cp.country_id
              LEFT JOIN res_company co ON co.id = p.company_id
              LEFT JOIN res_partner cop ON cop.id = co.partner_id
              LEFT JOIN res_country company ON company.id = cop.country_id
             WHERE p.id > %(last_id)s
             ORDER BY p.id
             LIMIT %(limit)s
            """,
            id_columns=SQL(", ").join(SQL("p.%s", SQL.identifier(column)) for column in id_columns),
            last_id=last_id,
            limit=_INSTALL_BATCH,
        )

    @api.model
    def _client_install_existing_lines(self, ids):
        """{partner id: lines} of a page: (value, is_primary) per email, (number,
        is_primary, is_mobile) per phone."""
        cr = self.env.cr
        cr.execute("SELECT partner_id, email, is_primary FROM crm_client_email WHERE partner_id = ANY(%s)", [ids])
        emails = {}
        for partner_id, email, is_primary in cr.fetchall():
            emails.setdefault(partner_id, []).append((email, is_primary))
        cr.execute(
            "SELECT partner_id, number, is_primary, is_mobile FROM crm_client_phone WHERE partner_id = ANY(%s)",
            [ids],
        )
        phones = {}
        for partner_id, number, is_primary, is_mobile in cr.fetchall():
            phones.setdefault(partner_id, []).append((number, is_primary, is_mobile))
        return emails, phones

    @api.model
    def _client_install_email_line(self, Email, row, existing):
        """(partner id, email, is_valid) of the partner's email line, None when there is
        nothing to add (no email, or it already has its line)."""
        typed = row["email"]
        if not isinstance(typed, str) or not typed.strip():
            return None
        email, valid = Email._channel_normalize(typed, self.browse())
        if existing and any(is_primary or value == email for value, is_primary in existing):
            return None
        return row["id"], email, valid

    @api.model
    def _client_install_phone_lines(self, Phone, row, existing, region):
        """(partner id, number, is_valid, extension, is_primary, is_mobile) of the
        partner's phone and mobile lines it does not have yet. The same number in
        both fields is one line, the primary one."""
        lines = []
        numbers = {number for number, _primary, _mobile in existing}
        has_primary = any(primary for _number, primary, _mobile in existing)
        has_mobile = any(mobile for _number, _primary, mobile in existing)
        for fname, is_primary in (("phone", True), ("mobile", False)):
            typed = row[fname]
            if not isinstance(typed, str) or not typed.strip():
                continue
            number, valid, extension = Phone._phone_parse_in_region(typed, region)
            if number in numbers or (has_primary if is_primary else has_mobile):
                continue
            numbers.add(number)
            lines.append((row["id"], number, valid, extension or None, is_primary, not is_primary))
        return lines

    @api.model
    def _client_install_normalized_ids(self, row, id_columns, countries):
        """(partner id, field, as typed, normalized) of each valid identifier stored in
        another form than a new partner's; invalid ones are left as typed (the Data
        Quality report lists them)."""
        changes = []
        for fname in id_columns:
            value = row[fname]
            if not isinstance(value, str) or not value.strip():
                continue
            if fname == "vat":
                country = countries.get(row["country_id"], self.env["res.country"])
                if not self._client_vat_is_nip(value, country):
                    continue
                normalize = polish_ids.normalize_nip
            else:
                normalize = _POLISH_ID_FIELDS[fname][0]
            try:
                normalized = normalize(value)
            except polish_ids.InvalidIdentifier:
                continue
            if normalized != value:
                changes.append((row["id"], fname, value, normalized))
        return changes

    @api.model
    def _client_install_insert_emails(self, lines):
        if not lines:
            return 0
        partner_ids, emails, valid = zip(*lines, strict=True)
        # The partner's own email is its primary line, exactly as _channel_create_mirror_lines writes it.
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO crm_client_email (partner_id, email, is_primary, is_valid, sequence,
                                              create_uid, create_date, write_uid, write_date)
                SELECT t.partner_id, t.email, true, t.is_valid, 10, %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM unnest(%(partner_ids)s::int4[], %(emails)s::varchar[], %(valid)s::bool[])
                       AS t(partner_id, email, is_valid)
                    ON CONFLICT DO NOTHING
                """,
                uid=self.env.uid,
                now=self.env.cr.now(),
                partner_ids=list(partner_ids),
                emails=list(emails),
                valid=list(valid),
            )
        )
        return self.env.cr.rowcount

    @api.model
    def _client_install_insert_phones(self, lines):
        if not lines:
            return 0
        partner_ids, numbers, valid, extensions, primary, mobile = zip(*lines, strict=True)
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO crm_client_phone (partner_id, number, is_valid, extension, is_primary, is_mobile,
                                              sequence, create_uid, create_date, write_uid, write_date)
                SELECT t.partner_id, t.number, t.is_valid, t.extension, t.is_primary, t.is_mobile,
                       10, %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM unnest(%(partner_ids)s::int4[], %(numbers)s::varchar[], %(valid)s::bool[],
                              %(extensions)s::varchar[], %(primary)s::bool[], %(mobile)s::bool[])
                       AS t(partner_id, number, is_valid, extension, is_primary, is_mobile)
                    ON CONFLICT DO NOTHING
                """,
                uid=self.env.uid,
                now=self.env.cr.now(),
                partner_ids=list(partner_ids),
                numbers=list(numbers),
                valid=list(valid),
                extensions=list(extensions),
                primary=list(primary),
                mobile=list(mobile),
            )
        )
        return self.env.cr.rowcount

    @api.model
    def _client_install_keep_ids(self, changes, id_columns):
        """Keep the normalized identifiers of a page for the UPDATE, and what was typed
        in the report."""
        if not changes:
            return 0
        by_partner = {}
        for partner_id, fname, _typed, normalized in changes:
            by_partner.setdefault(partner_id, {})[fname] = normalized
        ids = list(by_partner)
        self.env.cr.execute(
            SQL(
                "INSERT INTO %s (id, %s) SELECT * FROM unnest(%s::int4[], %s)",
                SQL.identifier(_NORMALIZED_TABLE),
                SQL(", ").join(SQL.identifier(fname) for fname in id_columns),
                ids,
                SQL(", ").join(
                    SQL("%s::varchar[]", [by_partner[pid].get(fname) for pid in ids]) for fname in id_columns
                ),
            )
        )
        self.env["crm.client.data.quality"]._client_quality_record_reformatted(changes)
        return len(changes)

    @api.model
    def _client_install_update_partners(self):
        """One UPDATE of the partners that miss something: is_client (computed as
        _compute_is_client does), the client number of each client without one (one
        sequence series, in id order: creation order), the default status (contact
        persons take their client's, as the commercial fields sync gives them), the
        attribute set (_compute_client_attribute_set_id) and the normalized
        identifiers. Returns the number of partners updated."""
        cr = self.env.cr
        status = self.env["crm.client.status"].sudo()._get_default_status()
        main = self.env["res.company"].sudo().search([], order="id", limit=1)
        companies = self.env["res.company"].sudo().with_context(active_test=False).search([])
        self.env["crm.client.attribute.set"]._for_companies(companies | main)
        self.env.flush_all()
        sequence = self._client_number_sequence()
        in_sql = bool(sequence) and sequence.implementation == "standard" and not sequence.use_date_range
        if in_sql:
            prefix, suffix = sequence._get_prefix_suffix()
            numbers = SQL(
                """SELECT number, row_number() OVER (ORDER BY number) AS rank
                     FROM (SELECT nextval(%s) AS number
                             FROM generate_series(1, (SELECT count(*) FROM todo))) AS series""",
                f"ir_sequence_{sequence.id:03d}",
            )
            number = SQL(
                "%s || lpad(numbers.number::text, greatest(%s, length(numbers.number::text)), '0') || %s",
                prefix,
                sequence.padding,
                suffix,
            )
        else:
            # A gapless or dated sequence numbers one client at a time (see below).
            numbers = SQL("SELECT NULL::int8 AS number, NULL::int8 AS rank WHERE false")
            number = SQL("NULL::varchar")
        id_columns = [fname for fname in ["vat", *_POLISH_ID_FIELDS] if column_exists(cr, _NORMALIZED_TABLE, fname)]
        cr.execute(
            SQL(
                """
                WITH flags AS (
                    SELECT p.id, p.commercial_partner_id, p.company_id, p.client_number IS NULL AS unnumbered,
                           p.parent_id IS NULL
                           AND NOT EXISTS (SELECT 1 FROM res_company c WHERE c.partner_id = p.id)
                           AND NOT EXISTS (SELECT 1 FROM res_users u WHERE u.partner_id = p.id) AS is_client
                      FROM res_partner p
                ), todo AS (
                    SELECT id, row_number() OVER (ORDER BY id) AS rank FROM flags WHERE is_client AND unnumbered
                ), numbers AS (
                    %(numbers)s
                ), new AS (
                    SELECT f.id, f.is_client, %(number)s AS client_number,
                           CASE WHEN f.is_client THEN %(status)s::int4
                                WHEN commercial.is_client THEN COALESCE(cp.client_status_id, %(status)s::int4)
                           END AS client_status_id,
                           sets.id AS client_attribute_set_id
                      FROM flags f
                      LEFT JOIN todo ON todo.id = f.id
                      LEFT JOIN numbers ON numbers.rank = todo.rank
                      LEFT JOIN flags commercial ON commercial.id = f.commercial_partner_id AND commercial.id <> f.id
                      LEFT JOIN res_partner cp ON cp.id = commercial.id
                      LEFT JOIN crm_client_attribute_set sets ON sets.company_id = COALESCE(f.company_id, %(main)s)
                )
                UPDATE res_partner p
                   SET is_client = new.is_client,
                       client_number = COALESCE(p.client_number, new.client_number),
                       client_status_id = COALESCE(p.client_status_id, new.client_status_id),
                       client_attribute_set_id = COALESCE(p.client_attribute_set_id, new.client_attribute_set_id)
                       %(ids_set)s
                  FROM new LEFT JOIN %(normalized)s ids ON ids.id = new.id
                 WHERE p.id = new.id
                   AND (COALESCE(p.is_client, false) <> new.is_client
                        OR (p.client_number IS NULL AND new.client_number IS NOT NULL)
                        OR (p.client_status_id IS NULL AND new.client_status_id IS NOT NULL)
                        OR (p.client_attribute_set_id IS NULL AND new.client_attribute_set_id IS NOT NULL)
                        OR ids.id IS NOT NULL)
                """,
                numbers=numbers,
                number=number,
                status=status.id or None,
                main=main.id,
                normalized=SQL.identifier(_NORMALIZED_TABLE),
                ids_set=SQL("").join(
                    SQL(", %s = COALESCE(ids.%s, p.%s)", *[SQL.identifier(fname)] * 3) for fname in id_columns
                ),
            )
        )
        updated = cr.rowcount
        if not in_sql:
            self._client_install_numbers_one_by_one()
        return updated

    @api.model
    def _client_install_numbers_one_by_one(self):
        cr = self.env.cr
        last_id = 0
        while True:
            cr.execute(
                SQL(
                    """SELECT id FROM res_partner WHERE is_client AND client_number IS NULL AND id > %s
                        ORDER BY id LIMIT %s""",
                    last_id,
                    _INSTALL_BATCH,
                )
            )
            ids = [row[0] for row in cr.fetchall()]
            if not ids:
                return
            last_id = ids[-1]
            cr.execute(
                SQL(
                    """UPDATE res_partner p SET client_number = t.number
                         FROM unnest(%s::int4[], %s::varchar[]) AS t(id, number) WHERE p.id = t.id""",
                    ids,
                    self._client_next_numbers(len(ids)),
                )
            )
