from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, email_normalize
from odoo.tools.query import Query

from ..tools import polish_ids
from ..tools.internal import CASCADE
from ..tools.internal import MERGE
from ..tools.internal import SKIP_CLIENT_DEFAULTS
from ..tools.internal import SYNC_FROM_PARTNER
from ..tools.internal import SYNC_TO_PARTNER_DONE
from ..tools.internal import is_on
from ..tools.internal import switch_on

# Fields whose searches ignore formatting (see _client_normalize_id_domain).
_ID_SEARCH_FIELDS = ("vat", "regon", "pesel", "krs")
_CHANNEL_SEARCH_FIELDS = ("email", "phone", "mobile")
_ID_SEARCH_OPERATORS = ("=", "ilike", "=ilike", "like", "=like")
# Polish identifiers stored as digits only, with their normalizer and label.
_POLISH_ID_FIELDS = {
    "regon": (polish_ids.normalize_regon, "REGON"),
    "pesel": (polish_ids.normalize_pesel, "PESEL"),
    "krs": (polish_ids.normalize_krs, "KRS"),
}


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
    # Polish identifiers (NIP lives in vat)
    # Searched through trigram indexes created in init() (partial: most partners have none).
    regon = fields.Char(string="REGON", tracking=True, help="9 or 14 digits")
    pesel = fields.Char(string="PESEL", tracking=True, help="11 digits, persons only")
    krs = fields.Char(string="KRS", tracking=True, help="10 digits")

    # Contact persons
    primary_contact_id = fields.Many2one(
        "res.partner",
        string="Primary Contact",
        tracking=True,
        copy=False,
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
    client_archived_child_ids = fields.One2many(
        "res.partner",
        "parent_id",
        string="Archived Contacts",
        domain=[("active", "=", False)],
        context={"active_test": False},
    )
    client_show_archived_contacts = fields.Boolean(
        string="Show Archived Contacts", compute="_compute_client_show_archived_contacts", readonly=False
    )

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

    client_archived_with_id = fields.Many2one(
        "res.partner",
        string="Archived With",
        copy=False,
        index="btree_not_null",
        help="The client whose archiving archived this contact or entity: restoring it restores this one.",
    )

    # Relations
    client_relation_ids = fields.Many2many(
        "crm.client.relation",
        string="Relations",
        compute="_compute_client_relation_ids",
        search="_search_client_relation_ids",
        help="Every relation the partner takes part in, on either side.",
    )
    client_relation_count = fields.Integer(compute="_compute_client_relation_ids", string="Relation Count")
    client_related_partner_id = fields.Many2one(
        "res.partner",
        string="Related To",
        compute="_compute_client_related_partner_id",
        search="_search_client_related_partner_id",
        help="Search the partners that have a relation with this one.",
    )

    # Contact channels
    email_ids = fields.One2many("crm.client.email", "partner_id", string="Emails", copy=False)
    phone_ids = fields.One2many("crm.client.phone", "partner_id", string="Phones", copy=False)

    _sql_constraints = [
        ("client_number_uniq", "unique(client_number)", "Two clients cannot have the same client number."),
    ]

    def init(self):
        super().init()
        cr = self.env.cr
        # At most one active default billing entity per client.
        cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS res_partner_single_default_billing
                ON res_partner (parent_id) WHERE is_default_billing AND is_billing_entity AND active
            """
        )
        # external_ref is unique per company, archived partners included; partners without
        # a company share one namespace (NULL is not distinct here).
        cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS res_partner_external_ref_company_uniq
                ON res_partner (COALESCE(company_id, 0), external_ref)
                WHERE external_ref IS NOT NULL
            """
        )
        # Formatting-insensitive searches (see _search) use trigram indexes for their
        # `ilike` leaves: make sure pg_trgm exists and vat gets one (core only has btree).
        cr.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if not cr.rowcount:
            try:
                with cr.savepoint(flush=False):
                    cr.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            except Exception:  # noqa: BLE001 - no rights: searches still work, unindexed
                return
        for column in ("vat", "regon", "pesel", "krs"):
            cr.execute(
                SQL(
                    "CREATE INDEX IF NOT EXISTS %s ON res_partner USING gin (%s gin_trgm_ops) WHERE %s IS NOT NULL",
                    SQL.identifier(f"res_partner_{column}_crm_trgm"),
                    SQL.identifier(column),
                    SQL.identifier(column),
                )
            )

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

    def _compute_client_relation_ids(self):
        relations = self.env["crm.client.relation"].search(
            ["|", ("left_partner_id", "in", self.ids), ("right_partner_id", "in", self.ids)]
        )
        by_partner = {}
        for relation in relations:
            for partner in relation.left_partner_id | relation.right_partner_id:
                by_partner.setdefault(partner.id, []).append(relation.id)
        for partner in self:
            ids = by_partner.get(partner.id, [])
            partner.client_relation_ids = [fields.Command.set(ids)]
            partner.client_relation_count = len(ids)

    def _search_client_relation_ids(self, operator, value):
        if operator not in ("in", "=", "any"):
            raise UserError(self.env._("Unsupported search on relations: %(operator)s", operator=operator))
        Relation = self.env["crm.client.relation"]
        if isinstance(value, Query):
            relations = value  # "any" with a subquery already built by the ORM
        elif operator == "any":
            relations = Relation._search(value)
        else:
            relations = Relation._search([("id", "in", value if isinstance(value, (list, tuple)) else [value])])
        return [
            "|",
            ("id", "in", relations.subselect("left_partner_id")),
            ("id", "in", relations.subselect("right_partner_id")),
        ]

    def _compute_client_related_partner_id(self):
        self.client_related_partner_id = False

    def _search_client_related_partner_id(self, operator, value):
        if operator in ("ilike", "=ilike", "like") and isinstance(value, str):
            others = self.env["res.partner"]._search([("display_name", operator, value)])
        elif operator in ("=", "in"):
            others = value if isinstance(value, (list, tuple)) else [value]
        else:
            raise UserError(self.env._("Unsupported search on related partners: %(operator)s", operator=operator))
        Relation = self.env["crm.client.relation"]
        return [
            "|",
            ("id", "in", Relation._search([("right_partner_id", "in", others)]).subselect("left_partner_id")),
            ("id", "in", Relation._search([("left_partner_id", "in", others)]).subselect("right_partner_id")),
        ]

    def action_view_client_relations(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("crm_clients.crm_client_relation_side_action")
        action["domain"] = [("this_partner_id", "=", self.id)]
        action["context"] = {"default_this_partner_id": self.id}
        action["display_name"] = self.env._("Relations of %(partner)s", partner=self.display_name)
        return action

    def _compute_client_show_archived_contacts(self):
        self.client_show_archived_contacts = False

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

    @api.model
    def _search(self, domain, offset=0, limit=None, order=None):
        return super()._search(self._client_normalize_id_domain(domain), offset, limit, order)

    @api.model
    def _search_display_name(self, operator, value):
        # name_search and the many2one autocomplete resolve display_name after _search
        # has seen the domain: normalize their tax ID leaves too.
        return self._client_normalize_id_domain(super()._search_display_name(operator, value))

    @api.model
    def _client_normalize_id_domain(self, domain):
        """Add to each search on a tax ID a leaf that finds it whatever its formatting.

        ``('vat', 'ilike', 'PL 526-104-08-28')`` becomes
        ``['|', ('vat', 'ilike', 'PL 526-104-08-28'), ('vat', 'ilike', '5261040828')]``:
        core's own match is kept, the normalized one is added, and both use indexes.
        """
        if not domain:
            return domain
        result = []
        changed = False
        for term in domain:
            extra = self._client_id_search_leaf(term)
            if extra:
                result += ["|", term, extra]
                changed = True
            else:
                result.append(term)
        return result if changed else domain

    @api.model
    def _client_id_search_leaf(self, term):
        if not isinstance(term, (list, tuple)) or len(term) != 3:
            return None
        fname, operator, value = term
        if operator not in _ID_SEARCH_OPERATORS or not isinstance(value, str) or not value.strip():
            return None
        if fname in _CHANNEL_SEARCH_FIELDS:
            return self._client_channel_search_leaf(fname, operator, value)
        if fname not in _ID_SEARCH_FIELDS:
            return None
        digits = polish_ids.search_digits(value)
        if not digits or digits == value:
            return None
        if operator in ("=", "=ilike", "=like") and fname == "vat":
            return (fname, "in", [digits, f"PL{digits}"])
        if operator in ("=", "=ilike", "=like"):
            return (fname, "=", digits)
        return (fname, "ilike", digits)

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

    # ---- Constraints ----

    @api.constrains("vat", "country_id")
    def _check_client_nip(self):
        for partner in self:
            if not partner.vat or not partner._client_vat_is_nip(partner.vat, partner.country_id):
                continue
            try:
                polish_ids.normalize_nip(partner.vat)
            except polish_ids.InvalidIdentifier as exc:
                raise ValidationError(self._client_invalid_id_message("NIP", exc)) from exc

    @api.constrains("regon", "pesel", "krs")
    def _check_client_polish_ids(self):
        for partner in self:
            for fname, (normalize, label) in _POLISH_ID_FIELDS.items():
                if partner[fname]:
                    try:
                        normalize(partner[fname])
                    except polish_ids.InvalidIdentifier as exc:
                        raise ValidationError(self._client_invalid_id_message(label, exc)) from exc

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

    @api.constrains("is_billing_entity", "parent_id")
    def _check_billing_entity(self):
        for entity in self.filtered("is_billing_entity"):
            if not entity.parent_id:
                raise ValidationError(
                    self.env._("The billing entity %(entity)s must belong to a client.", entity=entity.display_name)
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
        if vals.keys() & {"email", "phone", "mobile", "email_ids", "phone_ids", "parent_id", "active"}:
            self._client_check_required_channel()
        return res

    def _client_merging(self):
        """A merge of ours is deleting these partners (set by our code, as superuser)."""
        return self.env.su and is_on(self.env, MERGE)

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

    def action_client_make_headquarters(self):
        """Make this address of a client its headquarters: the client's own address and
        this one swap their values."""
        self.ensure_one()
        client = self.parent_id
        if not client or self.type == "contact" or self.is_company:
            raise UserError(
                self.env._("Only another address of a client (invoice, delivery, other) can become its headquarters.")
            )
        fnames = self._address_fields()
        mine = self._update_fields_values(fnames)
        theirs = client._update_fields_values(fnames)
        old_hq = client._display_address(without_company=True).replace("\n", ", ")
        new_hq = self._display_address(without_company=True).replace("\n", ", ")
        client.write(mine)
        self.write(theirs)
        body = self.env._("Headquarters moved from %(old)s to %(new)s.", old=old_hq or "-", new=new_hq or "-")
        client._message_log(body=body)
        self._message_log(body=body)
        return True

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

    def action_archive(self):
        super().action_archive()
        return True  # integrators call it over XML-RPC, which cannot carry None

    def action_unarchive(self):
        super().action_unarchive()
        return True

    # ---- Helpers ----

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

    def _client_take_default_billing(self):
        if len(self) > 1:
            raise ValidationError(self.env._("A client has one default billing entity, not several."))
        if others := self.parent_id.billing_entity_ids.filtered(lambda e: e.is_default_billing and e != self):
            super(ResPartner, others).write({"is_default_billing": False})
            others.flush_recordset(["is_default_billing"])
        return True

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

    def _client_cascade_active(self, active):
        """Archiving a client archives its contacts and billing entities (not the partners
        of active users); restoring it restores exactly those."""
        cascade = self.with_context(active_test=False, **switch_on(CASCADE))
        if not active:
            children = self.child_ids.filtered(lambda c: c.active and not c.user_ids.filtered("active"))
            for parent in self:
                mine = children.filtered(lambda c, p=parent: c.parent_id == p)
                if mine:
                    mine.with_context(**switch_on(CASCADE)).write(
                        {"active": False, "client_archived_with_id": parent.id}
                    )
        else:
            archived = cascade.search([("client_archived_with_id", "in", self.ids), ("active", "=", False)])
            if archived:
                archived.write({"active": True, "client_archived_with_id": False})

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

    @api.model
    def _client_invalid_id_message(self, label, exc):
        reasons = {
            "only digits are allowed": self.env._("only digits are allowed"),
            "only digits are allowed, after an optional PL prefix": self.env._(
                "only digits are allowed, after an optional PL prefix"
            ),
            "a NIP has 10 digits": self.env._("a NIP has 10 digits"),
            "a REGON has 9 or 14 digits": self.env._("a REGON has 9 or 14 digits"),
            "a PESEL has 11 digits": self.env._("a PESEL has 11 digits"),
            "a KRS number has 10 digits": self.env._("a KRS number has 10 digits"),
            "the checksum does not match": self.env._("the checksum does not match"),
            "the checksum or the encoded birth date does not match": self.env._(
                "the checksum or the encoded birth date does not match"
            ),
        }
        return self.env._(
            "%(field)s %(value)s is not valid: %(reason)s.",
            field=label,
            value=exc.value,
            reason=reasons.get(exc.reason, exc.reason),
        )

    @api.model
    def _client_vat_is_nip(self, vat, country):
        """A tax ID is a Polish NIP when it says so (PL prefix) or when the partner is
        Polish and it is made of digits; anything else is left to core and base_vat."""
        if polish_ids.looks_polish_vat(vat):
            return True
        return bool(country) and country.code == "PL" and polish_ids.nip_digits(vat) is not None

    @api.model
    def _client_countries_by_id(self, vals_list):
        ids = {vals["country_id"] for vals in vals_list if vals.get("country_id")}
        return {country.id: country for country in self.env["res.country"].browse(ids)} if ids else {}

    @api.model
    def _client_normalize_vals(self, vals, country):
        """Normalize identifiers in place; an invalid one raises a ValidationError that
        names the field and the value, before anything is written."""
        if vals.get("vat") and isinstance(vals["vat"], str) and country is not None:
            if self._client_vat_is_nip(vals["vat"], country):
                try:
                    vals["vat"] = polish_ids.normalize_nip(vals["vat"])
                except polish_ids.InvalidIdentifier as exc:
                    raise ValidationError(self._client_invalid_id_message("NIP", exc)) from exc
        elif vals.get("vat") and isinstance(vals["vat"], str) and polish_ids.looks_polish_vat(vals["vat"]):
            try:
                vals["vat"] = polish_ids.normalize_nip(vals["vat"])
            except polish_ids.InvalidIdentifier as exc:
                raise ValidationError(self._client_invalid_id_message("NIP", exc)) from exc
        for fname, (normalize, label) in _POLISH_ID_FIELDS.items():
            if fname not in vals:
                continue
            value = vals[fname]
            if not value or (isinstance(value, str) and not value.strip()):
                vals[fname] = False
                continue
            try:
                vals[fname] = normalize(str(value))
            except polish_ids.InvalidIdentifier as exc:
                raise ValidationError(self._client_invalid_id_message(label, exc)) from exc
        if "external_ref" in vals:
            ref = vals["external_ref"]
            vals["external_ref"] = (str(ref).strip() or False) if ref not in (False, None) else False

    def _client_check_external_refs(self, vals_list, partners=None):
        """Refuse an external reference already used in the same company (archived
        partners included). The unique index is the last line of defence; this check
        gives the message a person can act on, in one query for the whole batch."""
        default_company = self.env.context.get("default_company_id") or False
        wanted = {}  # (company_id or 0, ref) -> number of times the batch uses it
        for vals in vals_list:
            if not vals.get("external_ref"):
                continue
            if partners is not None and "company_id" not in vals:
                companies = set(partners.mapped("company_id").ids) or {0}
                if len(partners) > 1:
                    raise ValidationError(
                        self.env._(
                            "The external reference %(ref)s cannot be given to %(count)s partners at once.",
                            ref=vals["external_ref"],
                            count=len(partners),
                        )
                    )
            else:
                companies = {vals.get("company_id", default_company) or 0}
            for company_id in companies:
                key = (company_id, vals["external_ref"])
                wanted[key] = wanted.get(key, 0) + 1
        if not wanted:
            return
        for (_company_id, ref), count in wanted.items():
            if count > 1:
                raise ValidationError(
                    self.env._("The external reference %(ref)s is given to several clients at once.", ref=ref)
                )
        refs = list({ref for _company_id, ref in wanted})
        domain = [("external_ref", "in", refs)]
        if partners is not None:
            domain.append(("id", "not in", partners.ids))
        existing = self.sudo().with_context(active_test=False).search_fetch(domain, ["external_ref", "company_id"])
        for other in existing:
            if (other.company_id.id or 0, other.external_ref) in wanted:
                raise ValidationError(
                    self.env._(
                        "The external reference %(ref)s is already used by %(partner)s%(archived)s.",
                        ref=other.external_ref,
                        partner=other.display_name,
                        archived="" if other.active else self.env._(" (archived)"),
                    )
                )

    @api.model
    def _client_prepare_new_clients(self, vals_list):
        """Give new top-level partners their client number and the default status,
        in one query for the whole batch."""
        if is_on(self.env, SKIP_CLIENT_DEFAULTS):
            return
        parent_default = self.env.context.get("default_parent_id")
        new_clients = [
            vals for vals in vals_list if not vals.get("parent_id", parent_default) and not vals.get("client_number")
        ]
        if not new_clients:
            return
        numbers = self._client_next_numbers(len(new_clients))
        status = None
        for vals, number in zip(new_clients, numbers, strict=False):
            vals["client_number"] = number
            if not vals.get("client_status_id") and not self.env.context.get("default_client_status_id"):
                if status is None:
                    status = self.env["crm.client.status"].sudo()._get_default_status()
                vals["client_status_id"] = status.id or False

    def _client_assign_defaults(self):
        """Number and status for partners that become top-level clients after creation."""
        partners = self.filtered(lambda p: not p.parent_id and p.is_client)
        missing_number = partners.filtered(lambda p: not p.client_number)
        for partner, number in zip(missing_number, self._client_next_numbers(len(missing_number)), strict=False):
            partner.client_number = number
        if missing_status := partners.filtered(lambda p: not p.client_status_id):
            missing_status.client_status_id = self.env["crm.client.status"].sudo()._get_default_status()

    @api.model
    def _client_next_numbers(self, count):
        if not count:
            return []
        sequence = (
            self.env["ir.sequence"]
            .sudo()
            .search(
                [("code", "=", "crm.client.number"), ("company_id", "in", [self.env.company.id, False])],
                order="company_id",
                limit=1,
            )
        )
        if not sequence:
            return [False] * count
        if sequence.implementation == "standard" and not sequence.use_date_range:
            # One round trip for the whole batch instead of one nextval() per client.
            self.env.cr.execute(
                SQL(
                    "SELECT nextval(%s) FROM generate_series(1, %s)",
                    f"ir_sequence_{sequence.id:03d}",
                    count,
                )
            )
            # What get_next_char() does, with the prefix and suffix interpolated once.
            prefix, suffix = sequence._get_prefix_suffix()
            pattern = f"%0{sequence.padding}d"
            return [f"{prefix}{pattern % number}{suffix}" for (number,) in self.env.cr.fetchall()]
        return [sequence.next_by_id() for _ in range(count)]
