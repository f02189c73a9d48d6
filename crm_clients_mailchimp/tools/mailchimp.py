"""A small Mailchimp Marketing API 3.0 client on requests (no ORM).

Basic auth with the API key (its ``-usNN`` suffix names the data center), retries with
backoff on 429, 5xx and dropped connections, :class:`MailchimpError` with the API's
problem-detail fields (``title``, ``detail``) for anything else. ``requests_made`` counts
the HTTP requests sent (benchmarks and tests read it).
"""

import gzip
import hashlib
import io
import json
import logging
import tarfile
import time

import requests

_logger = logging.getLogger(__name__)


class MailchimpError(Exception):
    """``kind``: ``auth`` (401), ``http`` (another 4xx), ``server`` (5xx/429 after the
    retries), ``network`` (timeouts, refused or dropped connections), ``config``."""

    def __init__(self, kind, title="", detail="", status=None):
        super().__init__(f"{title}: {detail}" if detail else title or kind)
        self.kind = kind
        self.title = title
        self.detail = detail
        self.status = status


def subscriber_hash(email):
    return hashlib.md5(email.strip().lower().encode("utf-8")).hexdigest()  # noqa: S324 - Mailchimp's member id


def data_center(api_key):
    if not api_key or "-" not in api_key:
        raise MailchimpError("config", "Invalid API key", "a Mailchimp API key ends with its data center (-us21)")
    return api_key.rsplit("-", 1)[1]


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

    def request(self, method, path, params=None, body=None, absolute=False):
        url = path if absolute else f"{self.base_url}{path}"
        for attempt in range(self.retries + 1):
            self.requests_made += 1
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    json=body,
                    timeout=self.timeout,
                    auth=None if absolute else self.session.auth,
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                if attempt < self.retries:
                    self._sleep(attempt, None)
                    continue
                raise MailchimpError("network", "Mailchimp cannot be reached", exc.__class__.__name__) from exc
            if response.status_code == 429 or response.status_code >= 500:
                if attempt < self.retries:
                    self._sleep(attempt, response.headers.get("Retry-After"))
                    continue
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
            if absolute:
                return response.content
            try:
                return response.json()
            except ValueError as exc:
                raise MailchimpError("server", "Unreadable answer", "not JSON", response.status_code) from exc
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
        """The responses of a finished batch: ``[{"operation_id", "status_code", "response"}]``."""
        content = self.request("GET", url, absolute=True) or b""
        results = []
        with tarfile.open(fileobj=io.BytesIO(content), mode="r:gz") as archive:
            for member in archive.getmembers():
                if member.isfile() and member.name.endswith(".json"):
                    results.extend(json.load(archive.extractfile(member)))
        return results

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
