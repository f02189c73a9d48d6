from odoo import api, fields, models
from odoo.exceptions import UserError


class CrmClientRegistryWizard(models.TransientModel):
    """Compare a partner with what a registry says, field by field, and apply the
    fields the user keeps checked."""

    _name = "crm.client.registry.wizard"
    _description = "Update a Client from a Registry"

    partner_id = fields.Many2one("res.partner", required=True, ondelete="cascade")
    provider = fields.Selection(selection="_selection_provider", string="Registry")
    state = fields.Selection(
        [("provider", "Choose a registry"), ("candidate", "Choose an entity"), ("compare", "Compare")],
        default="provider",
    )
    candidate_ids = fields.One2many("crm.client.registry.wizard.candidate", "wizard_id")
    candidate_id = fields.Many2one("crm.client.registry.wizard.candidate", string="Entity")
    line_ids = fields.One2many("crm.client.registry.wizard.line", "wizard_id", string="Fields")

    @api.model
    def _selection_provider(self):
        return [(p._name, p._registry_label()) for p in self.env["crm.client.registry"]._registry_providers()]

    def _provider_model(self):
        return self.env[self.provider]

    def _start(self):
        """First step: pick the registry when several fit, else look up right away."""
        self.ensure_one()
        if not self.provider:
            providers = self.env["crm.client.registry"]._registry_providers(self.partner_id)
            if not providers:
                raise UserError(
                    self.env._(
                        "No registry can look up %(partner)s: set its country and a tax ID or registry number first.",
                        partner=self.partner_id.display_name,
                    )
                )
            if len(providers) > 1:
                return self._reopen()
            self.provider = providers[0]._name
        return self.action_lookup()

    def action_lookup(self):
        self.ensure_one()
        self.env["crm.client.registry"]._registry_check_access()
        if not self.provider:
            raise UserError(self.env._("Choose a registry."))
        provider = self._provider_model()
        candidates = provider._registry_lookup(self.partner_id)
        if not candidates:
            raise UserError(
                self.env._(
                    "%(registry)s has no entity for %(partner)s.",
                    registry=provider._registry_label(),
                    partner=self.partner_id.display_name,
                )
            )
        self.candidate_ids = [
            fields.Command.create(
                {
                    "name": candidate["label"],
                    "description": candidate.get("description") or "",
                    "values": candidate["values"],
                }
            )
            for candidate in candidates
        ]
        if len(candidates) == 1:
            self.candidate_id = self.candidate_ids
            return self.action_compare()
        self.state = "candidate"
        return self._reopen()

    def action_compare(self):
        self.ensure_one()
        self.env["crm.client.registry"]._registry_check_access()
        if not self.candidate_id:
            raise UserError(self.env._("Choose one of the entities the registry found."))
        partner = self.partner_id
        values = self.candidate_id.values or {}
        changed = partner._registry_value_changes(values)
        default_unchecked = set(self._provider_model()._registry_unchecked_fields(partner, values))
        lines = []
        for fname, new in values.items():
            if (fname not in partner._fields and fname != "child_addresses") or new in (False, None, "", []):
                continue
            lines.append(
                fields.Command.create(
                    {
                        "field_name": fname,
                        "field_label": partner._registry_field_label(fname),
                        "current_value": partner._registry_display_value(fname, partner._registry_current(fname)),
                        "new_value": partner._registry_display_value(fname, new),
                        "changed": fname in changed,
                        "apply": fname in changed and fname not in default_unchecked,
                    }
                )
            )
        self.line_ids = [fields.Command.clear(), *lines]
        self.state = "compare"
        return self._reopen()

    def action_apply(self):
        self.ensure_one()
        self.env["crm.client.registry"]._registry_check_access()
        names = set(self.line_ids.filtered("apply").mapped("field_name"))
        values = {fname: value for fname, value in (self.candidate_id.values or {}).items() if fname in names}
        self.partner_id._registry_apply(values, self._provider_model()._registry_label())
        return {"type": "ir.actions.act_window_close"}

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Update from Registry"),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }
