"""A partner that documents or locked lines depend on is archived, never deleted."""

from odoo import api, models
from odoo.exceptions import UserError


class ResPartner(models.Model):
    _inherit = "res.partner"

    @api.ondelete(at_uninstall=False)
    def _unlink_except_referenced(self):
        """A client or contact person that documents point to is archived, not deleted:
        deleting it would silently blank the partner on those documents."""
        if self._client_merging():
            return
        documents = self._client_referencing_documents()
        if documents:
            kinds = ", ".join(f"{label} ({count})" for label, count in documents.items())
            partner = self[0] if len(self) == 1 else None
            raise UserError(
                self.env._(
                    "%(partner)s cannot be deleted: documents refer to it: %(kinds)s. "
                    "Archive it instead: it leaves the lists and its documents keep showing its name.",
                    partner=partner.display_name if partner else self.env._("These contacts"),
                    kinds=kinds,
                )
            )

    def _client_referencing_documents(self):
        """{document kind: count} of business records pointing at these partners through
        a many2one that deleting them would blank."""
        found = {}
        for model_name, fname in self._client_document_fields():
            Model = self.env[model_name].sudo().with_context(active_test=False)
            count = Model.search_count([(fname, "in", self.ids)])
            if count:
                label = Model._description or model_name
                found[label] = found.get(label, 0) + count
        return found

    @api.model
    def _client_document_fields(self):
        """(model, field) of every stored many2one to partners in business models; the
        technical ones (messaging, users, configuration, our own lines) do not count."""
        technical = (
            "ir.",
            "mail.",
            "discuss.",
            "bus.",
            "res.",
            "base.",
            "web_",
            "digest.",
            "sms.",
            "snailmail.",
            "crm.client.",
            "auth_",
            "portal.",
            "iap.",
            "onboarding.",
            "spreadsheet",
            "utm.",
            "privacy.",
        )
        result = []
        for model_name, Model in self.env.registry.items():
            if Model._abstract or Model._transient or not Model._auto or model_name.startswith(technical):
                continue
            for field in Model._fields.values():
                # Stored related / computed ones count too (an invoice's commercial partner).
                if (
                    field.type == "many2one"
                    and field.comodel_name == "res.partner"
                    and field.store
                    and field.ondelete != "cascade"
                ):
                    result.append((model_name, field.name))
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_except_locked_channels(self):
        if self._client_merging():
            return
        locked = self.env["crm.client.email"].search([("partner_id", "in", self.ids), ("locked", "=", True)], limit=1)
        locked = locked or self.env["crm.client.phone"].search(
            [("partner_id", "in", self.ids), ("locked", "=", True)], limit=1
        )
        if locked:
            raise UserError(
                self.env._(
                    "%(partner)s cannot be deleted: %(reason)s",
                    partner=locked.partner_id.display_name,
                    reason=locked._channel_locked_message(),
                )
            )
