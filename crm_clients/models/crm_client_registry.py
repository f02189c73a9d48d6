"""Registry providers: the interface every public-registry lookup (GUS, VIES, ...) implements.

A provider is an abstract model that inherits ``crm.client.registry`` under its own name
(``crm.client.registry.gus``) and overrides the ``_registry_*`` methods below. The
compare-and-choose wizard, the partner's "Update from registry" button and the shared
answer cache only talk to this interface, so a new registry plugs in without touching them.

A lookup answers *candidates*: one per entity the registry knows for the partner's
identifiers, each a dict ``{"key", "label", "description", "values"}`` where ``values`` are
``res.partner`` field values in ``write()`` format (many2one as ids, dates as strings).

Only internal users reach a registry: a lookup spends the company's quota (and, for GUS,
its API key), so every public entry point calls :meth:`_registry_check_access` before
anything else, and the shared cache and ``_registry_config`` call it again before any
answer is read or fetched: a provider that goes through them is covered without doing
anything.
"""

import json
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError


class CrmClientRegistry(models.AbstractModel):
    _name = "crm.client.registry"
    _description = "Client Registry Provider"

    # ---- What a provider overrides ----

    @api.model
    def _registry_label(self):
        """Name of the registry shown to users ("GUS", "VIES", ...)."""
        raise NotImplementedError

    @api.model
    def _registry_applies(self, partner):
        """Whether the partner has what this registry needs (country, identifiers)."""
        return False

    @api.model
    def _registry_lookup(self, partner):
        """Candidates for the partner (see the module docstring); ``[]`` when the registry
        does not know it. Raise a ``UserError`` with a clear message when the lookup fails."""
        raise NotImplementedError

    @api.model
    def _registry_search(self, identifier, country_code=None):
        """What the registry says about an identifier, as a list of dicts (the
        provider's own keys), ``[]`` when it knows nothing (``registry_search``)."""
        raise NotImplementedError

    @api.model
    def _registry_unchecked_fields(self, partner, values):
        """Fields the wizard shows unchecked even when they differ (the user may still
        check them). The registered name always goes to the legal name; the display name
        is only proposed when the user has not chosen another one."""
        if not partner.name:
            return []
        if partner.legal_name:
            return ["name"] if partner.name != partner.legal_name else []
        return ["name"] if partner.name.casefold() != (values.get("name") or "").casefold() else []

    # ---- Shared by every provider ----

    @api.model
    def _registry_check_access(self):
        """Refuse registry lookups to portal and public users (internal code running as
        superuser, such as the scheduled refresh, passes). Raises ``AccessError``."""
        if self.env.su or self.env.user._is_internal():
            return
        registry = self._registry_label() if self._name != "crm.client.registry" else None
        if registry:
            message = self.env._("Only internal users can look up %(registry)s.", registry=registry)
        else:
            message = self.env._("Only internal users can look up public registries.")
        raise AccessError(message)

    @api.model
    def _registry_providers(self, partner=None):
        """Provider models installed, those that apply to ``partner`` when given."""
        names = sorted(self.pool.descendants([self._name], "_inherit") - {self._name})
        providers = [self.env[name] for name in names]
        if partner is not None:
            providers = [provider for provider in providers if provider._registry_applies(partner)]
        return providers

    @api.model
    def _registry_config(self, prefix, url, cache_hours=24, requests_per_second=5, timeout=20):
        """A provider's settings, system parameters ``<prefix>.url``, ``.cache_hours``,
        ``.requests_per_second`` and ``.timeout``, with the provider's defaults; the rate
        becomes the minimum interval between two requests. Read only to call the
        registry: refused like a lookup."""
        self._registry_check_access()
        get = self.env["ir.config_parameter"].sudo().get_param
        rate = float(get(f"{prefix}.requests_per_second") or requests_per_second)
        return {
            "url": (get(f"{prefix}.url") or "").strip() or url,
            "cache_hours": float(get(f"{prefix}.cache_hours") or cache_hours),
            "timeout": float(get(f"{prefix}.timeout") or timeout),
            "min_interval": 1.0 / rate if rate > 0 else 0.0,
        }

    @api.model
    def _registry_cached(self, key, hours, fetch):
        """The answer for ``key`` from the cache shared by all workers when younger than
        ``hours``, else ``fetch()``'s, stored (an empty answer too: "not found" is cached)."""
        self._registry_check_access()
        if hours > 0:
            self.env.cr.execute(
                "SELECT payload FROM crm_client_registry_cache WHERE provider = %s AND key = %s AND fetched_at > %s",
                (self._name, key, fields.Datetime.now() - timedelta(hours=hours)),
            )
            row = self.env.cr.fetchone()
            if row:
                return row[0]
        answer = fetch()
        # Concurrent workers storing the same key do not collide.
        self.env.cr.execute(
            """
            INSERT INTO crm_client_registry_cache (provider, key, payload, fetched_at)
            VALUES (%s, %s, %s, %s)
            ON CONFLICT (provider, key) DO UPDATE SET payload = EXCLUDED.payload, fetched_at = EXCLUDED.fetched_at
            """,
            (self._name, key, json.dumps(answer), fields.Datetime.now()),
        )
        return answer
