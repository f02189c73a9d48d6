from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..tools import bir

CRON_BATCH = 50
SYNC_LIMIT = 100  # a selection larger than this is refreshed by the scheduled action


class ResPartner(models.Model):
    _inherit = "res.partner"

    # The offer shown while a new client is typed in (never stored).
    gus_offer = fields.Char(store=False, readonly=True)
    gus_fill = fields.Boolean(string="Fill from GUS", store=False)
    gus_offer_failed = fields.Boolean(store=False, readonly=True)  # GUS did not answer the form in time

    # ---- public API (contract) ----

    @api.model
    def gus_search(self, nip=None, regon=None, krs=None):
        """Entities GUS knows for a NIP, REGON or KRS (the first given), as a list of
        dicts; ``[]`` when GUS has none. Invalid identifiers are refused before any call."""
        self.env["crm.client.registry.gus"]._registry_check_access()
        self.check_access("read")
        return self.env["crm.client.registry.gus"]._gus_entities(nip=nip, regon=regon, krs=krs)

    def gus_update(self, field_names=None):
        """Write what GUS says onto these partners (``field_names`` or every applicable
        field), post the changes in their chatter, one GUS session for all of them.
        Everything is fetched before anything is written: an error writes nothing."""
        provider = self.env["crm.client.registry.gus"]
        provider._registry_check_access()
        if field_names is not None:
            unknown = sorted(set(field_names) - set(provider._gus_partner_fields()))
            if unknown:
                raise UserError(self.env._("GUS cannot update these fields: %(fields)s.", fields=", ".join(unknown)))
        self.check_access("write")
        with provider._gus_client(logout=True) as client:
            planned = [(partner, partner._gus_fetch(client)) for partner in self]
        results = []
        for partner, entity in planned:
            values = provider._gus_partner_values(entity)
            if field_names is None:
                unchecked = set(provider._registry_unchecked_fields(partner, values))
                values = {k: v for k, v in values.items() if k not in unchecked}
            else:
                values = {k: v for k, v in values.items() if k in field_names}
            changed = partner._registry_apply(values, provider._registry_label())
            results.append({"partner_id": partner.id, "changed": changed})
        return results

    # ---- actions ----

    def action_gus_fetch(self):
        return self.action_registry_lookup(provider="crm.client.registry.gus")

    def action_gus_refresh(self):
        """Server action on a selection: refresh now, or in the background when large."""
        self.env["crm.client.registry.gus"]._registry_check_access()
        partners = self.filtered(lambda p: self.env["crm.client.registry.gus"]._registry_applies(p))
        if not partners:
            raise UserError(self.env._("None of the selected partners has a Polish NIP, REGON or KRS."))
        if len(partners) > SYNC_LIMIT:
            partners.write({"registry_checked_at": False})
            self.env.ref("crm_clients_gus.ir_cron_gus_refresh")._trigger()
            message = self.env._("%(count)s clients will be refreshed from GUS in the background.", count=len(partners))
        else:
            results = partners.gus_update()
            changed = sum(1 for result in results if result["changed"])
            message = self.env._(
                "%(count)s clients refreshed from GUS, %(changed)s changed.", count=len(partners), changed=changed
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"message": message, "type": "success", "next": {"type": "ir.actions.act_window_close"}},
        }

    def _gus_fetch(self, client):
        """The GUS entity this partner is; a clear error when GUS does not know it."""
        self.ensure_one()
        provider = self.env["crm.client.registry.gus"]
        identifiers = provider._gus_identifiers(self)
        entities = provider._gus_entities(client=client, **identifiers)
        if not entities:
            kind, value = next(iter(identifiers.items()))
            raise UserError(
                self.env._(
                    "GUS has no entity with %(kind)s %(value)s (%(partner)s).",
                    kind=kind.upper(),
                    value=value,
                    partner=self.display_name,
                )
            )
        return provider._gus_pick(self, entities)

    # ---- scheduled refresh ----

    @api.model
    def _gus_refresh_domain(self):
        days = int(self.env["ir.config_parameter"].sudo().get_param("crm_clients_gus.refresh_days") or 30)
        return [
            ("is_client", "=", True),
            ("parent_id", "=", False),
            "|",
            ("country_id", "=", False),
            ("country_id.code", "=", "PL"),
            "|",
            "|",
            ("regon", "!=", False),
            ("krs", "!=", False),
            ("vat", "!=", False),
            "|",
            ("registry_checked_at", "=", False),
            ("registry_checked_at", "<", fields.Datetime.now() - timedelta(days=days)),
        ]

    @api.model
    def _cron_gus_refresh(self, batch_size=CRON_BATCH):
        """Refresh one batch of clients whose GUS data is older than the configured days.

        The cron framework commits after each batch and calls again while clients remain
        (progress API), so a long run resumes where it stopped after a crash. The GUS
        session is kept between batches and closed when nothing remains. Returns the
        number of clients left."""
        provider = self.env["crm.client.registry.gus"]
        domain = self._gus_refresh_domain()
        batch = self.search(domain, limit=batch_size, order="registry_checked_at NULLS FIRST, id")
        batch = batch.filtered(provider._registry_applies)
        done = 0
        with provider._gus_client() as client:
            for partner in batch:
                try:
                    entity = partner._gus_fetch(client)
                except UserError as exc:
                    if not self._gus_is_partner_error(exc):
                        raise  # key, network, maintenance: stop the run, retry later
                    partner.write({"registry_checked_at": fields.Datetime.now()})
                    partner.message_post(body=str(exc.args[0]), message_type="notification")
                else:
                    values = provider._gus_partner_values(entity)
                    unchecked = set(provider._registry_unchecked_fields(partner, values))
                    partner._registry_apply(
                        {k: v for k, v in values.items() if k not in unchecked}, provider._registry_label()
                    )
                done += 1
            remaining = self.search_count(domain) if len(batch) == batch_size else 0
            if not remaining:
                client.logout()
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        return remaining

    @api.model
    def _gus_is_partner_error(self, exc):
        """Errors that concern one partner (unknown or invalid identifier, an error code
        GUS gives for this entity), not the service (key, network, maintenance)."""
        cause = exc.__cause__
        return not isinstance(cause, bir.BirError) or cause.kind == "registry"

    # ---- offer while creating ----

    @api.onchange("vat", "country_id")
    def _onchange_gus_offer(self):
        """Offer what GUS knows about the NIP typed on a new client. The form waits for it:
        see :meth:`_gus_offer_entities`."""
        self.gus_offer = False
        self.gus_fill = False
        self.gus_offer_failed = False
        provider = self.env["crm.client.registry.gus"]
        if self._origin.id or self.parent_id or not self.vat:
            return
        nip = provider._gus_nip(self.vat)
        if not nip or (self.country_id and self.country_id.code != "PL"):
            return
        entities, warning = self._gus_offer_entities(nip)
        if warning:
            self.gus_offer_failed = True
            return warning
        if entities:
            entity = provider._gus_pick(self, entities)
            self.gus_offer = f"{entity['name']} · {provider._gus_describe(entity)}"

    @api.onchange("gus_fill")
    def _onchange_gus_fill(self):
        if not self.gus_fill:
            return
        self.gus_fill = False
        provider = self.env["crm.client.registry.gus"]
        nip = provider._gus_nip(self.vat)
        if not nip:
            return
        entities, warning = self._gus_offer_entities(nip)
        self.gus_offer = False
        if warning:
            self.gus_offer_failed = True
            return warning
        if entities:
            values = provider._gus_partner_values(provider._gus_pick(self, entities))
            if self.name:
                values.pop("name")
            for fname, value in values.items():
                if value not in (False, None, ""):
                    self[fname] = value
            self.is_company = True
            self.registry_source = provider._registry_label()

    def _gus_offer_entities(self, nip):
        """``(entities, None)`` for a NIP typed in a form, else ``(None, warning)``. The
        answer comes from the cache, or from GUS within ``crm_clients_gus.offer_timeout``
        seconds for the whole lookup (a slow GUS neither freezes the form nor holds a
        worker); a failure is a notification, never an error: the *Fetch from GUS* button
        makes the full lookup. Portal and public users are refused (``AccessError``)."""
        provider = self.env["crm.client.registry.gus"]
        provider._registry_check_access()
        try:
            return provider._gus_entities(nip=nip, timeout=provider._gus_config()["offer_timeout"]), None
        except AccessError:
            raise
        except UserError as exc:
            message = self.env._(
                "%(error)s You can go on typing: Fetch from GUS looks the client up once it is saved.",
                error=exc.args[0],
            )
            return None, {"warning": {"title": self.env._("GUS lookup"), "message": message, "type": "notification"}}
