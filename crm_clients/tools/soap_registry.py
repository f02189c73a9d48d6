"""What the registries answering SOAP through zeep share (GUS BIR 1.1, VIES): a zeep
transport that reads answers within a size and a time budget, follows no redirect, and
loads WSDL and XSD documents only over HTTP(S) from the hosts the registry is configured
with (a WSDL names the schemas it imports: that is data, not a place to send requests to).
No ORM; zeep is imported when a transport is made."""

import time
from urllib.parse import urlparse

from .json_registry import MAX_ANSWER_BYTES
from .json_registry import read_body


class RefusedAddress(ValueError):
    """A document or service address outside the registry's configured hosts."""


def host_of(url):
    parsed = urlparse(url or "")
    return (parsed.scheme, parsed.hostname, parsed.port) if parsed.scheme in ("http", "https") else None


_CLASSES = {}


def transport_class():
    """The zeep ``Transport`` subclass (made once: zeep is optional for crm_clients)."""
    if "transport" not in _CLASSES:
        from zeep.transports import Transport

        class BoundedTransport(Transport):
            def __init__(self, *args, allowed_urls=(), max_bytes=MAX_ANSWER_BYTES, **kwargs):
                super().__init__(*args, **kwargs)
                self.allowed_hosts = {host for host in map(host_of, allowed_urls) if host}
                self.max_bytes = max_bytes

            def _check(self, url):
                host = host_of(url)
                if host is None or host not in self.allowed_hosts:
                    raise RefusedAddress(f"{url} is not on the registry's configured hosts")

            def _read(self, response, timeout):
                deadline = time.monotonic() + timeout if timeout else None
                read_body(response, self.max_bytes, deadline)
                return response

            def post(self, address, message, headers):
                # A redirect answer is returned as it is: zeep reports its status.
                self._check(address)
                response = self.session.post(
                    address,
                    data=message,
                    headers=headers,
                    timeout=self.operation_timeout,
                    stream=True,
                    allow_redirects=False,
                )
                return self._read(response, self.operation_timeout)

            def get(self, address, params, headers):
                self._check(address)
                response = self.session.get(
                    address,
                    params=params,
                    headers=headers,
                    timeout=self.operation_timeout,
                    stream=True,
                    allow_redirects=False,
                )
                return self._read(response, self.operation_timeout)

            def load(self, url):
                # zeep's own load() also opens local files named by the document.
                if not url:
                    raise ValueError("No url given to load")
                self._check(url)
                return super().load(url)

            def _load_remote_data(self, url):
                response = self.session.get(url, timeout=self.load_timeout, stream=True, allow_redirects=False)
                self._read(response, self.load_timeout)
                if response.is_redirect:
                    raise RefusedAddress(f"{url} redirects elsewhere")
                response.raise_for_status()
                return response.content

        _CLASSES["transport"] = BoundedTransport
    return _CLASSES["transport"]


def bounded_transport(allowed_urls, **kwargs):
    """A zeep transport talking only to the hosts of ``allowed_urls`` (the service and
    WSDL addresses), answers capped at ``MAX_ANSWER_BYTES`` and read within the timeout."""
    return transport_class()(allowed_urls=allowed_urls, **kwargs)
