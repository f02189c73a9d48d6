"""Client numbers (one nextval per batch), the default status of new clients, and
external references unique per company."""

from odoo import api, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from ..tools.internal import SKIP_CLIENT_DEFAULTS
from ..tools.internal import is_on


class ResPartner(models.Model):
    _inherit = "res.partner"

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
    def _client_number_sequence(self):
        """The sequence of client numbers: the current company's, else the shared one."""
        return (
            self.env["ir.sequence"]
            .sudo()
            .search(
                [("code", "=", "crm.client.number"), ("company_id", "in", [self.env.company.id, False])],
                order="company_id",
                limit=1,
            )
        )

    @api.model
    def _client_next_numbers(self, count):
        if not count:
            return []
        sequence = self._client_number_sequence()
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
