"""Archiving a client archives its contacts and billing entities; restoring brings back
exactly those."""

from odoo import fields, models

from ..tools.internal import CASCADE
from ..tools.internal import switch_on


class ResPartner(models.Model):
    _inherit = "res.partner"

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
    client_archived_with_id = fields.Many2one(
        "res.partner",
        string="Archived With",
        copy=False,
        index="btree_not_null",
        help="The client whose archiving archived this contact or entity: restoring it restores this one.",
    )

    def _compute_client_show_archived_contacts(self):
        self.client_show_archived_contacts = False

    def action_archive(self):
        super().action_archive()
        return True  # integrators call it over XML-RPC, which cannot carry None

    def action_unarchive(self):
        super().action_unarchive()
        return True

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
