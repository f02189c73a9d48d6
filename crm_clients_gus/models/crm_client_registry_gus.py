import contextlib
import logging
import time

from odoo import api, models
from odoo.addons.crm_clients.tools import polish_ids
from odoo.exceptions import UserError

from ..tools import bir

_logger = logging.getLogger(__name__)


class CrmClientRegistryGus(models.AbstractModel):
    """GUS (REGON registry, BIR 1.1) as a registry provider."""

    _name = "crm.client.registry.gus"
    _inherit = "crm.client.registry"
    _description = "GUS Registry (BIR 1.1)"
    _registry_settings = "crm_clients_gus"
    _registry_requests_per_second = 10
    # no _registry_url: the address is the environment's (bir.SERVICE_URLS)

    # ---- provider interface ----

    @api.model
    def _registry_label(self):
        return "GUS"

    @api.model
    def _registry_applies(self, partner):
        if partner.country_id and partner.country_id.code != "PL":
            return False
        return bool(partner.regon or partner.krs or self._gus_nip(partner.vat))

    @api.model
    def _registry_lookup(self, partner):
        entities = self._gus_entities(**self._gus_identifiers(partner))
        return [
            {
                "key": f"{entity['regon']}:{entity['silo']}",
                "label": entity["name"],
                "description": self._gus_describe(entity),
                "values": self._gus_partner_values(entity),
            }
            for entity in entities
        ]

    @api.model
    def _registry_search(self, identifier, country_code=None):
        digits = polish_ids.search_digits(identifier) or identifier
        kind = {10: "nip", 9: "regon", 14: "regon"}.get(len(digits), "krs")
        return self._gus_entities(**{kind: digits})

    @api.model
    def _gus_config(self):
        self._registry_check_access()  # the key is read only to call GUS
        get = self.env["ir.config_parameter"].sudo().get_param
        environment = get("crm_clients_gus.environment") or "test"
        if environment not in bir.SERVICE_URLS:
            raise UserError(
                self.env._("The GUS environment must be test or production, not %(value)s.", value=environment)
            )
        api_key = (get("crm_clients_gus.api_key") or "").strip()
        if not api_key:
            if environment == "production":
                raise UserError(self.env._("Set your GUS API key in Settings > Clients > GUS registry."))
            api_key = bir.TEST_API_KEY
        return {
            **self._registry_config(url=bir.SERVICE_URLS[environment]),
            "api_key": api_key,
            "environment": environment,
            # the whole lookup behind the offer made while a NIP is typed in a form
            "offer_timeout": float(get("crm_clients_gus.offer_timeout") or 3),
        }

    @contextlib.contextmanager
    def _gus_client(self, logout=False, timeout=None):
        """A GUS client with its session, taken from (and given back to) the process pool.
        ``logout`` ends the session afterwards (bulk runs); single lookups keep it warm.
        ``timeout`` bounds everything the client does (not each request)."""
        self._registry_check_access()
        config = self._gus_config()
        options = {"timeout": config["timeout"], "min_interval": config["min_interval"]}
        if timeout:
            options.update(timeout=min(timeout, config["timeout"]), deadline=time.monotonic() + timeout)
        client = bir.POOL.acquire(config["api_key"], config["url"], config["environment"], **options)
        try:
            yield client
        finally:
            if logout:
                client.logout()
            bir.POOL.release(client)

    # ---- lookups ----

    @api.model
    def _gus_nip(self, vat):
        digits = polish_ids.nip_digits(vat) if vat else None
        return digits if digits and len(digits) == 10 else None

    @api.model
    def _gus_identifiers(self, partner):
        """The identifier to look a partner up with: REGON (one entity), else NIP, else KRS."""
        if partner.regon:
            return {"regon": partner.regon}
        nip = self._gus_nip(partner.vat)
        if nip and (not partner.country_id or partner.country_id.code == "PL"):
            return {"nip": nip}
        if partner.krs:
            return {"krs": partner.krs}
        raise UserError(
            self.env._("%(partner)s has no NIP, REGON or KRS to look up in GUS.", partner=partner.display_name)
        )

    @api.model
    def _gus_normalize(self, nip=None, regon=None, krs=None):
        """(kind, value) of the first identifier given, refused when invalid (before any call)."""
        partner_model = self.env["res.partner"]
        for kind, value, normalize, label in (
            ("nip", nip, polish_ids.normalize_nip, "NIP"),
            ("regon", regon, polish_ids.normalize_regon, "REGON"),
            ("krs", krs, polish_ids.normalize_krs, "KRS"),
        ):
            if value:
                try:
                    return kind, normalize(str(value))
                except polish_ids.InvalidIdentifier as exc:
                    raise UserError(partner_model._client_invalid_id_message(label, exc)) from exc
        raise UserError(self.env._("Give a NIP, a REGON or a KRS number to look up in GUS."))

    @api.model
    def _gus_entities(self, nip=None, regon=None, krs=None, client=None, timeout=None):
        """Entities GUS knows for one identifier, from the cache when fresh enough.
        ``timeout`` bounds the whole lookup (``client`` is then not given)."""
        kind, value = self._gus_normalize(nip=nip, regon=regon, krs=krs)
        config = self._gus_config()
        if timeout:
            config["timeout"] = min(timeout, config["timeout"])

        def fetch():
            try:
                if client is None:
                    with self._gus_client(timeout=timeout) as own_client:
                        return own_client.entities(**{kind: value})
                return client.entities(**{kind: value})
            except bir.BirError as exc:
                _logger.info("GUS lookup of %s %s failed: %s", kind, value, exc)
                raise UserError(self._gus_error_message(exc, config)) from exc

        return self._registry_cached(f"{config['environment']}:{kind}:{value}", config["cache_hours"], fetch)

    @api.model
    def _gus_error_message(self, exc, config):
        _ = self.env._
        if exc.kind == "key_rejected":
            return _(
                "GUS rejected the API key. Check it in Settings > Clients > GUS registry "
                "(the public test key works only with the test environment)."
            )
        if exc.kind == "maintenance":
            return _("The GUS registry is unavailable (maintenance): %(detail)s Try again later.", detail=exc.detail)
        if exc.kind == "session":
            return _("GUS closed the session again right after a new login. Try again in a moment.")
        if exc.kind == "timeout":
            return _("GUS did not answer within %(seconds)s seconds. Try again later.", seconds=config["timeout"])
        if exc.kind == "unreachable":
            return _("Cannot reach the GUS registry at %(url)s.", url=config["url"])
        if exc.kind == "fault":
            return _("GUS refused the request: %(detail)s", detail=exc.detail)
        if exc.kind == "malformed":
            return _("GUS sent an answer that cannot be read (%(detail)s). Nothing was changed.", detail=exc.detail)
        return _("GUS answered with error %(code)s: %(detail)s", code=exc.code, detail=exc.detail)

    @api.model
    def _gus_describe(self, entity):
        kinds = {
            "P": self.env._("legal person"),
            "F": self.env._("natural person"),
            "LP": self.env._("local unit"),
            "LF": self.env._("local unit"),
        }
        parts = [
            ", ".join(p for p in (entity["street"], f"{entity['zip']} {entity['city']}".strip()) if p),
            f"REGON {entity['regon']}",
            kinds.get(entity["entity_type"], entity["entity_type"]),
        ]
        if entity.get("ended_on"):
            parts.append(self.env._("ended on %(date)s", date=entity["ended_on"]))
        return " · ".join(p for p in parts if p)

    @api.model
    def _gus_partner_fields(self):
        return [
            "name", "legal_name", "street", "street2", "zip", "city", "state_id", "country_id", "vat", "regon",
            "krs", "email", "phone", "website", "registry_industry_code", "registry_industry_name",
            "registry_legal_form", "registry_registered_on", "registry_ended_on",
        ]  # fmt: skip

    @api.model
    def _gus_partner_values(self, entity):
        """``res.partner`` values for an entity (empty ones are dropped by the caller)."""
        country = self.env["res.country"].search([("code", "=", entity.get("country_code") or "PL")], limit=1)
        state = self.env["res.country.state"]
        if entity.get("state_code") and country:
            state = state.search([("country_id", "=", country.id), ("code", "=", entity["state_code"])], limit=1)
        return {
            "name": entity["name"],
            "legal_name": entity["name"],
            "street": entity["street"],
            "street2": entity.get("street2") or False,
            "zip": entity["zip"],
            "city": entity["city"],
            "state_id": state.id or False,
            "country_id": country.id or False,
            "vat": entity["nip"],
            "regon": entity["regon"],
            "krs": entity["krs"],
            "email": entity.get("email") or False,
            "phone": entity.get("phone") or False,
            "website": self.env["res.partner"]._clean_website(entity["website"]) if entity.get("website") else False,
            "registry_industry_code": entity["pkd_main"],
            "registry_industry_name": entity.get("pkd_name") or False,
            "registry_legal_form": entity.get("legal_form") or False,
            "registry_registered_on": entity.get("registered_on") or False,
            "registry_ended_on": entity.get("ended_on") or False,
        }

    @api.model
    def _gus_pick(self, partner, entities):
        """The entity a partner is: the one with its REGON, else the first still active."""
        if partner.regon:
            same = [e for e in entities if e["regon"] == partner.regon]
            entities = same or entities
        active = [e for e in entities if not e.get("ended_on")]
        return (active or entities)[0]
