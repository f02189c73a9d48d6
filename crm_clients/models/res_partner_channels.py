"""Emails and phones: the partner's own Email, Phone and Mobile fields mirrored into their
lines (crm.client.email / crm.client.phone), and the company setting requiring one."""

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import email_normalize

from ..tools.internal import SYNC_FROM_PARTNER
from ..tools.internal import SYNC_TO_PARTNER_DONE
from ..tools.internal import switch_on


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
                return ("email_ids", "any", [("email", "=", normalized)])
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
            return ("phone_ids", "any", [("number", "=", e164[0])])
        if exact:
            return None
        return ("phone_ids", "any", [("number", "like", digits)])

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
        lines_given = any("email_ids" in vals or "phone_ids" in vals for vals in vals_list)
        for partner, vals in zip(self, vals_list, strict=True):
            seen_numbers = set()
            for fname, (model, flag) in self._CHANNEL_FIELDS.items():
                value = vals.get(fname)
                if not isinstance(value, str) or not value.strip():
                    continue
                Line = self.env[model]
                if lines_given and self.env[model].search_count([("partner_id", "=", partner.id), (flag, "=", True)]):
                    continue  # lines given with the partner win: they wrote the field back
                if model == "crm.client.phone":
                    # Phone and mobile with the same number, however typed: one line, the
                    # primary one (parsed only when both are given).
                    if seen_numbers and (
                        value.strip() in seen_numbers or self._client_same_number(value, seen_numbers, partner)
                    ):
                        continue
                    seen_numbers.add(value.strip())
                to_create[model].append({"partner_id": partner.id, Line._channel_value_field: value, flag: True})
        ctx = switch_on(SYNC_FROM_PARTNER, SYNC_TO_PARTNER_DONE)
        for model, lines in to_create.items():
            if lines:
                self.env[model].sudo().with_context(**ctx)._channel_create_mirror_lines(lines)

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
