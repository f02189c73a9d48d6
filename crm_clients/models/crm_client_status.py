from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..tools.internal import STATUS_DEFAULT_SWAP
from ..tools.internal import is_on
from ..tools.internal import switch_on


class CrmClientStatus(models.Model):
    _name = "crm.client.status"
    _description = "Client Status"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    fold = fields.Boolean(
        string="Folded in Kanban",
        help="Clients in a folded status are hidden in a collapsed column of the board.",
    )
    is_default = fields.Boolean(
        string="Default",
        copy=False,
        help="New clients get this status. Exactly one active status is the default.",
    )
    active = fields.Boolean(default=True)
    color = fields.Integer()
    client_count = fields.Integer(compute="_compute_client_count", string="Clients")

    def init(self):
        # The database guarantees there are never two active defaults, even under
        # concurrent writes; the Python checks below give the readable message.
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS crm_client_status_single_default
                ON crm_client_status (is_default) WHERE is_default AND active
            """
        )

    def _compute_client_count(self):
        counts = dict(
            self.env["res.partner"]._read_group(
                [("is_client", "=", True), ("client_status_id", "in", self.ids)],
                ["client_status_id"],
                ["__count"],
            )
        )
        for status in self:
            status.client_count = counts.get(status, 0)

    @api.constrains("is_default", "active")
    def _check_exactly_one_default(self):
        if is_on(self.env, STATUS_DEFAULT_SWAP):
            return  # the record becoming the default is written next, then checked
        defaults = self.search([("is_default", "=", True)])
        if len(defaults) > 1:
            raise ValidationError(
                self.env._(
                    "Only one client status can be the default, not %(statuses)s.",
                    statuses=", ".join(defaults.mapped("name")),
                )
            )
        if not defaults:
            raise ValidationError(
                self.env._(
                    "One active client status must be the default: new clients get it. "
                    "Make another status the default instead."
                )
            )

    # ---- ORM ----

    @api.model_create_multi
    def create(self, vals_list):
        new_defaults = [vals for vals in vals_list if vals.get("is_default")]
        if len(new_defaults) > 1:
            raise ValidationError(
                self.env._("Only one client status can be the default, not %(count)s.", count=len(new_defaults))
            )
        if new_defaults and new_defaults[0].get("active", True):
            self._unset_current_default()
        return super().create(vals_list)

    def write(self, vals):
        # Refuse before writing anything: leaving no default is never a valid state.
        unsets_default = ("is_default" in vals and not vals["is_default"]) or ("active" in vals and not vals["active"])
        if unsets_default and (losing := self.filtered(lambda s: s.is_default and s.active)):
            raise ValidationError(
                self.env._(
                    "%(status)s is the default status: one active client status must be the default "
                    "(new clients get it). Make another status the default instead.",
                    status=losing[0].name,
                )
            )
        if vals.get("is_default"):
            if len(self) > 1:
                raise ValidationError(
                    self.env._(
                        "Only one client status can be the default, not %(statuses)s.",
                        statuses=", ".join(self.mapped("name")),
                    )
                )
            self._unset_current_default(exclude=self)
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_default_or_used(self):
        if default := self.filtered("is_default"):
            raise UserError(
                self.env._(
                    "The status %(status)s is the default for new clients and cannot be deleted. "
                    "Make another status the default first.",
                    status=default[0].name,
                )
            )
        used = (
            self.env["res.partner"]
            .with_context(active_test=False)
            ._read_group([("client_status_id", "in", self.ids)], ["client_status_id"], ["__count"])
        )
        if used:
            status, count = used[0]
            raise UserError(
                self.env._(
                    "The status %(status)s is used by %(count)s clients and cannot be deleted. "
                    "Archive it instead, or move its clients to another status first.",
                    status=status.name,
                    count=count,
                )
            )

    # ---- Helpers ----

    def _unset_current_default(self, exclude=None):
        current = self.search([("is_default", "=", True)])
        if exclude:
            current -= exclude
        if current:
            # The new default is written right after: the constraint checks that final
            # state. Flush now so the database never sees two defaults at once.
            super(CrmClientStatus, current.with_context(**switch_on(STATUS_DEFAULT_SWAP))).write({"is_default": False})
            current.flush_recordset(["is_default"])
        return current

    @api.model
    def _get_default_status(self):
        return self.search([("is_default", "=", True)], limit=1)
