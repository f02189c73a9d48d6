"""A small Mailchimp Marketing API 3.0 client on requests (no ORM).

Basic auth with the API key (its ``-usNN`` suffix names the data center), retries with
backoff on 429, 5xx and dropped connections, :class:`MailchimpError` with the API's
problem-detail fields (``title``, ``detail``) for anything else. ``requests_made`` counts
the HTTP requests sent (benchmarks and tests read it).

The results of a batch are an archive on Amazon S3 behind a pre-signed URL: fetched
without the key (see :meth:`Client.batch_results`).
"""

import gzip
import hashlib
import io
import json
import logging
import re
import tarfile
import tempfile
import time
import zlib
from xml.sax.saxutils import unescape

import requests

_logger = logging.getLogger(__name__)


# Mailchimp's data centers are named like us1 ... us21: the key's suffix becomes a host
# name, so nothing else (dots, slashes, "@", ":", "#", non-ASCII) may get through.
DATA_CENTER = re.compile(r"[a-z]{1,10}[0-9]{1,4}")
DOWNLOAD_CHUNK = 1024 * 1024


class MailchimpError(Exception):
    """``kind``: ``auth`` (401), ``http`` (another 4xx), ``server`` (5xx/429 after the
    retries), ``network`` (timeouts, refused or dropped connections), ``config`` (the API
    key has no valid data center), ``results`` (a batch's results could not be read)."""

    def __init__(self, kind, title="", detail="", status=None):
        super().__init__(f"{title}: {detail}" if detail else title or kind)
        self.kind = kind
        self.title = title
        self.detail = detail
        self.status = status


def subscriber_hash(email):
    return hashlib.md5(email.strip().lower().encode("utf-8")).hexdigest()  # noqa: S324 - Mailchimp's member id


def data_center(api_key):
    """The data center of ``api_key`` (``us21`` for ``...-us21``), or MailchimpError."""
    suffix = api_key.rpartition("-")[2] if api_key and "-" in api_key else ""
    if not DATA_CENTER.fullmatch(suffix):
        raise MailchimpError("config", "Invalid API key", "a Mailchimp API key ends with its data center (-us21)")
    return suffix


class Client:
    def __init__(self, api_key, base_url=None, timeout=20.0, retries=3, backoff=1.0):
        self.api_key = api_key
        self.base_url = (base_url or f"https://{data_center(api_key)}.api.mailchimp.com/3.0").rstrip("/")
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.session = requests.Session()
        self.session.auth = ("crm_clients", api_key)
        self.requests_made = 0

    # ---- transport ----

    def request(self, method, path, params=None, body=None):
        response = self._send(self.session.request, method, f"{self.base_url}{path}", params=params, json=body)
        if response.status_code == 429 or response.status_code >= 500:
            title, detail = self._problem(response)
            raise MailchimpError("server", title or f"HTTP {response.status_code}", detail, response.status_code)
        if response.status_code == 401:
            title, detail = self._problem(response)
            raise MailchimpError("auth", title or "API Key Invalid", detail, 401)
        if response.status_code >= 400:
            title, detail = self._problem(response)
            raise MailchimpError("http", title or f"HTTP {response.status_code}", detail, response.status_code)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise MailchimpError("server", "Unreadable answer", "not JSON", response.status_code) from exc

    def _send(self, send, method, url, **kwargs):
        """``send(method, url, ...)`` retried on 429, 5xx and dropped connections; the last
        answer (an error status once the retries are spent)."""
        for attempt in range(self.retries + 1):
            self.requests_made += 1
            try:
                response = send(method, url, timeout=self.timeout, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as exc:
                if attempt < self.retries:
                    self._sleep(attempt, None)
                    continue
                raise MailchimpError("network", "Mailchimp cannot be reached", exc.__class__.__name__) from exc
            if (response.status_code == 429 or response.status_code >= 500) and attempt < self.retries:
                response.close()
                self._sleep(attempt, response.headers.get("Retry-After"))
                continue
            return response
        raise AssertionError("unreachable")

    def _sleep(self, attempt, retry_after):
        try:
            delay = float(retry_after) if retry_after else self.backoff * (2**attempt)
        except ValueError:
            delay = self.backoff * (2**attempt)
        time.sleep(min(delay, 30.0))

    @staticmethod
    def _problem(response):
        try:
            data = response.json()
        except ValueError:
            return "", response.text[:200]
        return data.get("title", ""), data.get("detail", "")

    # ---- endpoints ----

    def ping(self):
        return self.request("GET", "/ping")

    def lists(self):
        data = self.request("GET", "/lists", params={"count": 1000, "fields": "lists.id,lists.name"})
        return data.get("lists", [])

    def merge_fields(self, list_id):
        data = self.request("GET", f"/lists/{list_id}/merge-fields", params={"count": 1000})
        return data.get("merge_fields", [])

    def create_merge_field(self, list_id, tag, name, field_type):
        return self.request(
            "POST", f"/lists/{list_id}/merge-fields", body={"tag": tag, "name": name, "type": field_type}
        )

    def batch_subscribe(self, list_id, members):
        return self.request(
            "POST", f"/lists/{list_id}", body={"members": members, "update_existing": True, "sync_tags": False}
        )

    def start_batch(self, operations):
        return self.request("POST", "/batches", body={"operations": operations})

    def wait_batch(self, batch_id, poll_interval=1.0, timeout=600.0):
        deadline = time.monotonic() + timeout
        while True:
            status = self.request("GET", f"/batches/{batch_id}")
            if status.get("status") == "finished":
                return status
            if time.monotonic() > deadline:
                raise MailchimpError("server", "Batch not finished", f"batch {batch_id} still {status.get('status')}")
            time.sleep(poll_interval)

    def batch_results(self, url):
        """Yield the responses of a finished batch, ``{"operation_id", "status_code",
        "response"}`` (``response`` decoded from its JSON text), one archive member at a time.

        ``url`` is a pre-signed Amazon S3 URL (its query carries the signature and the
        expiry). S3 refuses a request carrying a second credential, and the key must never
        leave for another host: a plain request, not through the API session. The archive,
        big for big batches, is streamed to a temporary file and read member by member.
        """
        with tempfile.TemporaryFile() as archive_file:
            self._download(url, archive_file)
            archive_file.seek(0)
            try:
                with tarfile.open(fileobj=archive_file, mode="r|gz") as archive:
                    for member in archive:
                        if member.isfile() and member.name.endswith(".json"):
                            yield from self._read_results(archive.extractfile(member))
            except (tarfile.TarError, EOFError, OSError, zlib.error, ValueError, TypeError) as exc:
                raise MailchimpError("results", "Unreadable batch results", str(exc)[:200]) from exc

    def _download(self, url, file):
        # requests.request: a session of its own, without the API session's credentials.
        response = self._send(requests.request, "GET", url, stream=True)
        with response:
            if response.status_code >= 400:
                code, message = self._s3_problem(response)
                raise MailchimpError("results", code or f"HTTP {response.status_code}", message, response.status_code)
            try:
                for chunk in response.iter_content(DOWNLOAD_CHUNK):
                    file.write(chunk)
            except requests.RequestException as exc:
                raise MailchimpError("results", "Download interrupted", exc.__class__.__name__) from exc

    @staticmethod
    def _s3_problem(response):
        """``(Code, Message)`` of an S3 error (``<Error><Code>...</Code>...``), or ``("",
        the start of the body)`` for anything else."""
        text = next(response.iter_content(4096), b"").decode("utf-8", "replace")
        code, message = (re.search(rf"<{tag}>([^<]{{0,500}})</{tag}>", text) for tag in ("Code", "Message"))
        if not code:
            return "", text[:200]
        return unescape(code.group(1)), unescape(message.group(1)) if message else ""

    @staticmethod
    def _read_results(file):
        results = json.load(file)
        if not isinstance(results, list):
            raise ValueError("a results file is not a list")
        for result in results:
            if not isinstance(result, dict) or not isinstance(result.get("status_code"), int):
                raise ValueError("a result without its status code")
            response = result.get("response") or "{}"
            response = json.loads(response) if isinstance(response, str) else response
            if not isinstance(response, dict):
                raise ValueError("a result whose response is not an object")
            yield {
                "operation_id": str(result.get("operation_id") or ""),
                "status_code": result["status_code"],
                "response": response,
            }

    def members_changed_since(self, list_id, since, page=1000):
        offset = 0
        while True:
            params = {
                "count": page,
                "offset": offset,
                "fields": "members.email_address,members.status,members.merge_fields,members.last_changed,total_items",
            }
            if since:
                params["since_last_changed"] = since
            data = self.request("GET", f"/lists/{list_id}/members", params=params)
            members = data.get("members", [])
            yield from members
            offset += len(members)
            if not members or offset >= data.get("total_items", 0):
                return

    def webhooks(self, list_id):
        return self.request("GET", f"/lists/{list_id}/webhooks").get("webhooks", [])

    def add_webhook(self, list_id, url):
        return self.request(
            "POST",
            f"/lists/{list_id}/webhooks",
            body={
                "url": url,
                "events": {"subscribe": True, "unsubscribe": True, "profile": True, "cleaned": True, "upemail": True},
                "sources": {"user": True, "admin": True, "api": False},
            },
        )


def gzip_tar(files):
    """Build a tar.gz like Mailchimp's batch responses (used by the stand-in)."""
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb") as gz, tarfile.open(fileobj=gz, mode="w") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()
