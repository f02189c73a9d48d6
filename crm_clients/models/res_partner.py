from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..tools.internal import CASCADE
from ..tools.internal import MERGE
from ..tools.internal import SKIP_CLIENT_DEFAULTS
from ..tools.internal import SYNC_TO_PARTNER_DONE
from ..tools.internal import is_on


class ResPartner(models.Model):
    _inherit = "res.partner"

    # Identity
    is_client = fields.Boolean(
        compute="_compute_is_client",
        store=True,
        string="Is a Client",
        help="A top-level commercial partner that is not the partner of a user or of a company of this database.",
    )
    client_number = fields.Char(readonly=True, copy=False, string="Client Number")  # unique index below
    external_ref = fields.Char(
        string="External Reference",
        copy=False,
        index="btree_not_null",
        tracking=True,
        help="The client's id in another system; unique per company.",
    )
    legal_name = fields.Char(
        tracking=True, help="Registered legal name, shown on documents when it differs from the name."
    )
    # Client type
    # Labels of their own: Purchase's "Buyer" (buyer_id) is another field.
    is_buyer = fields.Boolean(string="Is a Buyer", tracking=True)
    is_supplier = fields.Boolean(string="Is a Supplier", tracking=True)
    is_workshop = fields.Boolean(string="Is a Workshop", tracking=True)
    # Pipeline management
    client_status_id = fields.Many2one(
        "crm.client.status",
        string="Client Status",
        index=True,
        tracking=True,
        copy=False,
        ondelete="restrict",
        group_expand="_read_group_client_status_id",
    )
    priority = fields.Selection(
        [("0", "None"), ("1", "Good"), ("2", "Very Good"), ("3", "Excellent")],
        string="Stars",
        default="0",
    )
    assigned_user_ids = fields.Many2many(
        "res.users",
        "res_partner_crm_client_assigned_rel",
        "partner_id",
        "user_id",
        string="Assigned Users",
        domain=[("share", "=", False)],
        help="Team members working with this client.",
    )
    client_origin_id = fields.Many2one("utm.source", string="Origin", index="btree_not_null", tracking=True)

    # Contact persons
    primary_contact_id = fields.Many2one(
        "res.partner",
        string="Primary Contact",
        tracking=True,
        copy=False,
        # Deleting or merging a partner looks for the companies naming it.
        index="btree_not_null",
        domain="[('parent_id', '=', id), ('is_company', '=', False), ('type', '=', 'contact')]",
        help="The contact person suggested first, e.g. as the recipient of an email.",
    )
    client_role_ids = fields.Many2many(
        "crm.client.contact.role",
        "res_partner_crm_client_contact_role_rel",
        "partner_id",
        "role_id",
        string="Roles",
        help="What this contact person does for the client.",
    )

    _sql_constraints = [
        ("client_number_uniq", "unique(client_number)", "Two clients cannot have the same client number."),
    ]

    def init(self):
        res = super().init()
        cr = self.env.cr
        # external_ref is unique per company, archived partners included; partners without
        # a company share one namespace (NULL is not distinct here).
        cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS res_partner_external_ref_company_uniq
                ON res_partner (COALESCE(company_id, 0), external_ref)
                WHERE external_ref IS NOT NULL
            """
        )
        # The Clients kanban counts its columns (clients by status) and each column's
        # clients: read from this index alone (with the columns of core's company rule),
        # not from every partner's row (1.9 s at a million clients).
        cr.execute(
            """
            CREATE INDEX IF NOT EXISTS res_partner_crm_client_status_count
                ON res_partner (client_status_id, company_id, partner_share)
                WHERE is_client AND active
            """
        )
        return res

    # ---- Compute ----

    @api.depends("parent_id", "user_ids")
    def _compute_is_client(self):
        company_partner_ids = set(
            self.env["res.company"].sudo().with_context(active_test=False).search([]).partner_id.ids
        )
        for partner in self.with_context(active_test=False):
            partner.is_client = bool(
                not partner.parent_id and partner.id not in company_partner_ids and not partner.user_ids
            )

    @api.depends("legal_name", "commercial_partner_id.legal_name")
    @api.depends_context("crm_clients_legal_name")
    def _compute_display_name(self):
        super()._compute_display_name()
        if not self.env.context.get("crm_clients_legal_name"):
            return
        # Documents (the `contact` QWeb widget) print the registered legal name.
        for partner in self:
            commercial = partner.commercial_partner_id
            if commercial.legal_name and commercial.name and partner.display_name:
                partner.display_name = partner.display_name.replace(commercial.name, commercial.legal_name, 1)

    @api.model
    def _read_group_client_status_id(self, statuses, domain):
        return statuses.search([])

    # ---- Search ----

    # ---- Constraints ----

    @api.constrains("primary_contact_id", "parent_id")
    def _check_primary_contact(self):
        for partner in self.filtered("primary_contact_id"):
            contact = partner.primary_contact_id
            if contact.parent_id != partner or contact.is_company:
                raise ValidationError(
                    self.env._(
                        "%(contact)s cannot be the primary contact of %(client)s: pick one of its contact persons.",
                        contact=contact.display_name,
                        client=partner.display_name,
                    )
                )

    @api.constrains("client_status_id")
    def _check_client_status_exists(self):
        statuses = self.client_status_id
        if missing := statuses - statuses.exists():
            raise ValidationError(self.env._("There is no client status with id %(id)s.", id=missing[0].id))

    # ---- ORM ----

    @api.model
    def _commercial_fields(self):
        return super()._commercial_fields() + [
            "is_buyer",
            "is_supplier",
            "is_workshop",
            "client_status_id",
            "priority",
            "assigned_user_ids",
            "client_origin_id",
            "regon",
            "krs",
        ]

    @api.model_create_multi
    def create(self, vals_list):
        countries = self._client_countries_by_id(vals_list)
        for vals in vals_list:
            self._client_normalize_vals(vals, countries.get(vals.get("country_id")))
        self._client_check_external_refs(vals_list)
        self._client_prepare_new_clients(vals_list)
        self._client_prepare_billing_entities(vals_list)
        partners = super().create(vals_list)
        if not is_on(self.env, SYNC_TO_PARTNER_DONE):
            partners._client_channels_from_partner_vals(vals_list)
        partners._client_check_required_channel()
        return partners

    def write(self, vals):
        if vals.keys() & {"vat", "regon", "pesel", "krs", "external_ref"}:
            vals = dict(vals)
            if "country_id" in vals:
                country = self.env["res.country"].browse(vals["country_id"])
            else:
                country = self.country_id if len(self.country_id) == 1 and all(self.mapped("country_id")) else None
            self._client_normalize_vals(vals, country)
            if vals.get("external_ref"):
                self._client_check_external_refs([vals], partners=self)
        if "company_id" in vals and "external_ref" not in vals and self.filtered("external_ref"):
            self._client_check_external_refs(
                [{"external_ref": p.external_ref, "company_id": vals["company_id"]} for p in self if p.external_ref],
                partners=self,
            )
        if vals.get("is_billing_entity"):
            vals = {**vals, "is_company": True, "type": "invoice"}
        if vals.get("is_default_billing"):
            self._client_take_default_billing()
        channel_plan = None
        if vals.keys() & {"email", "phone", "mobile"} and not is_on(self.env, SYNC_TO_PARTNER_DONE):
            # Decide (and refuse, for a locked line) before anything is written.
            channel_plan = self._client_plan_channel_writes(vals)
        res = super().write(vals)
        if channel_plan:
            self._client_apply_channel_plan(channel_plan)
        if "parent_id" in vals and not vals["parent_id"] and not is_on(self.env, SKIP_CLIENT_DEFAULTS):
            self._client_assign_defaults()
        if "active" in vals and not is_on(self.env, CASCADE):
            self._client_cascade_active(bool(vals["active"]))
        if "active" in vals and not vals["active"] and (lost := self.filtered("is_default_billing")):
            # An archived entity is never proposed: the oldest active one takes over.
            lost.write({"is_default_billing": False})
            for client in lost.parent_id:
                if entity := client.billing_entity_ids[:1]:
                    entity.is_default_billing = True
        if vals.keys() & {"email", "phone", "mobile", "email_ids", "phone_ids", "parent_id", "active"} and not any(
            vals.get(fname) for fname in ("email", "phone", "mobile")
        ):
            # (A partner given an email, phone or mobile has one: nothing to look at; lines
            # write their partners back one by one.)
            self._client_check_required_channel()
        return res

    def _client_form_action(self):
        """Open this client on the Clients form (the workspace)."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.partner",
            "res_id": self.id,
            "view_mode": "form",
            "views": [(self.env.ref("crm_clients.view_partner_form_crm_client").id, "form")],
            "target": "current",
        }

    def _client_merging(self):
        """A merge of ours is deleting these partners (set by our code, as superuser)."""
        return self.env.su and is_on(self.env, MERGE)

    def _message_get_suggested_recipients(self):
        recipients = super()._message_get_suggested_recipients()
        if len(self) != 1:
            return recipients
        contacts = self.primary_contact_id.filtered("active")
        if contacts and all(r.get("partner_id") != contacts.id for r in recipients):
            self._message_add_suggested_recipient(recipients, partner=contacts, reason=self.env._("Primary Contact"))
        # The primary contact first.
        recipients.sort(key=lambda r: r.get("partner_id") != contacts.id)
        return recipients

    # ---- Helpers ----

    def _client_take_default_billing(self):
        if len(self) > 1:
            raise ValidationError(self.env._("A client has one default billing entity, not several."))
        if others := self.parent_id.billing_entity_ids.filtered(lambda e: e.is_default_billing and e != self):
            super(ResPartner, others).write({"is_default_billing": False})
            others.flush_recordset(["is_default_billing"])
        return True
