"""Billing entities: the legal entities a client is invoiced under, one of them the default
invoice address."""

from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResPartner(models.Model):
    _inherit = "res.partner"

    # Billing entities
    is_billing_entity = fields.Boolean(
        string="Billing Entity",
        copy=False,
        help="A legal entity (its own name, tax ID and fiscal address) under which the client is invoiced.",
    )
    is_default_billing = fields.Boolean(
        string="Default Billing Entity",
        copy=False,
        help="Proposed as the invoice address of the client's new quotations, orders and invoices.",
    )
    billing_entity_ids = fields.One2many(
        "res.partner",
        "parent_id",
        string="Billing Entities",
        domain=[("is_billing_entity", "=", True)],
        context={"default_is_billing_entity": True, "default_is_company": True, "default_type": "invoice"},
    )

    def init(self):
        res = super().init()
        cr = self.env.cr
        # At most one active default billing entity per client.
        cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS res_partner_single_default_billing
                ON res_partner (parent_id) WHERE is_default_billing AND is_billing_entity AND active
            """
        )
        return res

    @api.constrains("is_billing_entity", "parent_id")
    def _check_billing_entity(self):
        for entity in self.filtered("is_billing_entity"):
            if not entity.parent_id:
                raise ValidationError(
                    self.env._("The billing entity %(entity)s must belong to a client.", entity=entity.display_name)
                )

    @api.model
    def _client_prepare_billing_entities(self, vals_list):
        """A billing entity is a company child of type invoice; the first one of a client
        becomes its default. Two defaults for one client in one batch are refused."""
        entities = [
            vals
            for vals in vals_list
            if vals.get("is_billing_entity")
            or (self.env.context.get("default_is_billing_entity") and "is_billing_entity" not in vals)
        ]
        if not entities:
            return
        parent_default = self.env.context.get("default_parent_id")
        parents = {vals.get("parent_id", parent_default) for vals in entities} - {False, None}
        with_default = set(
            self.search(
                [
                    ("parent_id", "in", list(parents)),
                    ("is_billing_entity", "=", True),
                    ("is_default_billing", "=", True),
                ]
            ).parent_id.ids
        )
        claimed = set()
        for vals in entities:
            vals.update(is_billing_entity=True, is_company=True, type="invoice")
            parent = vals.get("parent_id", parent_default)
            if vals.get("is_default_billing"):
                if parent in claimed:
                    raise ValidationError(self.env._("A client has one default billing entity, not several."))
                if parent in with_default:
                    current = self.browse(parent).billing_entity_ids.filtered("is_default_billing")
                    current.write({"is_default_billing": False})
                    current.flush_recordset(["is_default_billing"])
                claimed.add(parent)
            elif parent not in with_default and parent not in claimed:
                vals["is_default_billing"] = True
                claimed.add(parent)

    def address_get(self, adr_pref=None):
        """The invoice address of a client (or of one of its contacts) is its default
        billing entity, where it has one: core's search stops at company children."""
        result = super().address_get(adr_pref)
        if "invoice" not in result or len(self) != 1 or self.is_billing_entity or self.type == "invoice":
            return result
        client = self.commercial_partner_id
        if client.is_billing_entity:
            return result
        found = self.env["res.partner"].browse(result["invoice"])
        if found.type == "invoice" and found not in (client, self):
            return result  # an explicit invoice address of this contact or client
        entity = self.search(
            [("parent_id", "=", client.id), ("is_billing_entity", "=", True), ("is_default_billing", "=", True)],
            limit=1,
        )
        if entity:
            result["invoice"] = entity.id
        return result
