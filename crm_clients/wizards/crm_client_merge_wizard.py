import json
from collections import defaultdict

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import html2plaintext

from ..models.res_partner_merge import CHOICE_COMBINED


class CrmClientMergeWizard(models.TransientModel):
    _name = "crm.client.merge.wizard"
    _description = "Merge Clients"

    partner_ids = fields.Many2many("res.partner", string="Clients", required=True)
    target_id = fields.Many2one(
        "res.partner",
        string="Keep",
        required=True,
        domain="[('id', 'in', partner_ids)]",
        help="The client that stays: it keeps its number, reference and status.",
    )
    preview = fields.Html(compute="_compute_preview", sanitize=False)
    # For each field where the clients differ, every client's value: the one kept is
    # the value the merged client gets.
    value_line_ids = fields.One2many(
        "crm.client.merge.wizard.value",
        "wizard_id",
        string="Values",
        compute="_compute_value_line_ids",
        store=True,
        readonly=False,
    )
    # {field: key of the kept line}: tells which line the user just picked.
    choice_state = fields.Char(compute="_compute_value_line_ids", store=True, readonly=False)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if self.env.context.get("active_model") == "res.partner" and self.env.context.get("active_ids"):
            partners = self.env["res.partner"].browse(self.env.context["active_ids"])
            values.setdefault("partner_ids", [fields.Command.set(partners.ids)])
            # The oldest client (lowest number) is proposed as the one to keep.
            values.setdefault(
                "target_id", partners.sorted(lambda p: (not p.client_number, p.client_number or "", p.id))[:1].id
            )
        return values

    @api.depends("partner_ids", "target_id")
    def _compute_preview(self):
        for wizard in self:
            # In the form (onchange) the records are new ones: compare their origins.
            sources = wizard.partner_ids._origin - wizard.target_id._origin
            if not wizard.target_id or not sources:
                wizard.preview = False
                continue
            try:
                moved = self.env["res.partner"].client_merge_preview(sources.ids, wizard.target_id._origin.id)["moved"]
            except Exception as exc:  # noqa: BLE001 - shown to the user as the reason
                wizard.preview = Markup("<div class='alert alert-danger'>%s</div>") % (exc.args[0] if exc.args else exc)
                continue
            labels = {m.model: m.name for m in self.env["ir.model"].sudo().search([("model", "in", list(moved))])}
            rows = Markup("").join(
                Markup("<tr><td>%s</td><td class='text-end'>%s</td></tr>") % (labels.get(model, model), count)
                for model, count in sorted(moved.items(), key=lambda item: labels.get(item[0], item[0]))
            )
            wizard.preview = Markup(
                "<p>%s</p><table class='table table-sm'><thead><tr><th>%s</th><th class='text-end'>%s</th></tr>"
                "</thead><tbody>%s</tbody></table>"
            ) % (
                self.env._(
                    "%(count)s clients will be merged into %(target)s:",
                    count=len(sources),
                    target=wizard.target_id.display_name,
                ),
                self.env._("Records"),
                self.env._("Moved"),
                rows,
            )

    @api.depends("partner_ids", "target_id")
    def _compute_value_line_ids(self):
        Partner = self.env["res.partner"]
        for wizard in self:
            target = wizard.target_id
            sources = wizard.partner_ids._origin - target._origin
            commands, state = [fields.Command.clear()], {}
            if target and sources:
                try:
                    sources, target = Partner._client_merge_check(sources.ids, target._origin.id)
                except (AccessError, UserError):
                    sources = Partner  # the preview says why
            if target and sources:
                differences = sources._client_merge_differences(target)
                defaults = sources._client_merge_default_choices(target)
                sequence = 0
                for fname, candidates in differences.items():
                    kept = defaults.get(fname)
                    rows = wizard._value_rows(fname, candidates, target, sources)
                    for partner_id, origin, shown in rows:
                        sequence += 1
                        keep = partner_id == (kept.id if kept else False)
                        commands.append(
                            fields.Command.create(
                                {
                                    "sequence": sequence,
                                    "field_name": fname,
                                    "field_label": Partner._fields[fname].string,
                                    "partner_id": partner_id,
                                    "origin_label": origin,
                                    "value_display": shown,
                                    "keep": keep,
                                }
                            )
                        )
                        if keep:
                            state[fname] = str(partner_id or 0)
            wizard.value_line_ids = commands
            wizard.choice_state = json.dumps(state)

    def _value_rows(self, fname, candidates, target, sources):
        """(partner id or False, where from, the value in words) for each candidate, and
        for stars, tags and users first the combination a merge makes by default."""
        names = {partner.id: partner.display_name for partner in target | sources}
        rows = []
        if fname in CHOICE_COMBINED:
            combined = self._combined_value(fname, candidates)
            rows.append((False, self.env._("All of them"), self._shown(fname, combined)))
        for candidate in candidates:
            partner_id = candidate["partner_id"]
            origin = names[partner_id]
            if partner_id == target.id:
                origin = self.env._("%(name)s (kept)", name=origin)
            rows.append((partner_id, origin, self._shown(fname, candidate["value"])))
        return rows

    @api.model
    def _combined_value(self, fname, candidates):
        if fname == "priority":
            return max((c["value"] or "0") for c in candidates)
        return sorted({i for c in candidates for i in (c["value"] or [])})

    @api.model
    def _shown(self, fname, value):
        """A value as read() gives it, in words."""
        field = self.env["res.partner"]._fields[fname]
        if field.type == "boolean":
            return self.env._("Yes") if value else self.env._("No")
        if value in (False, None, "", []):
            return ""
        if isinstance(value, tuple):
            return value[1]
        if field.type in ("many2many", "one2many"):
            return ", ".join(self.env[field.comodel_name].browse(value).mapped("display_name"))
        if field.type == "selection":
            return dict(field._description_selection(self.env)).get(value, value)
        if field.type == "properties":
            return "; ".join(
                f"{item.get('string')}: {self._shown_property(item)}"
                for item in value
                if item.get("value") not in (False, None, "")
            )
        if field.type == "html":
            return html2plaintext(value)[:200]
        return str(value)

    @api.model
    def _shown_property(self, item):
        value = item.get("value")
        if isinstance(value, (list, tuple)) and len(value) == 2 and isinstance(value[0], int):
            return value[1]
        return value

    @api.onchange("value_line_ids")
    def _onchange_value_line_ids(self):
        """One value kept per field: the one just picked."""
        previous = json.loads(self.choice_state or "{}")
        by_field = defaultdict(list)
        for line in self.value_line_ids:
            by_field[line.field_name].append(line)
        state = {}
        for fname, lines in by_field.items():
            kept = [line for line in lines if line.keep]
            before = previous.get(fname)
            if len(kept) > 1:
                chosen = next((line for line in kept if line._key() != before), kept[-1])
            elif kept:
                chosen = kept[0]
            else:  # unpicking the kept value keeps it: pick another one instead
                chosen = next((line for line in lines if line._key() == before), lines[0])
            for line in lines:
                if line.keep != (line._key() == chosen._key()):
                    line.keep = line._key() == chosen._key()
            state[fname] = chosen._key()
        self.choice_state = json.dumps(state)

    def action_merge(self):
        self.ensure_one()
        sources = self.partner_ids._origin - self.target_id._origin
        values = {line.field_name: line.partner_id.id for line in self.value_line_ids if line.keep and line.partner_id}
        self.env["res.partner"].client_merge(sources.ids, self.target_id.id, values)
        return self.target_id._client_form_action()
