from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError


class ResPartner(models.Model):
    _inherit = "res.partner"

    # What public registries say about the entity (filled by providers, never typed).
    registry_legal_form = fields.Char(string="Legal Form", tracking=True)
    registry_industry_code = fields.Char(
        string="Activity Code", help="Main activity code in the registry (PKD, NACE, ...)"
    )
    registry_industry_name = fields.Char(string="Registered Activity")
    registry_registered_on = fields.Date(string="Registered On")
    registry_ended_on = fields.Date(
        string="Activity Ended On",
        tracking=True,
        help="Date the registry gives for the end of the entity's activity",
    )
    registry_ended = fields.Boolean(
        string="Ended in Registry", compute="_compute_registry_ended", search="_search_registry_ended"
    )
    registry_source = fields.Char(string="Registry", readonly=True, copy=False)
    registry_checked_at = fields.Datetime(string="Registry Checked On", readonly=True, copy=False)
    registry_lookup_available = fields.Boolean(compute="_compute_registry_lookup_available")

    @api.depends_context("uid")
    @api.depends("country_id", "vat", "regon", "krs", "is_company")
    def _compute_registry_lookup_available(self):
        providers = self.env["crm.client.registry"]._registry_providers()
        for partner in self:
            partner.registry_lookup_available = any(p._registry_applies(partner) for p in providers)

    @api.depends("registry_ended_on")
    def _compute_registry_ended(self):
        for partner in self:
            partner.registry_ended = bool(partner.registry_ended_on)

    def _search_registry_ended(self, operator, value):
        if operator not in ("=", "!="):
            raise UserError(self.env._("Unsupported search on the ended flag."))
        positive = (operator == "=") == bool(value)
        return [("registry_ended_on", "!=" if positive else "=", False)]

    # ---- Registry lookups ----

    def action_registry_lookup(self, provider=None):
        """Open the compare-and-choose wizard for this partner (one partner at a time)."""
        self.ensure_one()
        wizard = self.env["crm.client.registry.wizard"].create({"partner_id": self.id, "provider": provider})
        return wizard._start()

    def _registry_value_changes(self, values):
        """The subset of ``values`` that would change this partner. A registry value that
        is empty never counts: a registry leaving a field blank must not erase it."""
        self.ensure_one()
        changes = {}
        locked = self._registry_locked_fields()
        for fname, new in values.items():
            if fname not in self._fields or new in (False, None, "") or fname in locked:
                continue
            if self._registry_comparable(fname, self[fname]) != self._registry_comparable(fname, new):
                changes[fname] = new
        return changes

    def _registry_comparable(self, fname, value):
        """A current or registry value in one shape: ids for many2one, text for dates."""
        field = self._fields[fname]
        if not value:
            return False
        if field.type == "many2one":
            return value if isinstance(value, int) else value.id
        if field.type == "date":
            return fields.Date.to_string(fields.Date.to_date(value))
        if field.type == "datetime":
            return fields.Datetime.to_string(fields.Datetime.to_datetime(value))
        return value

    def _registry_locked_fields(self):
        """Contact fields whose lines are locked on this partner: a registry leaves them be."""
        locked = set()
        if self.email_ids.filtered("locked"):
            locked.add("email")
        if self.phone_ids.filtered("locked"):
            locked.update(("phone", "mobile"))
        return locked

    def _registry_display_value(self, fname, value):
        """A field value as users read it (a many2one as its name)."""
        field = self._fields[fname]
        if value in (False, None, ""):
            return ""
        if field.type == "many2one":
            return self.env[field.comodel_name].browse(value).display_name
        if field.type == "selection":
            return dict(field._description_selection(self.env)).get(value, value)
        if field.type == "boolean":
            return self.env._("Yes") if value else self.env._("No")
        return str(value)

    def _registry_apply(self, values, source):
        """Write registry ``values`` onto this partner and post what changed in the chatter.
        Returns the names of the fields that changed."""
        self.ensure_one()
        changes = self._registry_value_changes(values)
        before = {fname: self._registry_display_value(fname, self._registry_current(fname)) for fname in changes}
        stamp = {"registry_source": source, "registry_checked_at": fields.Datetime.now()}
        self.write({**changes, **stamp})
        if changes:
            rows = Markup("").join(
                Markup("<li>%s: %s → %s</li>")
                % (
                    self._fields[fname].get_description(self.env)["string"],
                    before[fname] or "—",
                    self._registry_display_value(fname, changes[fname]),
                )
                for fname in changes
            )
            self.message_post(
                body=Markup("<p>%s</p><ul>%s</ul>") % (self.env._("Updated from %(registry)s:", registry=source), rows),
                message_type="notification",
            )
        return list(changes)

    def _registry_current(self, fname):
        value = self[fname]
        if self._fields[fname].type == "many2one":
            return value.id
        return value
