"""What the registries answering JSON over HTTP GET share (Brønnøysund, PRH, the Polish VAT
white list): a session, pacing per service, answers read within a size and a time budget,
no redirects, and network failures turned into the registry's own error. No ORM: the
benchmarks and stand-in tests use it as it is."""

import time

import requests

from .pacing import pace

# The largest real answers are a few kilobytes (a GUS report, a PRH company with its name
# history); anything far beyond is a fault, and must not fill a worker's memory.
MAX_ANSWER_BYTES = 5 * 1024 * 1024
_CHUNK = 64 * 1024


class AnswerTooLarge(ValueError):
    """An answer larger than any the registry sends (read as a malformed answer)."""


def read_body(response, max_bytes=MAX_ANSWER_BYTES, deadline=None):
    """Read the body of a ``stream=True`` response into ``response.content``, refusing it
    beyond ``max_bytes`` (decompressed) and past ``deadline`` (``time.monotonic()``), so
    neither a huge nor a trickling answer holds a worker. Raises :class:`AnswerTooLarge`
    or ``requests.Timeout``; the connection is dropped then."""
    declared = response.headers.get("Content-Length", "")
    try:
        if declared.isdigit() and int(declared) > max_bytes:
            raise AnswerTooLarge(f"answer of {declared} bytes, more than {max_bytes}")
        chunks, size = [], 0
        for chunk in response.iter_content(_CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise AnswerTooLarge(f"answer larger than {max_bytes} bytes")
            if deadline is not None and time.monotonic() > deadline:
                raise requests.Timeout("the answer took too long to arrive")
            chunks.append(chunk)
    except Exception:
        response.close()
        raise
    # What requests does itself once a body is read: .json(), .text and .content work.
    response._content = b"".join(chunks)
    response._content_consumed = True
    return response._content


class RegistryError(Exception):
    """A registry failure: ``kind`` says which (network, http, malformed, and what each
    registry adds), ``detail`` what it answered."""

    def __init__(self, kind, detail=""):
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.detail = detail


class JsonClient:
    error = RegistryError  # each registry raises its own subclass
    max_bytes = MAX_ANSWER_BYTES

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
        """A paced GET of ``base_url + path``, its body read (``timeout`` bounds the whole
        answer, not each read). A timeout or a failed connection raises the registry's error
        of kind ``network``, a redirect one of kind ``http`` (the address is the configured
        one: an answer never sends the request elsewhere), an oversized answer one of kind
        ``malformed``."""
        pace(self.base_url, self.min_interval)
        self.requests_made += 1
        deadline = time.monotonic() + self.timeout
        try:
            response = self.session.get(
                f"{self.base_url}{path}", timeout=self.timeout, stream=True, allow_redirects=False, **kwargs
            )
            if response.is_redirect:
                response.close()
                raise self.error("http", detail=f"HTTP {response.status_code} (redirect refused)")
            read_body(response, self.max_bytes, deadline)
        except AnswerTooLarge as exc:
            raise self.error("malformed", detail=str(exc)) from exc
        except requests.Timeout as exc:
            raise self.error("network", detail="timeout") from exc
        except requests.RequestException as exc:
            raise self.error("network", detail=exc.__class__.__name__) from exc
        return response
