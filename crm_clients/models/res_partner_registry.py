from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError

# Values key of registry candidates for addresses kept as child partners:
# [{"type": "other", "name": "Postal address", "street", "zip", "city", "country_id"}]
CHILD_ADDRESSES = "child_addresses"


def _without_none(value):
    """``value`` with every ``None`` (JSON's null) as ``False``: XML-RPC cannot carry None."""
    if value is None:
        return False
    if isinstance(value, dict):
        return {key: _without_none(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_without_none(item) for item in value]
    return value


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
        self.env["crm.client.registry"]._registry_check_access()
        wizard = self.env["crm.client.registry.wizard"].create({"partner_id": self.id, "provider": provider})
        return wizard._start()

    def _registry_value_changes(self, values):
        """The subset of ``values`` that would change this partner. A registry value that
        is empty never counts: a registry leaving a field blank must not erase it."""
        self.ensure_one()
        changes = {}
        locked = self._registry_locked_fields()
        for fname, new in values.items():
            if fname == CHILD_ADDRESSES:
                if new and self._registry_child_addresses_differ(new):
                    changes[fname] = new
                continue
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

    def _registry_field_label(self, fname):
        if fname == CHILD_ADDRESSES:
            return self.env._("Other Addresses")
        return self._fields[fname].get_description(self.env)["string"]

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
        if fname == CHILD_ADDRESSES:
            return "; ".join(self._registry_format_address(address) for address in value or [])
        field = self._fields[fname]
        if value in (False, None, ""):
            return ""
        if isinstance(value, list):
            return self.env._("%(count)s entries", count=len(value))
        if field.type == "many2one":
            return self.env[field.comodel_name].browse(value).display_name
        if field.type == "selection":
            return dict(field._description_selection(self.env)).get(value, value)
        if field.type == "boolean":
            return self.env._("checked") if value else self.env._("unchecked")
        return str(value)

    def _registry_apply(self, values, source):
        """Write registry ``values`` onto this partner and post what changed in the chatter.
        Returns the names of the fields that changed."""
        self.ensure_one()
        changes = self._registry_value_changes(values)
        before = {fname: self._registry_display_value(fname, self._registry_current(fname)) for fname in changes}
        stamp = {"registry_source": source, "registry_checked_at": fields.Datetime.now()}
        addresses = changes.pop(CHILD_ADDRESSES, None)
        self.write({**changes, **stamp})
        if addresses:
            self._registry_write_child_addresses(addresses)
            changes[CHILD_ADDRESSES] = addresses
        if changes:
            rows = Markup("").join(
                Markup("<li>%s: %s → %s</li>")
                % (
                    self._registry_field_label(fname),
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

    # ---- addresses kept as children (a registry's postal address) ----

    def _registry_child(self, address):
        return self.child_ids.filtered(lambda c: c.type == address["type"] and c.name == address["name"])[:1]

    def _registry_format_address(self, address):
        country = self.env["res.country"].browse(address.get("country_id")).code if address.get("country_id") else ""
        parts = [address.get("street"), " ".join(filter(None, (address.get("zip"), address.get("city")))), country]
        return f"{address['name']}: " + ", ".join(p for p in parts if p)

    def _registry_child_addresses_differ(self, addresses):
        for address in addresses:
            child = self._registry_child(address)
            if not child:
                return True
            for key in ("street", "zip", "city", "country_id"):
                current = child[key].id if key == "country_id" else child[key]
                if (current or False) != (address.get(key) or False):
                    return True
        return False

    def _registry_write_child_addresses(self, addresses):
        for address in addresses:
            vals = {k: address.get(k) or False for k in ("street", "zip", "city", "country_id")}
            child = self._registry_child(address)
            if child:
                child.write(vals)
            else:
                self.create({**vals, "parent_id": self.id, "type": address["type"], "name": address["name"]})

    def _registry_current(self, fname):
        if fname == CHILD_ADDRESSES:
            return []
        value = self[fname]
        if self._fields[fname].type == "many2one":
            return value.id
        return value

    # ---- integrator API ----

    @api.model
    def _registry_provider(self, provider):
        """The provider model for a code (``gus``, ``vies``...) or a model name."""
        name = provider if provider.startswith("crm.client.registry.") else f"crm.client.registry.{provider}"
        if (
            name not in self.env
            or name == "crm.client.registry"
            or name not in self.pool.descendants(["crm.client.registry"], "_inherit")
        ):
            raise UserError(self.env._("There is no registry %(provider)s installed.", provider=provider))
        return self.env[name]

    @api.model
    def registry_search(self, provider, identifier, country_code=None):
        """What a registry says about an identifier: a list of dicts (the provider's own
        keys), ``[]`` when it knows nothing."""
        self.env["crm.client.registry"]._registry_check_access()
        self.check_access("read")
        return _without_none(self._registry_provider(provider)._registry_search(identifier, country_code=country_code))

    def registry_update(self, provider, field_names=None):
        """Write what a registry says onto these partners (``field_names`` or every field
        it fills), post the changes in their chatter. Everything is fetched before anything
        is written: an error writes nothing. Returns ``[{"partner_id", "changed"}]``."""
        self.env["crm.client.registry"]._registry_check_access()
        self.check_access("write")
        registry = self._registry_provider(provider)
        planned = []
        for partner in self:
            if not registry._registry_applies(partner):
                raise UserError(
                    self.env._(
                        "%(registry)s cannot look up %(partner)s (country or identifier missing).",
                        registry=registry._registry_label(),
                        partner=partner.display_name,
                    )
                )
            candidates = registry._registry_lookup(partner)
            if not candidates:
                raise UserError(
                    self.env._(
                        "%(registry)s has no entity for %(partner)s.",
                        registry=registry._registry_label(),
                        partner=partner.display_name,
                    )
                )
            planned.append((partner, candidates[0]["values"]))
        results = []
        for partner, found in planned:
            if field_names is not None:
                values = {k: v for k, v in found.items() if k in field_names}
            else:
                unchecked = set(registry._registry_unchecked_fields(partner, found))
                values = {k: v for k, v in found.items() if k not in unchecked}
            changed = partner._registry_apply(values, registry._registry_label())
            results.append({"partner_id": partner.id, "changed": changed})
        return results

    def _registry_bulk_update(self, provider):
        """Server action on a selection: update each partner the registry can look up,
        each on its own (one failing does not stop the others); a notification sums up."""
        # Refused once for the whole selection (an AccessError is a UserError: the loop
        # below would count it as one failure per partner).
        self.env["crm.client.registry"]._registry_check_access()
        registry = self._registry_provider(provider)
        done, changed, failed = 0, 0, []
        for partner in self.filtered(registry._registry_applies):
            try:
                with self.env.cr.savepoint():
                    result = partner.registry_update(provider)
            except UserError as exc:
                failed.append(f"{partner.display_name}: {exc.args[0]}")
                continue
            done += 1
            changed += bool(result[0]["changed"])
        message = self.env._(
            "%(registry)s: %(done)s updated (%(changed)s changed), %(failed)s failed.",
            registry=registry._registry_label(),
            done=done,
            changed=changed,
            failed=len(failed),
        )
        if failed:
            message += "\n" + "\n".join(failed[:5])
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "message": message,
                "type": "warning" if failed else "success",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }
