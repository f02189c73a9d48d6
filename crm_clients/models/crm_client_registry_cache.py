from datetime import timedelta

from odoo import api, fields, models


class CrmClientRegistryCache(models.Model):
    """Registry answers shared by all workers, written with plain SQL by the providers."""

    _name = "crm.client.registry.cache"
    _description = "Client Registry Answer Cache"
    _log_access = False

    provider = fields.Char(required=True)
    key = fields.Char(required=True)
    payload = fields.Json()
    fetched_at = fields.Datetime(required=True, index=True)

    _sql_constraints = [
        ("provider_key_unique", "UNIQUE (provider, key)", "One cached answer per registry and identifier."),
    ]

    @api.autovacuum
    def _gc_old_answers(self):
        """Answers older than a week help nobody (cache durations are counted in hours)."""
        self.env.cr.execute(
            "DELETE FROM crm_client_registry_cache WHERE fetched_at < %s",
            (fields.Datetime.now() - timedelta(days=7),),
        )
