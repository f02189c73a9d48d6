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

A provider's settings are declared once, on the provider: ``_registry_settings`` (the
prefix of its system parameters), ``_registry_url`` and the defaults below. They are read
by :meth:`CrmClientRegistry._registry_config`, and :func:`registry_settings_fields` makes
the matching fields of ``res.config.settings`` from them.
"""

import json
import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

_logger = logging.getLogger(__name__)


def registry_settings_fields(provider, name, url_string=None, url_help=None):
    """The settings every registry has, for ``res.config.settings``: the service's address,
    how long its answers are kept and how many requests a second it is sent, stored in the
    system parameters ``<prefix>.url``, ``.cache_hours`` and ``.requests_per_second`` of
    ``provider`` (its model class) with its defaults. ``name`` is the registry as the labels
    say it. Unpack them into the fields ``<prefix>_url``, ``<prefix>_cache_hours`` and
    ``<prefix>_requests_per_second``."""

    def declared(attribute):
        # A provider's model class inherits crm.client.registry only in the registry.
        return provider.__dict__.get(attribute, getattr(CrmClientRegistry, attribute))

    prefix = provider._registry_settings
    return (
        fields.Char(
            string=url_string or f"{name} API Address",
            config_parameter=f"{prefix}.url",
            help=url_help or f"Empty: {declared('_registry_url')}",
        ),
        fields.Integer(
            string=f"Keep {name} Answers (hours)",
            config_parameter=f"{prefix}.cache_hours",
            default=declared("_registry_cache_hours"),
        ),
        fields.Integer(
            string=f"{name} Requests per Second",
            config_parameter=f"{prefix}.requests_per_second",
            default=declared("_registry_requests_per_second"),
        ),
    )


class CrmClientRegistry(models.AbstractModel):
    _name = "crm.client.registry"
    _description = "Client Registry Provider"

    # ---- What a provider declares ----

    _registry_settings = None  # prefix of its system parameters: "crm_clients_brreg"
    _registry_url = None  # the public service's address, used while <prefix>.url is empty
    _registry_cache_hours = 24
    _registry_requests_per_second = 5
    _registry_timeout = 20
    # for :meth:`_registry_fetch`: a JsonClient subclass (crm_clients/tools/json_registry.py)
    _registry_client = None

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
    def _registry_error_messages(self, error, subject):
        """What users read when the registry fails with ``error`` (a ``RegistryError``)
        asked about ``subject`` (the identifier), ``{kind: message}``; the message under
        ``None`` stands for any other kind. Needed by providers that use
        :meth:`_registry_fetch`."""
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
    def _registry_config(self, url=None):
        """The provider's settings: the system parameters ``<prefix>.url``,
        ``.cache_hours``, ``.requests_per_second`` and ``.timeout`` of its
        ``_registry_settings``, else its defaults (``url`` stands for ``_registry_url``
        when given); the rate becomes the minimum interval between two requests. Read only
        to call the registry: refused like a lookup."""
        self._registry_check_access()
        prefix = self._registry_settings
        get = self.env["ir.config_parameter"].sudo().get_param
        rate = float(get(f"{prefix}.requests_per_second") or self._registry_requests_per_second)
        return {
            "url": (get(f"{prefix}.url") or "").strip() or url or self._registry_url,
            "cache_hours": float(get(f"{prefix}.cache_hours") or self._registry_cache_hours),
            "timeout": float(get(f"{prefix}.timeout") or self._registry_timeout),
            "min_interval": 1.0 / rate if rate > 0 else 0.0,
        }

    @api.model
    def _registry_new_client(self, config=None):
        """A ``_registry_client`` for the provider's settings (``config`` when given)."""
        return self._registry_client.from_config(config or self._registry_config())

    @api.model
    def _registry_error_message(self, error, subject=None):
        """The message of :meth:`_registry_error_messages` for ``error``'s kind."""
        messages = self._registry_error_messages(error, subject)
        return messages.get(error.kind) or messages[None]

    @api.model
    def _registry_fetch(self, key, ask, subject=None):
        """``ask(client)``'s answer for ``key``: from the shared cache when fresh, else
        asked with a new ``_registry_client``. A failure of the registry is raised as a
        ``UserError`` with the provider's message about ``subject`` (the identifier asked
        about, ``key`` by default); nothing is cached then."""
        subject = subject or key
        config = self._registry_config()

        def fetch():
            client = self._registry_new_client(config)
            try:
                return ask(client)
            except client.error as exc:
                _logger.info("%s lookup of %s failed: %s", self._registry_label(), subject, exc)
                raise UserError(self._registry_error_message(exc, subject)) from exc

        return self._registry_cached(key, config["cache_hours"], fetch)

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
