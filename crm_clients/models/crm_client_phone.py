import contextlib

from odoo import api, fields, models
from odoo.addons.phone_validation.tools import phone_validation
from odoo.exceptions import UserError, ValidationError

from ..tools.internal import SYNC_FROM_PARTNER
from ..tools.internal import SYNC_TO_PARTNER_DONE
from ..tools.internal import is_on
from ..tools.internal import switch_on

try:
    import phonenumbers
except ImportError:  # pragma: no cover - phone_validation degrades the same way
    phonenumbers = None


class CrmClientPhone(models.Model):
    _name = "crm.client.phone"
    _inherit = ["crm.client.channel.mixin"]
    _description = "Client Phone"
    _order = "is_primary desc, is_mobile desc, sequence, id"
    _rec_name = "number"

    _channel_value_field = "number"
    _channel_partner_field = "phone"

    number = fields.Char(required=True, index="btree", help="Stored in international E.164 form, e.g. +48221234567.")
    extension = fields.Char()
    is_whatsapp = fields.Boolean(string="WhatsApp")
    is_mobile = fields.Boolean(string="Mobile", copy=False, help="This line mirrors the contact's own Mobile field.")
    number_display = fields.Char(string="Phone", compute="_compute_number_display")
    whatsapp_url = fields.Char(string="WhatsApp Link", compute="_compute_number_display")

    _sql_constraints = [
        (
            "partner_number_uniq",
            "unique(partner_id, number, extension)",
            "A contact cannot have the same phone number twice.",
        ),
    ]

    def init(self):
        res = super().init()
        self.env.cr.execute(
            """CREATE UNIQUE INDEX IF NOT EXISTS crm_client_phone_single_mobile
                ON crm_client_phone (partner_id) WHERE is_mobile"""
        )
        return res

    @api.depends("number", "extension", "is_whatsapp", "is_valid")
    def _compute_number_display(self):
        for line in self:
            shown = line.number or ""
            if line.is_valid and phonenumbers and shown.startswith("+"):
                with contextlib.suppress(phonenumbers.NumberParseException):
                    shown = phonenumbers.format_number(
                        phonenumbers.parse(shown), phonenumbers.PhoneNumberFormat.INTERNATIONAL
                    )
            if line.extension:
                shown = self.env._("%(number)s ext. %(extension)s", number=shown, extension=line.extension)
            line.number_display = shown
            digits = "".join(ch for ch in (line.number or "") if ch.isdigit())
            line.whatsapp_url = f"https://wa.me/{digits}" if line.is_whatsapp and line.is_valid and digits else False

    @api.model
    def _channel_message(self, message, **params):
        _ = self.env._
        if message == "several_contacts":
            return _("Phone numbers of several contacts cannot get the same value at once.")
        if message == "several_primary":
            return _("Only one phone number per contact can be the primary one.")
        if message == "duplicate":
            return _("%(value)s is already one of the phones of %(partner)s.", **params)
        if message == "duplicate_here":
            return _("%(value)s is already one of the phones of this contact.", **params)
        if message == "locked":
            return _(
                "The phone %(value)s of %(partner)s is locked: it cannot be changed or deleted. "
                "Ask a lock manager to unlock it first.",
                **params,
            )
        if message == "logged_lock":
            return _("Phone %(value)s locked.", **params)
        if message == "logged_unlock":
            return _("Phone %(value)s unlocked.", **params)
        raise KeyError(message)

    @api.model
    def _channel_country(self, partner):
        return partner.country_id or partner.commercial_partner_id.country_id or self.env.company.country_id

    @api.model
    def _channel_normalize(self, value, partner):
        return self._phone_parse(value, partner)[:2]

    @api.model
    def _phone_parse(self, value, partner):
        """(E.164 number, is_valid, extension) of a typed number, parsed once."""
        country = self._channel_country(partner)
        return self._phone_parse_in_region(value, country.code if country else None)

    @api.model
    def _phone_parse_in_region(self, value, region):
        """``_phone_parse`` for a number typed in the country of code ``region`` (or
        None): mirroring many partners at once reads their countries in one query."""
        typed = (value or "").strip()
        if not typed:
            raise ValidationError(self.env._("A phone line needs a number."))
        if phonenumbers is None:
            return typed, True, False
        # Fast path: one parse. phone_validation's parser (two parses, metadata patches,
        # "00"/missing "+" retries and the error message) handles whatever this rejects.
        with contextlib.suppress(phonenumbers.NumberParseException):
            parsed = phonenumbers.parse(typed, region)
            if phonenumbers.is_valid_number(parsed):
                return (
                    phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164),
                    True,
                    parsed.extension or False,
                )
        try:
            parsed = phone_validation.phone_parse(typed, region)
        except UserError as exc:
            if is_on(self.env, SYNC_FROM_PARTNER):
                return typed, False, False
            raise ValidationError(
                self.env._("%(value)s is not a valid phone number: %(reason)s", value=typed, reason=str(exc))
            ) from exc
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164), True, parsed.extension or False

    @api.model
    def _channel_prepare_value(self, vals, partner):
        # One parse gives the E.164 value, its validity and a typed extension.
        vals["number"], vals["is_valid"], extension = self._phone_parse(vals["number"], partner)
        if extension and not vals.get("extension"):
            vals["extension"] = extension

    def _channel_sync_partners(self, partners=None):
        # The primary line mirrors the partner's phone (in the mixin); the mobile line
        # mirrors its mobile.
        res = super()._channel_sync_partners(partners)
        partners = (partners or self.env["res.partner"]) | self.partner_id
        mobiles = self.search([("partner_id", "in", partners.ids), ("is_mobile", "=", True)])
        mobile_by_partner = {line.partner_id: line.number for line in mobiles}
        for partner in partners:
            value = mobile_by_partner.get(partner, False)
            if (partner.mobile or False) != value and not self._channel_same(partner.mobile, value, partner):
                partner.with_context(**switch_on(SYNC_TO_PARTNER_DONE)).write({"mobile": value})
        return res
