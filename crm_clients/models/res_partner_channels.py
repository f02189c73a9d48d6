"""Emails and phones: the partner's own Email, Phone and Mobile fields mirrored into their
lines (crm.client.email / crm.client.phone), and the company setting requiring one."""

import re

from odoo import api, fields, models
from odoo.addons.phone_validation.models.mail_thread_phone import PHONE_REGEX_PATTERN
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, email_normalize

from ..tools.internal import SYNC_FROM_PARTNER
from ..tools.internal import SYNC_TO_PARTNER_DONE
from ..tools.internal import switch_on
from .res_partner_identifiers import phone_stripped_sql

# ASCII characters that are neither letters nor digits.
_NOT_ALNUM = "".join(chr(code) for code in range(128) if not chr(code).isalnum())


class ResPartner(models.Model):
    _inherit = "res.partner"

    # Contact channels
    email_ids = fields.One2many("crm.client.email", "partner_id", string="Emails", copy=False)
    phone_ids = fields.One2many("crm.client.phone", "partner_id", string="Phones", copy=False)

    @api.model
    def _client_channel_search_leaf(self, fname, operator, value):
        """Emails and phones of the client's lines, whatever their formatting."""
        exact = operator in ("=", "=ilike", "=like")
        if fname == "email":
            normalized = email_normalize(value.strip())
            if normalized:
                return self._client_channel_exact_leaf("crm.client.email", "email", normalized)
            if exact:
                return None
            return ("email_ids", "any", [("email", "ilike", value.strip().lower())])
        digits = "".join(ch for ch in value if ch.isdigit())
        if len(digits) < 3:
            return None
        e164 = (
            self.env["crm.client.phone"]
            .with_context(**switch_on(SYNC_FROM_PARTNER))
            ._channel_normalize(value, self.env["res.partner"])
        )
        if e164[1]:
            return self._client_channel_exact_leaf("crm.client.phone", "number", e164[0])
        if exact:
            return None
        return ("phone_ids", "any", [("number", "like", digits)])

    def _condition_to_sql(self, alias, fname, operator, value, query):
        """Core's ``phone`` / ``mobile`` ``like`` and ``ilike`` conditions, with the same
        condition on the number without its separators added: a phone containing the text
        typed contains it without separators too, so the answer is the same, and that
        form has phone_validation's trigram index (res_partner_identifiers.init()). A
        number typed with spaces is made of short groups whose trigrams nearly every
        formatted phone shares: alone, core's condition reads thousands of index pages at
        a million partners.

        Not added when the text has a wildcard or an escape (``%``, ``_``, ``\\``), a
        character outside printable ASCII (Python's ``\\s`` and PostgreSQL's differ on
        control characters), no run of three letters or digits (no trigram), or when
        the database compares without accents (``unaccent`` can change a character).
        Any part of the text without separators would do: the one from its first to its
        last letter or digit is taken."""
        sql = super()._condition_to_sql(alias, fname, operator, value, query)
        if (
            fname not in ("phone", "mobile")
            or operator not in ("like", "ilike")
            or not isinstance(value, str)
            or not value.isascii()
            or not value.isprintable()
            or any(ch in value for ch in "%_\\")
            or (operator == "ilike" and self.env.registry.has_unaccent)
        ):
            return sql
        # A "+" before the number would add the trigrams of a word's start, which every
        # "+48..." number shares.
        stripped = re.sub(PHONE_REGEX_PATTERN, "", value).strip(_NOT_ALNUM)
        if not re.search("[0-9A-Za-z]{3}", stripped):
            return sql
        column = SQL(phone_stripped_sql("%s"), self._field_to_sql(alias, fname, query))
        return SQL("(%s AND %s %s %s)", sql, column, SQL(operator.upper()), f"%{stripped}%")

    @api.model
    def _client_channel_exact_leaf(self, model, fname, value):
        """The partners having a line of exactly this value, as a list of ids: one indexed
        lookup of a few lines. A subquery (``email_ids any``) ORed with core's own leaf
        makes PostgreSQL read every partner; a list lets it OR two index scans (core's
        leaf uses the trigram index of res_partner_identifiers.init())."""
        lines = self.env[model].search_fetch([(fname, "=", value)], ["partner_id"])
        return ("id", "in", lines.partner_id.ids)

    # Partner field -> (line model, what the line is: primary or mobile)
    _CHANNEL_FIELDS = {
        "email": ("crm.client.email", "is_primary"),
        "phone": ("crm.client.phone", "is_primary"),
        "mobile": ("crm.client.phone", "is_mobile"),
    }

    def _client_channels_from_partner_vals(self, vals_list):
        """Mirror the email / phone / mobile given at creation into lines, in one create
        per line model for the whole batch."""
        to_create = {"crm.client.email": [], "crm.client.phone": []}
        known = {"crm.client.email": [], "crm.client.phone": []}  # values core has normalized
        # Lines given with the partner win (they wrote the field back): the partners that
        # already have their primary or mobile line, in one query per line model.
        given = set()  # (line model, flag, partner id)
        if any("email_ids" in vals or "phone_ids" in vals for vals in vals_list):
            for model, flag in set(self._CHANNEL_FIELDS.values()):
                lines = self.env[model].search_fetch(
                    [("partner_id", "in", self.ids), (flag, "=", True)], ["partner_id"]
                )
                given.update((model, flag, partner_id) for partner_id in lines.partner_id.ids)
        for partner, vals in zip(self, vals_list, strict=True):
            seen_numbers = set()
            for fname, (model, flag) in self._CHANNEL_FIELDS.items():
                value = vals.get(fname)
                if not isinstance(value, str) or not value.strip():
                    continue
                Line = self.env[model]
                if (model, flag, partner.id) in given:
                    continue
                if model == "crm.client.phone":
                    # Phone and mobile with the same number, however typed: one line, the
                    # primary one (parsed only when both are given).
                    if seen_numbers and (
                        value.strip() in seen_numbers or self._client_same_number(value, seen_numbers, partner)
                    ):
                        continue
                    seen_numbers.add(value.strip())
                to_create[model].append({"partner_id": partner.id, Line._channel_value_field: value, flag: True})
                known[model].append(self._client_known_channel_value(partner, fname, value))
        ctx = switch_on(SYNC_FROM_PARTNER, SYNC_TO_PARTNER_DONE)
        for model, lines in to_create.items():
            if lines:
                self.env[model].sudo().with_context(**ctx)._channel_create_mirror_lines(lines, known[model])

    # Characters of a phone number typed without an extension (no "ext", "x", "#", ",").
    _PLAIN_NUMBER_CHARS = frozenset("0123456789+-(). ")

    def _client_known_channel_value(self, partner, fname, value):
        """The line's normalized value when core has already computed it for the new
        partner (its email_normalized and phone_sanitized, computed once per batch and
        stored anyway): one parse of each value instead of two. None when core's value may
        differ from the line's (then the line parses it itself):

        - email: core takes the first address of the text, the line requires exactly one:
          the same when the text has a single "@";
        - phone: core parses the mobile first, in the partner's country (else the
          company's), and drops an extension: the same when no mobile is given, the
          partner has a country and the number has no extension characters.
        The partner's field must hold the value as given.

        (Both columns come with mail and phone_validation, which crm_clients depends on.)
        """
        partner = partner.sudo()  # phone_sanitized is for internal users only
        if partner[fname] != value:
            return None
        if fname == "email":
            if "email_normalized" in self._fields and value.count("@") == 1 and (email := partner.email_normalized):
                return {"email": email, "is_valid": True}
        elif (
            fname == "phone"
            and "phone_sanitized" in self._fields
            and not partner.mobile
            and partner.country_id
            and self._PLAIN_NUMBER_CHARS.issuperset(value)
            and (number := partner.phone_sanitized)
        ):
            return {"number": number, "is_valid": True}
        return None

    def _client_same_number(self, value, others, partner):
        """``value`` is one of the typed numbers ``others`` once normalized (number and
        extension)."""
        Phone = self.env["crm.client.phone"].with_context(**switch_on(SYNC_FROM_PARTNER))
        key = Phone._phone_parse(value, partner)[::2]
        return any(Phone._phone_parse(other, partner)[::2] == key for other in others)

    def _client_plan_channel_writes(self, vals):
        """For each partner and each written field: what happens to its line. Refuses
        (before anything is written) when the line to change is locked."""
        plan = []
        for fname, (model, flag) in self._CHANNEL_FIELDS.items():
            if fname not in vals:
                continue
            Line = self.env[model].sudo().with_context(**switch_on(SYNC_FROM_PARTNER))
            # Blank text (core accepts " ") has nothing to mirror.
            value = vals[fname] if isinstance(vals[fname], str) and vals[fname].strip() else False
            lines = Line.search([("partner_id", "in", self.ids)])
            for partner in self:
                own = lines.filtered(lambda line, p=partner: line.partner_id == p)
                current = own.filtered(flag)[:1]
                if not value:
                    if current:
                        plan.append(("unlink", current, None))
                    continue
                normalized, _valid = Line._channel_normalize(value, partner)
                if current and current[Line._channel_value_field] == normalized:
                    continue
                value_field = Line._channel_value_field
                same = own.filtered(lambda line, n=normalized, f=value_field: line[f] == n)[:1]
                if same:
                    plan.append(("promote", same, flag))
                elif current:
                    plan.append(("write", current, value))
                else:
                    plan.append(("create", partner, (model, flag, value)))
        for action, record, _arg in plan:
            if action in ("unlink", "write") and record.locked:
                raise UserError(record._channel_locked_message())
            if action == "promote":
                current = record.search([("partner_id", "=", record.partner_id.id), (_arg, "=", True)])
                if current.locked:
                    raise UserError(current._channel_locked_message())
        return plan

    def _client_apply_channel_plan(self, plan):
        ctx = switch_on(SYNC_FROM_PARTNER, SYNC_TO_PARTNER_DONE)
        for action, target, arg in plan:
            record = target.sudo().with_context(**ctx)
            if action == "unlink":
                record.unlink()
            elif action == "write":
                record.write({record._channel_value_field: arg})
            elif action == "promote":
                if arg == "is_mobile":
                    record.search([("partner_id", "=", record.partner_id.id), ("is_mobile", "=", True)]).write(
                        {"is_mobile": False}
                    )
                    record.write({"is_mobile": True, "is_primary": False})
                else:
                    record.write({"is_primary": True})
            else:
                model, flag, value = arg
                Line = self.env[model].sudo().with_context(**ctx)
                line = {"partner_id": record.id, Line._channel_value_field: value, flag: True}
                if flag == "is_primary":
                    Line._channel_release_primary(record)
                Line.create(line)

    def _client_check_required_channel(self):
        """The company setting "every client has an email or a phone"."""
        if not self.env["res.company"].sudo().search_count([("crm_client_require_channel", "=", True)], limit=1):
            return  # the setting is off everywhere (the default): nothing to look at
        clients = self.filtered(
            lambda p: (p.is_client and p.active and p.company_id.crm_client_require_channel)
            or (p.is_client and p.active and not p.company_id and self.env.company.crm_client_require_channel)
        )
        for client in clients:
            if not (client.email or client.phone or client.mobile or client.email_ids or client.phone_ids):
                raise ValidationError(
                    self.env._(
                        "%(client)s needs at least one email address or phone number "
                        "(a company setting requires it for every client).",
                        client=client.display_name,
                    )
                )
