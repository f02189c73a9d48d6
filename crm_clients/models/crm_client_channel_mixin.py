from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

from ..tools.internal import MERGE
from ..tools.internal import SYNC_FROM_PARTNER
from ..tools.internal import SYNC_TO_PARTNER_DONE
from ..tools.internal import is_on
from ..tools.internal import switch_on

# Fields a lock manager may change on a locked line, and what reordering may change.
_LOCK_FREE_FIELDS = {"sequence"}


class CrmClientChannelMixin(models.AbstractModel):
    """What emails and phones of a client share: one primary line per partner mirrored in
    the partner's own field, purpose flags, and locking."""

    _name = "crm.client.channel.mixin"
    _description = "Client Contact Channel"
    _order = "is_primary desc, sequence, id"

    # The line's value field and the partner field its primary line mirrors.
    _channel_value_field = None
    _channel_partner_field = None

    # No index of its own: the unique (partner_id, value) index starts with it.
    partner_id = fields.Many2one("res.partner", string="Contact", required=True, ondelete="cascade")
    sequence = fields.Integer(default=10)
    is_primary = fields.Boolean(string="Primary", copy=False)
    contact_name = fields.Char(string="Contact Name", help="Who answers at this address or number.")
    role = fields.Char(help="What this address or number is for, e.g. orders, complaints, the CEO's assistant.")
    note = fields.Char()
    locked = fields.Boolean(
        readonly=True,
        copy=False,
        help="A locked line cannot be changed or deleted until a lock manager unlocks it.",
    )
    is_valid = fields.Boolean(
        string="Valid",
        default=True,
        readonly=True,
        help="False when the value came from the partner's own field and could not be parsed: " "it is kept as typed.",
    )

    # ---- Hooks for the concrete models ----

    @api.model
    def _channel_normalize(self, value, partner):
        """Return (normalized value, is_valid); raise ValidationError for a direct edit of
        an invalid value unless the partner's own field is being mirrored."""
        raise NotImplementedError

    @api.model
    def _channel_message(self, message, **params):
        """The translated sentence ``message`` ("several_contacts", "several_primary",
        "duplicate", "duplicate_here", "locked", "logged_lock", "logged_unlock") for this kind
        of line: whole sentences, so that each language words the kind its own way."""
        raise NotImplementedError

    @api.model
    def _channel_prepare_value(self, vals, partner):
        """Normalize the value in ``vals`` in place (and set ``is_valid``)."""
        value_field = self._channel_value_field
        vals[value_field], vals["is_valid"] = self._channel_normalize(vals[value_field], partner)

    # ---- ORM ----

    def init(self):
        super().init()
        if self._abstract:
            return
        cr = self.env.cr
        cr.execute(
            f"""CREATE UNIQUE INDEX IF NOT EXISTS {self._table}_single_primary
                ON {self._table} (partner_id) WHERE is_primary"""
        )

    @api.model_create_multi
    def create(self, vals_list):
        self._channel_check_lock_rights(vals_list)
        partners = self.env["res.partner"].browse({vals["partner_id"] for vals in vals_list if vals.get("partner_id")})
        partners_by_id = {partner.id: partner for partner in partners}
        value_field = self._channel_value_field
        for vals in vals_list:
            if value_field in vals:
                partner = partners_by_id.get(vals.get("partner_id"), self.env["res.partner"])
                self._channel_prepare_value(vals, partner)
        self._channel_check_duplicates(vals_list)
        if not is_on(self.env, SYNC_FROM_PARTNER):
            self._channel_claim_primary(vals_list, partners)
        lines = super().create(vals_list)
        if not is_on(self.env, SYNC_TO_PARTNER_DONE):
            lines._channel_sync_partners()
        if locked := lines.filtered("locked"):
            locked._channel_log_lock(True)
        return lines

    def write(self, vals):
        vals = dict(vals)
        if "locked" in vals:
            self._channel_check_lock_rights([vals])
        if not self._channel_merging():
            self._channel_check_locked(vals)
        value_field = self._channel_value_field
        if value_field in vals:
            if len(self.partner_id) > 1:
                raise ValidationError(self._channel_message("several_contacts"))
            self._channel_prepare_value(vals, self.partner_id)
            self._channel_check_duplicates([{**vals, "partner_id": self.partner_id.id}] * len(self), exclude=self)
        if vals.get("is_primary"):
            if len(self) > 1:
                raise ValidationError(self._channel_message("several_primary"))
            self._channel_release_primary(self.partner_id, exclude=self)
        lock_changes = {line: line.locked for line in self} if "locked" in vals else {}
        res = super().write(vals)
        if lock_changes:
            for line, was_locked in lock_changes.items():
                if line.locked != was_locked:
                    line._channel_log_lock(line.locked)
        if not is_on(self.env, SYNC_TO_PARTNER_DONE) and vals.keys() & {
            value_field,
            "is_primary",
            "is_mobile",
            "partner_id",
        }:
            self._channel_sync_partners()
        return res

    @api.ondelete(at_uninstall=False)
    def _unlink_except_locked(self):
        if self._channel_merging():
            return
        if locked := self.filtered("locked"):
            raise UserError(locked[0]._channel_locked_message())

    def unlink(self):
        partners = self.partner_id
        primary_partners = self.filtered("is_primary").partner_id
        res = super().unlink()
        if not is_on(self.env, SYNC_TO_PARTNER_DONE):
            # The primary line is gone: the next line (if any) becomes primary.
            for partner in primary_partners.exists():
                remaining = self.search([("partner_id", "=", partner.id)], limit=1)
                if remaining:
                    remaining.is_primary = True
            self.browse()._channel_sync_partners(partners.exists())
        return res

    @api.model
    def _channel_create_mirror_lines(self, vals_list, normalized=None):
        """Lines mirroring the fields of partners being created, in one INSERT.

        This is the hot path of every partner creation (imports, integrations): the lines
        are new, unlocked, of brand-new partners, and their values are normalized here the
        same way create() does; nothing else can be triggered by them (no tracking, no
        computed field depends on them). The ORM create costs about a quarter of a whole
        partner creation for the same rows, so they are inserted directly.

        ``normalized``: for each line, the values ``_channel_prepare_value`` would give
        (``{value field: ..., "is_valid": True}``) when the caller already knows them, else
        None (the value is normalized here).
        """
        partners = self.env["res.partner"].browse({vals["partner_id"] for vals in vals_list})
        by_id = {partner.id: partner for partner in partners}
        value_field = self._channel_value_field
        # Column -> its values, one per line, sent as arrays (adapted by psycopg2's C code,
        # where a VALUES list of tuples goes through its Python tuple adapter).
        arrays = {"partner_id": [], value_field: [], "is_primary": [], "is_valid": []}
        types = {"partner_id": "int4", value_field: "varchar", "is_primary": "bool", "is_valid": "bool"}
        for fname in ("is_mobile", "extension"):
            if fname in self._fields:
                arrays[fname] = []
                types[fname] = "bool" if self._fields[fname].type == "boolean" else "varchar"
        for given, known in zip(vals_list, normalized or [None] * len(vals_list), strict=True):
            vals = dict(given)
            if known:
                vals.update(known)
            else:
                self._channel_prepare_value(vals, by_id[vals["partner_id"]])
            for fname, values in arrays.items():
                value = vals.get(fname)
                if fname == value_field:
                    values.append(value)
                else:
                    values.append(bool(value) if types[fname] == "bool" else (value or None))
        self.flush_model()
        now, uid = self.env.cr.now(), self.env.uid
        query = SQL(
            "INSERT INTO %s (%s, sequence, create_uid, create_date, write_uid, write_date) "
            "SELECT *, 10, %s, %s, %s, %s FROM unnest(%s)",
            SQL.identifier(self._table),
            SQL(", ").join(SQL.identifier(fname) for fname in arrays),
            uid,
            now,
            uid,
            now,
            SQL(", ").join(SQL(f"%s::{types[fname]}[]", values) for fname, values in arrays.items()),
        )
        cr = self.env.cr
        # The change feed already has this transaction's change for each of these new
        # partners: a client's 'created' row, or for a contact or billing entity its
        # client's child_ids / billing_entity_ids change, which is what a line of it
        # reports (the reader gives one change per client and transaction). Its trigger is
        # switched off for this INSERT rather than made to find that out row by row
        # (transaction-local; a rollback to a savepoint restores it too).
        # (Imported here: importing the module above would load the feed's model, whose
        # init() puts triggers on these tables, before the tables exist.)
        from .crm_client_change import FEED_SWITCH

        saved = f"{FEED_SWITCH}_saved"
        cr.execute(
            SQL(
                """SELECT set_config(%(saved)s, coalesce(current_setting(%(switch)s, true), ''), true);
                   SELECT set_config(%(switch)s, 'off', true);
                   %(insert)s;
                   SELECT set_config(%(switch)s, current_setting(%(saved)s), true)""",
                saved=saved,
                switch=FEED_SWITCH,
                insert=query,
            )
        )
        self.invalidate_model()
        partners.invalidate_recordset([f"{'email' if value_field == 'email' else 'phone'}_ids"])

    # ---- Actions ----

    def action_lock(self):
        self.filtered(lambda line: not line.locked).write({"locked": True})
        return True

    def action_unlock(self):
        self.filtered("locked").write({"locked": False})
        return True

    # ---- Helpers ----

    @api.model
    def _channel_check_duplicates(self, vals_list, exclude=None):
        """A contact never has the same address or number twice: say which one."""
        value_field = self._channel_value_field
        keys = [(vals.get("partner_id"), vals.get(value_field)) for vals in vals_list if vals.get(value_field)]
        if not keys:
            return
        seen = set()
        for key in keys:
            if key in seen:
                raise ValidationError(self._channel_duplicate_message(key[1]))
            seen.add(key)
        domain = [("partner_id", "in", [k[0] for k in keys]), (value_field, "in", [k[1] for k in keys])]
        if exclude:
            domain.append(("id", "not in", exclude.ids))
        for line in self.search(domain):
            if (line.partner_id.id, line[value_field]) in seen:
                raise ValidationError(self._channel_duplicate_message(line[value_field], line.partner_id))

    @api.model
    def _channel_duplicate_message(self, value, partner=None):
        if partner:
            return self._channel_message("duplicate", value=value, partner=partner.display_name)
        return self._channel_message("duplicate_here", value=value)

    def _channel_locked_message(self):
        self.ensure_one()
        return self._channel_message(
            "locked", value=self[self._channel_value_field], partner=self.partner_id.display_name
        )

    def _channel_merging(self):
        """A merge of ours is moving these lines (set by our code, as superuser)."""
        return self.env.su and is_on(self.env, MERGE)

    def _channel_check_locked(self, vals):
        changing = set(vals) - _LOCK_FREE_FIELDS - {"locked"}
        if not changing:
            return
        for line in self.filtered("locked"):
            # Writing what is already there is not a change (a form saves every field).
            if any(line._channel_differs(fname, vals[fname]) for fname in changing):
                raise UserError(line._channel_locked_message())

    def _channel_differs(self, fname, value):
        current = self[fname]
        field = self._fields[fname]
        if field.type == "many2one":
            return current.id != (value or False)
        if fname == self._channel_value_field and value:
            value = self._channel_normalize(value, self.partner_id)[0]
        return (current or False) != (value or False)

    def _channel_check_lock_rights(self, vals_list):
        """Only lock managers lock or unlock (creating a line locked counts as locking)."""
        if self.env.su:
            return
        if self:
            changes = any(line.locked != bool(vals["locked"]) for vals in vals_list for line in self)
        else:
            changes = any(vals.get("locked") for vals in vals_list)
        if changes and not self.env.user.has_group("crm_clients.group_client_lock_manager"):
            raise AccessError(self.env._("Only lock managers can lock or unlock emails and phones."))

    def _channel_log_lock(self, locked):
        for line in self:
            body = line._channel_message(
                "logged_lock" if locked else "logged_unlock", value=line[line._channel_value_field]
            )
            line.partner_id.sudo()._message_log(body=body, author_id=self.env.user.partner_id.id)

    @api.model
    def _channel_claim_primary(self, vals_list, partners):
        """New lines: the first line of a contact without a primary one becomes primary;
        a new primary line takes over from the current one (unless that one is locked)."""
        existing = self.search([("partner_id", "in", partners.ids), ("is_primary", "=", True)])
        has_primary = {line.partner_id.id: line for line in existing}
        claimed = set()
        for vals in vals_list:
            partner_id = vals.get("partner_id")
            if vals.get("is_primary"):
                if partner_id in claimed:
                    raise ValidationError(self._channel_message("several_primary"))
                claimed.add(partner_id)
            elif partner_id not in has_primary and partner_id not in claimed and not vals.get("is_mobile"):
                vals["is_primary"] = True
                claimed.add(partner_id)
        release = self.env["res.partner"].browse([pid for pid in claimed if pid in has_primary])
        self._channel_release_primary(release)

    @api.model
    def _channel_release_primary(self, partners, exclude=None):
        current = self.search([("partner_id", "in", partners.ids), ("is_primary", "=", True)])
        if exclude:
            current -= exclude
        if locked := current.filtered("locked"):
            raise UserError(locked[0]._channel_locked_message())
        if current:
            super(CrmClientChannelMixin, current).write({"is_primary": False})
            current.flush_recordset(["is_primary"])
        return current

    def _channel_sync_partners(self, partners=None):
        """Write each partner's own field from its primary line (after direct line edits)."""
        partners = (partners or self.env["res.partner"]) | self.partner_id
        if not partners:
            return
        primaries = self.search([("partner_id", "in", partners.ids), ("is_primary", "=", True)])
        primary_by_partner = {line.partner_id: line for line in primaries}
        partner_field = self._channel_partner_field
        value_field = self._channel_value_field
        for partner in partners:
            line = primary_by_partner.get(partner)
            value = line[value_field] if line else False
            if (partner[partner_field] or False) != value and not self._channel_same(
                partner[partner_field], value, partner
            ):
                partner.with_context(**switch_on(SYNC_TO_PARTNER_DONE)).write({partner_field: value})

    @api.model
    def _channel_same(self, partner_value, line_value, partner):
        """The partner's free text and the line agree once normalized."""
        if not partner_value or not line_value:
            return False
        return (
            self.with_context(**switch_on(SYNC_FROM_PARTNER))._channel_normalize(partner_value, partner)[0]
            == line_value
        )
