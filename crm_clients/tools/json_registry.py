"""What the registries answering JSON over HTTP GET share (Brønnøysund, PRH, the Polish VAT
white list): a session, pacing per service, and network failures turned into the
registry's own error. No ORM: the benchmarks and stand-in tests use it as it is."""

import requests

from .pacing import pace


class RegistryError(Exception):
    """A registry failure: ``kind`` says which (network, http, malformed, and what each
    registry adds), ``detail`` what it answered."""

    def __init__(self, kind, detail=""):
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.detail = detail


class JsonClient:
    error = RegistryError  # each registry raises its own subclass

    def __init__(self, base_url, timeout=20.0, min_interval=0.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.min_interval = min_interval
        self.session = requests.Session()
        self.requests_made = 0

    @classmethod
    def from_config(cls, config):
        """A client for a provider's ``_registry_config()``."""
        return cls(config["url"], timeout=config["timeout"], min_interval=config["min_interval"])

    def get(self, path, **kwargs):
        """A paced GET of ``base_url + path``; a timeout or a failed connection raises
        the registry's error of kind ``network``."""
        pace(self.base_url, self.min_interval)
        self.requests_made += 1
        try:
            return self.session.get(f"{self.base_url}{path}", timeout=self.timeout, **kwargs)
        except requests.Timeout as exc:
            raise self.error("network", detail="timeout") from exc
        except requests.RequestException as exc:
            raise self.error("network", detail=exc.__class__.__name__) from exc
