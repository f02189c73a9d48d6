"""Polish identifiers (NIP in vat, REGON, PESEL, KRS): stored as digits, checked with their
checksums, and found by searches whatever their formatting."""

from odoo import api, fields, models
from odoo.addons.phone_validation.models.mail_thread_phone import PHONE_REGEX_PATTERN
from odoo.exceptions import ValidationError
from odoo.tools import SQL
from odoo.tools.sql import create_index

from ..tools import polish_ids

# Fields whose searches ignore formatting (see _client_normalize_id_domain).
_ID_SEARCH_FIELDS = ("vat", "regon", "pesel", "krs")
_CHANNEL_SEARCH_FIELDS = ("email", "phone", "mobile")
_ID_SEARCH_OPERATORS = ("=", "ilike", "=ilike", "like", "=like")
# Identifiers stored with one length: typed whole, a search for them as a part is a
# search for that value, found through their btree index rather than the trigram one
# (every KRS starts with zeros: the posting lists of "000" are those of every KRS).
# Not REGON: a 9-digit REGON is the start of its local units' 14-digit ones.
_ID_WHOLE_LENGTHS = {"pesel": 11, "krs": 10}
# Core's columns given a trigram index (res_partner_<column>_crm_trgm, dropped at uninstall).
_CORE_TRIGRAM_COLUMNS = ("name", "email")
# Core's phone columns: searched through phone_validation's trigram index on the number
# without its separators (see ResPartner._condition_to_sql of res_partner_channels). Our
# former indexes on their whole text (res_partner_<column>_crm_trgm) are dropped.
_PHONE_COLUMNS = ("phone", "mobile")


def phone_stripped_sql(column):
    """The phone without its separators, as phone_validation indexes it
    (mail_thread_phone.init(): res_partner_<column>_partial_gin_idx)."""
    return rf"regexp_replace(({column}::text), '{PHONE_REGEX_PATTERN}'::text, ''::text, 'g'::text)"


# Polish identifiers stored as digits only, with their normalizer and label.
_POLISH_ID_FIELDS = {
    "regon": (polish_ids.normalize_regon, "REGON"),
    "pesel": (polish_ids.normalize_pesel, "PESEL"),
    "krs": (polish_ids.normalize_krs, "KRS"),
}


class ResPartner(models.Model):
    _inherit = "res.partner"

    # Polish identifiers (NIP lives in vat)
    # Searched through trigram indexes created in init() (partial: most partners have none);
    # a PESEL or KRS typed whole through its btree index (see _ID_WHOLE_LENGTHS).
    regon = fields.Char(string="REGON", tracking=True, help="9 or 14 digits")
    pesel = fields.Char(string="PESEL", tracking=True, help="11 digits, persons only", index="btree_not_null")
    krs = fields.Char(string="KRS", tracking=True, help="10 digits", index="btree_not_null")

    def init(self):
        super().init()
        cr = self.env.cr
        # Formatting-insensitive searches (see _search) use trigram indexes for their
        # `ilike` leaves: make sure pg_trgm exists and vat gets one (core only has btree).
        cr.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if not cr.rowcount:
            try:
                with cr.savepoint(flush=False):
                    cr.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            except Exception:  # noqa: BLE001 - no rights: searches still work, unindexed
                return
        # Core's own columns searched with `ilike` (name, emails, phones) get one too:
        # without it, a search by name, email or phone reads every partner. Phones are
        # searched without their separators: a number typed with spaces is made of short
        # groups ("+48 58 016 66 76") whose trigrams nearly every formatted phone shares.
        for column in ("vat", "regon", "pesel", "krs", *_CORE_TRIGRAM_COLUMNS):
            cr.execute(
                SQL(
                    "CREATE INDEX IF NOT EXISTS %s ON res_partner USING gin (%s gin_trgm_ops) WHERE %s IS NOT NULL",
                    SQL.identifier(f"res_partner_{column}_crm_trgm"),
                    SQL.identifier(column),
                    SQL.identifier(column),
                )
            )
        for column in _PHONE_COLUMNS:
            cr.execute(SQL("DROP INDEX IF EXISTS %s", SQL.identifier(f"res_partner_{column}_crm_trgm")))
            # phone_validation makes it for partners that are phone threads (sms), when
            # pg_trgm was there before it: the same index, made where it is missing.
            create_index(
                cr,
                f"res_partner_{column}_partial_gin_idx",
                "res_partner",
                [f"{phone_stripped_sql(column)} gin_trgm_ops"],
                method="gin",
                where=f"{column} IS NOT NULL",
            )

    @api.model
    def _search(self, domain, offset=0, limit=None, order=None):
        return super()._search(self._client_normalize_id_domain(domain), offset, limit, order)

    @api.model
    def _search_display_name(self, operator, value):
        # name_search and the many2one autocomplete resolve display_name after _search
        # has seen the domain: normalize their tax ID leaves too.
        return self._client_normalize_id_domain(super()._search_display_name(operator, value))

    @api.model
    def _client_normalize_id_domain(self, domain):
        """Add to each search on a tax ID a leaf that finds it whatever its formatting.

        ``('vat', 'ilike', 'PL 526-104-08-28')`` becomes
        ``['|', ('vat', 'ilike', 'PL 526-104-08-28'), ('vat', 'ilike', '5261040828')]``:
        core's own match is kept, the normalized one is added, and both use indexes.
        """
        if not domain:
            return domain
        result = []
        changed = False
        for term in domain:
            extra = self._client_id_search_leaf(term)
            if extra:
                result += ["|", term, extra]
                changed = True
            else:
                result.append(term)
        return result if changed else domain

    @api.model
    def _client_id_search_leaf(self, term):
        if not isinstance(term, (list, tuple)) or len(term) != 3:
            return None
        fname, operator, value = term
        if operator not in _ID_SEARCH_OPERATORS or not isinstance(value, str) or not value.strip():
            return None
        if fname in _CHANNEL_SEARCH_FIELDS:
            return self._client_channel_search_leaf(fname, operator, value)
        if fname not in _ID_SEARCH_FIELDS:
            return None
        digits = polish_ids.search_digits(value)
        if not digits or digits == value:
            return None
        if operator in ("=", "=ilike", "=like") and fname == "vat":
            return (fname, "in", [digits, f"PL{digits}"])
        if operator in ("=", "=ilike", "=like") or len(digits) == _ID_WHOLE_LENGTHS.get(fname):
            return (fname, "=", digits)
        return (fname, "ilike", digits)

    @api.constrains("vat", "country_id")
    def _check_client_nip(self):
        for partner in self:
            vat = partner.vat
            if not vat or polish_ids.nip_checksum_matches(vat):
                continue  # none, or a valid NIP as stored by create() and write()
            if not partner._client_vat_is_nip(vat, partner.country_id):
                continue
            try:
                polish_ids.normalize_nip(partner.vat)
            except polish_ids.InvalidIdentifier as exc:
                raise ValidationError(self._client_invalid_id_message("NIP", exc)) from exc

    @api.constrains("regon", "pesel", "krs")
    def _check_client_polish_ids(self):
        for partner in self:
            for fname, (normalize, label) in _POLISH_ID_FIELDS.items():
                if partner[fname]:
                    try:
                        normalize(partner[fname])
                    except polish_ids.InvalidIdentifier as exc:
                        raise ValidationError(self._client_invalid_id_message(label, exc)) from exc

    @api.model
    def _client_invalid_id_message(self, label, exc):
        reasons = {
            "only digits are allowed": self.env._("only digits are allowed"),
            "only digits are allowed, after an optional PL prefix": self.env._(
                "only digits are allowed, after an optional PL prefix"
            ),
            "a NIP has 10 digits": self.env._("a NIP has 10 digits"),
            "a REGON has 9 or 14 digits": self.env._("a REGON has 9 or 14 digits"),
            "a PESEL has 11 digits": self.env._("a PESEL has 11 digits"),
            "a KRS number has 10 digits": self.env._("a KRS number has 10 digits"),
            "the checksum does not match": self.env._("the checksum does not match"),
            "the checksum or the encoded birth date does not match": self.env._(
                "the checksum or the encoded birth date does not match"
            ),
        }
        return self.env._(
            "%(field)s %(value)s is not valid: %(reason)s.",
            field=label,
            value=exc.value,
            reason=reasons.get(exc.reason, exc.reason),
        )

    @api.model
    def _client_vat_is_nip(self, vat, country):
        """A tax ID is a Polish NIP when it says so (PL prefix) or when the partner is
        Polish and it is made of digits; anything else is left to core and base_vat."""
        if polish_ids.looks_polish_vat(vat):
            return True
        return bool(country) and country.code == "PL" and polish_ids.nip_digits(vat) is not None

    @api.model
    def _client_countries_by_id(self, vals_list):
        ids = {vals["country_id"] for vals in vals_list if vals.get("country_id")}
        return {country.id: country for country in self.env["res.country"].browse(ids)} if ids else {}

    @api.model
    def _client_normalize_vals(self, vals, country):
        """Normalize identifiers in place; an invalid one raises a ValidationError that
        names the field and the value, before anything is written."""
        if vals.get("vat") and isinstance(vals["vat"], str) and country is not None:
            if self._client_vat_is_nip(vals["vat"], country):
                try:
                    vals["vat"] = polish_ids.normalize_nip(vals["vat"])
                except polish_ids.InvalidIdentifier as exc:
                    raise ValidationError(self._client_invalid_id_message("NIP", exc)) from exc
        elif vals.get("vat") and isinstance(vals["vat"], str) and polish_ids.looks_polish_vat(vals["vat"]):
            try:
                vals["vat"] = polish_ids.normalize_nip(vals["vat"])
            except polish_ids.InvalidIdentifier as exc:
                raise ValidationError(self._client_invalid_id_message("NIP", exc)) from exc
        for fname, (normalize, label) in _POLISH_ID_FIELDS.items():
            if fname not in vals:
                continue
            value = vals[fname]
            if not value or (isinstance(value, str) and not value.strip()):
                vals[fname] = False
                continue
            try:
                vals[fname] = normalize(str(value))
            except polish_ids.InvalidIdentifier as exc:
                raise ValidationError(self._client_invalid_id_message(label, exc)) from exc
        if "external_ref" in vals:
            ref = vals["external_ref"]
            vals["external_ref"] = (str(ref).strip() or False) if ref not in (False, None) else False
