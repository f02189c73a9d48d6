"""A local stand-in for the Mailchimp Marketing API 3.0, for tests and benchmarks.

Implements what crm_clients_mailchimp uses: basic auth with the API key, /ping, /lists,
merge fields, batch subscribe (``POST /lists/{id}``) with Mailchimp's compliance rules,
member tags, /batches (pending -> started -> finished, results as a tar.gz of JSON like
Mailchimp's), members changed since a date, webhooks. Errors use the real problem-detail
shape. Switches: 429, 5xx, slow answers, dropped connections. ``post_webhook`` sends a
real form-encoded webhook to Odoo.

A finished batch's ``response_body_url`` points, as Mailchimp's does, at a pre-signed
Amazon S3 URL served by :class:`S3Standin` on a port of its own: it refuses a request
carrying an ``Authorization`` header (S3's 400 "Only one auth mechanism allowed"), an
expired URL and a bad signature, with S3's XML errors.
"""

import hashlib
import hmac
import json
import re
import secrets
import threading
import time
import uuid
from collections import Counter
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from urllib.parse import parse_qs
from urllib.parse import quote
from urllib.parse import urlencode
from urllib.parse import urlparse

import requests

from odoo.addons.crm_clients.tests.http_standin import HttpStandin

from ..tools.mailchimp import gzip_tar

API_KEY = "0123456789abcdef0123456789abcdef-us21"
LIST_ID = "a6b5da1054"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
ERRORS_DOC = "https://mailchimp.com/developer/marketing/docs/errors/"
S3_BUCKET = "mailchimp-api-batch"
S3_ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
AMZ_DATE = "%Y%m%dT%H%M%SZ"


def md5(email):
    return hashlib.md5(email.lower().encode()).hexdigest()


def now():
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def s3_error(code, message, **extra):
    """An error body as Amazon S3 sends it (XML, ``<Error><Code>...``)."""
    fields = {"Code": code, "Message": message, **extra, "RequestId": secrets.token_hex(8).upper(),
              "HostId": secrets.token_urlsafe(54)}  # fmt: skip
    inner = "".join(f"<{key}>{xml_escape(str(value))}</{key}>" for key, value in fields.items())
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<Error>{inner}</Error>'


def xml_escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class S3Standin(HttpStandin):
    """The bucket Mailchimp leaves batch results in, behind pre-signed URLs (query string
    authentication, AWS Signature Version 4 parameters).

    Like S3: a second credential (an ``Authorization`` header beside the signed query) is a
    400 ``InvalidArgument``; a URL past ``X-Amz-Date`` + ``X-Amz-Expires`` a 403
    ``AccessDenied`` "Request has expired"; a signature that does not match the rest of the
    URL a 403 ``SignatureDoesNotMatch``; an unsigned request a 403 ``AccessDenied``.
    ``received`` keeps the method, path, query and headers of every request.
    """

    default_content_type = "application/xml"

    def __init__(self):
        self.secret = secrets.token_bytes(32)
        self.objects = {}  # key -> bytes
        self.received = []
        self.faults = []  # one-shot: "500", "503", "drop"
        self.expires = 600  # seconds a URL is valid
        self.signed_ago = 0  # sign URLs as if made this many seconds ago
        self._lock = threading.Lock()

    def put(self, key, data):
        self.objects[key] = data

    def presign(self, key, method="GET"):
        path = f"/{S3_BUCKET}/{quote(key)}"
        signed_at = datetime.now(UTC) - timedelta(seconds=self.signed_ago)
        query = {
            "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
            "X-Amz-Credential": f"{S3_ACCESS_KEY}/{signed_at:%Y%m%d}/us-east-1/s3/aws4_request",
            "X-Amz-Date": signed_at.strftime(AMZ_DATE),
            "X-Amz-Expires": str(self.expires),
            "X-Amz-SignedHeaders": "host",
        }
        query["X-Amz-Signature"] = self._signature(method, path, query)
        return f"{self.base_url}{path}?{urlencode(query)}"

    def _signature(self, method, path, query):
        canonical = "\n".join(
            [method, path, urlencode(sorted((k, v) for k, v in query.items() if k != "X-Amz-Signature"))]
        )
        return hmac.new(self.secret, canonical.encode(), hashlib.sha256).hexdigest()

    def handle(self, handler, method):
        parsed = urlparse(handler.path)
        query = {k: v[-1] for k, v in parse_qs(parsed.query, keep_blank_values=True).items()}
        with self._lock:
            self.received.append(
                {"method": method, "path": parsed.path, "query": query, "headers": dict(handler.headers.items())}
            )
            fault = self.faults.pop(0) if self.faults else None
        length = int(handler.headers.get("Content-Length") or 0)
        if length:
            handler.rfile.read(length)
        if fault == "drop":
            self._drop(handler)
            return
        if fault in ("500", "503"):
            code, message = (
                ("InternalError", "We encountered an internal error. Please try again.")
                if fault == "500"
                else ("SlowDown", "Please reduce your request rate.")
            )
            self._send(handler, int(fault), s3_error(code, message))
            return
        status, body = self._check(method, parsed.path, query, handler.headers.get("Authorization"))
        if status != 200:
            self._send(handler, status, body)
            return
        key = parsed.path.removeprefix(f"/{S3_BUCKET}/")
        data = self.objects.get(key)
        if data is None:
            self._send(handler, 404, s3_error("NoSuchKey", "The specified key does not exist.", Key=key))
            return
        self._send(
            handler,
            200,
            data,
            "application/x-tar",
            {"ETag": f'"{hashlib.md5(data).hexdigest()}"', "x-amz-request-id": secrets.token_hex(8).upper()},
        )

    def _check(self, method, path, query, authorization):
        if method != "GET":
            return 405, s3_error("MethodNotAllowed", "The specified method is not allowed against this resource.",
                                 Method=method, ResourceType="OBJECT")  # fmt: skip
        if "X-Amz-Algorithm" not in query:
            return 403, s3_error("AccessDenied", "Access Denied")
        if authorization is not None:
            return 400, s3_error(
                "InvalidArgument",
                "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query "
                "string parameter or the Authorization header should be specified",
                ArgumentName="Authorization",
                ArgumentValue=authorization,
            )
        try:
            signed_at = datetime.strptime(query.get("X-Amz-Date", ""), AMZ_DATE).replace(tzinfo=UTC)
            expires = int(query.get("X-Amz-Expires", ""))
        except ValueError:
            return 400, s3_error(
                "AuthorizationQueryParametersError",
                "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\" and X-Amz-Expires "
                "must be a number of seconds.",
            )
        server_time = datetime.now(UTC)
        if server_time > signed_at + timedelta(seconds=expires):
            return 403, s3_error(
                "AccessDenied",
                "Request has expired",
                **{
                    "X-Amz-Expires": expires,
                    "Expires": (signed_at + timedelta(seconds=expires)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "ServerTime": server_time.strftime("%Y-%m-%dT%H:%M:%SZ"),
                },
            )
        provided = query.get("X-Amz-Signature", "")
        if not hmac.compare_digest(provided.encode(), self._signature(method, path, query).encode()):
            return 403, s3_error(
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided. "
                "Check your key and signing method.",
                AWSAccessKeyId=S3_ACCESS_KEY,
                SignatureProvided=provided,
            )
        return 200, None


class MailchimpStandin(HttpStandin):
    url_path = "/3.0"
    default_content_type = "application/json; charset=utf-8"

    def __init__(self, api_key=API_KEY):
        self.api_key = api_key
        self.lists = {LIST_ID: {"id": LIST_ID, "name": "Newsletter"}}
        self.merge_fields = {LIST_ID: {"FNAME": "text", "LNAME": "text", "ADDRESS": "address", "PHONE": "phone"}}
        self.members = {}  # (list, hash) -> member dict
        self.forgotten = set()  # hashes permanently deleted
        self.webhooks = {LIST_ID: []}
        self.batches = {}
        self.calls = Counter()
        self.faults = []  # one-shot: "429", "500", "503", "drop", "slow"
        self.slow_seconds = 0.5
        self.batch_polls_until_finished = 1
        self.s3 = S3Standin()  # where finished batches leave their results
        self._lock = threading.Lock()

    def start(self, port=0):
        self.s3.start()
        return super().start(port)

    def stop(self):
        result = super().stop()
        self.s3.stop()
        return result

    # ---- control ----

    def member(self, email, list_id=LIST_ID):
        return self.members.get((list_id, md5(email)))

    def set_status(self, email, status, list_id=LIST_ID):
        member = self.member(email, list_id)
        member["status"] = status
        member["last_changed"] = now()

    def post_webhook(self, url, event, data, fired_at=None):
        """POST a webhook to ``url`` as Mailchimp does (form-encoded, nested keys)."""
        fields = {"type": event, "fired_at": fired_at or datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")}
        for key, value in data.items():
            if isinstance(value, dict):
                for sub, subvalue in value.items():
                    fields[f"data[{key}][{sub}]"] = subvalue
            else:
                fields[f"data[{key}]"] = value
        return requests.post(
            url,
            data=urlencode(fields),
            headers={"Content-Type": "application/x-www-form-urlencoded", "User-Agent": "MailChimp.com"},
            timeout=30,
        )

    # ---- HTTP ----

    def _problem(self, handler, status, title, detail, extra=None):
        body = {"type": ERRORS_DOC, "title": title, "status": status, "detail": detail, "instance": str(uuid.uuid4())}
        self._send(handler, status, {**body, **(extra or {})}, "application/problem+json; charset=utf-8")

    def handle(self, handler, method):
        parsed = urlparse(handler.path)
        path = parsed.path
        query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        with self._lock:
            self.calls["requests"] += 1
            self.calls[f"{method} {re.sub(r'/[0-9a-f]{32}', '/{hash}', path)}"] += 1
            fault = self.faults.pop(0) if self.faults else None
        if fault == "drop":
            self._drop(handler)
            return
        if fault == "slow":
            time.sleep(self.slow_seconds)
        if fault == "429":
            self._problem(
                handler, 429, "Too Many Requests", "You have exceeded the limit of 10 simultaneous connections.", None
            )
            return
        if fault in ("500", "503"):
            self._problem(handler, int(fault), "Internal Server Error", "An unexpected internal error has occurred.")
            return
        if not self._authorized(handler):
            self._problem(
                handler,
                401,
                "API Key Invalid",
                "Your API key may be invalid, or you've attempted to access the wrong datacenter.",
            )
            return
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            self._problem(handler, 400, "Invalid Resource", "The resource submitted could not be validated.")
            return
        status, answer = self._route(method, path.removeprefix("/3.0"), query, body)
        if status >= 400:
            self._problem(handler, status, answer["title"], answer["detail"], answer.get("extra"))
        else:
            self._send(handler, status, answer)

    def _authorized(self, handler):
        import base64

        header = handler.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            _, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        return password == self.api_key

    # ---- API ----

    def _route(self, method, path, query, body):
        parts = [p for p in path.split("/") if p]
        if parts == ["ping"]:
            return 200, {"health_status": "Everything's Chimpy!"}
        if parts == ["lists"] and method == "GET":
            return 200, {"lists": list(self.lists.values()), "total_items": len(self.lists)}
        if parts[:1] == ["batches"]:
            return self._batches(method, parts, body)
        if len(parts) < 2 or parts[0] != "lists" or parts[1] not in self.lists:
            return 404, {"title": "Resource Not Found", "detail": "The requested resource could not be found."}
        list_id = parts[1]
        rest = parts[2:]
        if not rest and method == "POST":
            return 200, self._batch_subscribe(list_id, body)
        if rest == ["merge-fields"]:
            if method == "GET":
                fields = [
                    {"tag": tag, "type": kind, "name": tag.title()} for tag, kind in self.merge_fields[list_id].items()
                ]
                return 200, {"merge_fields": fields, "total_items": len(fields)}
            self.merge_fields[list_id][body["tag"]] = body.get("type", "text")
            return 200, {"tag": body["tag"], "type": body.get("type", "text"), "name": body.get("name")}
        if rest == ["webhooks"]:
            if method == "GET":
                return 200, {"webhooks": self.webhooks[list_id], "total_items": len(self.webhooks[list_id])}
            hook = {"id": uuid.uuid4().hex[:10], **body, "list_id": list_id}
            self.webhooks[list_id].append(hook)
            return 200, hook
        if rest == ["members"] and method == "GET":
            return 200, self._members_since(list_id, query)
        if len(rest) == 3 and rest[0] == "members" and rest[2] == "tags" and method == "POST":
            member = self.members.get((list_id, rest[1]))
            if member is None:
                return 404, {"title": "Resource Not Found", "detail": "The requested resource could not be found."}
            for tag in body.get("tags", []):
                if tag["status"] == "active":
                    member["tags"].add(tag["name"])
                else:
                    member["tags"].discard(tag["name"])
            return 204, None
        return 405, {"title": "Method Not Allowed", "detail": "The requested method and resource are not compatible."}

    def _batch_subscribe(self, list_id, body):
        new, updated, errors = [], [], []
        for data in body.get("members", []):
            email = (data.get("email_address") or "").strip()
            key = (list_id, md5(email))
            if not _EMAIL.match(email):
                errors.append({"email_address": email, "error": f"{email} looks fake or invalid, please enter a real email address.", "error_code": "ERROR_GENERIC", "field": "email_address", "field_message": "Invalid email"})  # fmt: skip
                continue
            if key[1] in self.forgotten:
                errors.append({"email_address": email, "error": f"{email} was permanently deleted and cannot be re-imported. The contact must re-subscribe to get back on the list.", "error_code": "ERROR_GENERIC"})  # fmt: skip
                continue
            existing = self.members.get(key)
            wanted = data.get("status", "subscribed")
            if existing and existing["status"] in ("unsubscribed", "cleaned") and wanted in ("subscribed", "pending"):
                errors.append({"email_address": email, "error": f"{email} is in a compliance state due to unsubscribe, bounce, or compliance review and cannot be subscribed.", "error_code": "ERROR_GENERIC"})  # fmt: skip
                continue
            if existing and not body.get("update_existing"):
                errors.append({"email_address": email, "error": f"{email} is already a list member, do you want to update? please provide update_existing:true in the request body", "error_code": "ERROR_CONTACT_EXISTS"})  # fmt: skip
                continue
            member = existing or {"id": key[1], "email_address": email, "tags": set(), "merge_fields": {}}
            member.update(status=wanted, last_changed=now())
            member["merge_fields"].update(data.get("merge_fields") or {})
            self.members[key] = member
            (updated if existing else new).append(self._public(member))
        return {
            "new_members": new,
            "updated_members": updated,
            "errors": errors,
            "total_created": len(new),
            "total_updated": len(updated),
            "error_count": len(errors),
        }

    @staticmethod
    def _public(member):
        return {
            **{k: v for k, v in member.items() if k != "tags"},
            "tags": [{"name": t} for t in sorted(member["tags"])],
        }

    def _members_since(self, list_id, query):
        since = query.get("since_last_changed")
        members = [
            self._public(m)
            for (lid, _), m in sorted(self.members.items())
            if lid == list_id and (not since or m["last_changed"] >= since)
        ]
        offset, count = int(query.get("offset", 0)), int(query.get("count", 10))
        return {"members": members[offset : offset + count], "total_items": len(members), "list_id": list_id}

    def _batches(self, method, parts, body):
        if method == "POST" and len(parts) == 1:
            batch_id = uuid.uuid4().hex[:10]
            results = []
            for operation in body.get("operations", []):
                status, answer = self._route(
                    operation["method"],
                    operation["path"],
                    operation.get("params") or {},
                    json.loads(operation.get("body") or "{}"),
                )
                if status >= 400:
                    answer = {
                        "type": ERRORS_DOC,
                        "title": answer["title"],
                        "status": status,
                        "detail": answer["detail"],
                    }
                results.append(
                    {
                        "status_code": status,
                        "operation_id": operation.get("operation_id"),
                        "response": json.dumps(answer or {}),
                    }
                )
            errored = sum(1 for r in results if r["status_code"] >= 400)
            self.s3.put(
                f"{batch_id}-response.tar.gz",
                gzip_tar({f"{batch_id}/{i}.json": json.dumps(results[i:i + 500]).encode() for i in range(0, len(results) or 1, 500)}),
            )  # fmt: skip
            self.batches[batch_id] = {
                "id": batch_id, "status": "pending", "total_operations": len(results), "finished_operations": 0,
                "errored_operations": errored, "submitted_at": now(), "polls": 0,
            }  # fmt: skip
            return 200, self._batch_view(batch_id)
        if method == "GET" and len(parts) == 2 and parts[1] in self.batches:
            batch = self.batches[parts[1]]
            batch["polls"] += 1
            if batch["polls"] >= self.batch_polls_until_finished:
                batch.update(status="finished", finished_operations=batch["total_operations"], completed_at=now())
            else:
                batch["status"] = "started"
            return 200, self._batch_view(parts[1])
        return 404, {"title": "Resource Not Found", "detail": "The requested resource could not be found."}

    def _batch_view(self, batch_id):
        batch = self.batches[batch_id]
        view = {k: v for k, v in batch.items() if k != "polls"}
        # Signed anew at each look, like Mailchimp's.
        view["response_body_url"] = (
            self.s3.presign(f"{batch_id}-response.tar.gz") if batch["status"] == "finished" else ""
        )
        return view
