from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..tools.pg import local_settings
from .crm_client_timeline import KINDS

PAGE_MAX = 200


class ResPartner(models.Model):
    _inherit = "res.partner"

    client_done_activity_ids = fields.Many2many(
        "crm.client.timeline", string="Activities Done", compute="_compute_client_activities"
    )
    client_planned_activity_ids = fields.Many2many(
        "mail.activity", string="Activities Planned", compute="_compute_client_activities"
    )

    def _client_timeline_feed(self, kind=None):
        """Entry ids of these clients, newest first, grouped per client (one query)."""
        clients = self._origin.commercial_partner_id
        domain = [("client_id", "in", clients.ids)]
        if kind:
            domain.append(("kind", "=", kind))
        feed = {client: [] for client in clients.ids}
        for entry in self.env["crm.client.timeline"].search_fetch(domain, ["client_id"]):
            feed[entry.client_id.id].append(entry.id)
        return feed

    @api.readonly
    def client_timeline_read(self, kind=False, offset=0, limit=40):
        """One page of the client's timeline, newest first, for the Timeline tab (the web
        client asks again after every save, so a new status or note shows at once).
        Returns ``{"entries": [...], "total": n, "kinds": [[value, label], ...]}``; at most
        ``PAGE_MAX`` entries a page."""
        self.ensure_one()
        self.check_access("read")
        if kind and kind not in dict(KINDS):
            raise UserError(
                self.env._(
                    "Unknown timeline kind %(kind)s: use one of %(kinds)s.", kind=kind, kinds=", ".join(dict(KINDS))
                )
            )
        if not (isinstance(offset, int) and isinstance(limit, int) and offset >= 0 and limit >= 1):
            raise UserError(self.env._("offset is a whole number, 0 or more, and limit one of 1 or more."))
        client = self.commercial_partner_id
        domain = [("client_id", "=", client.id)]
        if kind:
            domain.append(("kind", "=", kind))
        Timeline = self.env["crm.client.timeline"]
        # one query for the page and the total (a window count), then the page's rows
        query = Timeline._search(domain, offset=offset, limit=min(limit, PAGE_MAX), order=Timeline._order)
        # The feed is a union over many tables: its cost estimate makes PostgreSQL compile
        # it (JIT), which costs more than running it.
        with local_settings(self.env.cr, {"jit": "off"}):
            rows = self.env.execute_query(query.select(SQL.identifier(Timeline._table, "id"), SQL("count(*) OVER ()")))
        total = rows[0][1] if rows else (Timeline.search_count(domain) if offset else 0)
        entries = Timeline.browse([row[0] for row in rows])
        entries.fetch(
            [
                "date",
                "kind",
                "subject",
                "body",
                "status_old",
                "status_new",
                "res_model",
                "res_id",
                "record_name",
                "author_id",
            ]
        )
        kinds = dict(Timeline._fields["kind"]._description_selection(self.env))
        return {
            "entries": [
                {
                    "id": entry.id,
                    "date": fields.Datetime.to_string(entry.date),
                    "kind": entry.kind,
                    "kind_label": kinds.get(entry.kind, ""),
                    "summary": entry.summary or "",
                    "res_model": entry.res_model,
                    "res_id": entry.res_id,
                    "res_model_name": entry.res_model_name,
                    "record_name": entry.record_name or "",
                    "author": entry.author_id.sudo().display_name or "",
                }
                for entry in entries
            ],
            "total": total,
            "kinds": list(kinds.items()),
        }

    @api.depends_context("uid")
    def _compute_client_activities(self):
        done = self._client_timeline_feed("activity")
        clients = self._origin.commercial_partner_id
        family = self.with_context(active_test=False)._search([("commercial_partner_id", "in", clients.ids)])
        activities = self.env["mail.activity"].search_fetch(
            [("res_model", "=", "res.partner"), ("res_id", "in", family)], ["res_id"]
        )
        members = self.browse(activities.mapped("res_id"))
        owner = {member.id: member.commercial_partner_id.id for member in members}
        planned = {}
        for activity in activities:
            planned.setdefault(owner[activity.res_id], []).append(activity.id)
        for partner in self:
            client = partner._origin.commercial_partner_id.id
            partner.client_done_activity_ids = done.get(client, [])
            partner.client_planned_activity_ids = planned.get(client, [])

    @api.readonly
    def action_client_timeline(self):
        """The whole feed in its own list: filters by kind and document type, grouping."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("crm_clients.action_crm_client_timeline")
        action["domain"] = [("client_id", "=", self.commercial_partner_id.id)]
        action["display_name"] = self.env._("Timeline of %(client)s", client=self.commercial_partner_id.display_name)
        return action
