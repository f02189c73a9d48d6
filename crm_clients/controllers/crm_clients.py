"""The HTTP API for integrators: JSON in, JSON out, errors included (README, "HTTP API")."""

import json
import logging
import re

import psycopg2
import werkzeug.exceptions

from odoo import http
from odoo.exceptions import AccessDenied, AccessError, UserError
from odoo.http import request
from odoo.service.model import MAX_TRIES_ON_CONCURRENCY_FAILURE
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

from ..models.res_partner_upsert import MAX_RECORDS
from .api import authenticate
from .api import json_error

_logger = logging.getLogger(__name__)

# Limits of a request (documented in the README's "HTTP API").
MAX_BODY_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 32  # {"clients": [{"emails": [{...}]}]} is 4 levels deep
_JSON_TYPES = re.compile(r"^application/(?:[\w.+-]+\+)?json$")
_UPSERT_PATH = "/crm_clients/api/v1/clients/upsert"


def _refuse_before_reading(controller):
    """Evaluated by Odoo before the body is read (a callable ``max_content_length``):
    werkzeug parses form bodies (up to 128 MB) before the controller runs, and would
    answer an HTML page when one is too big; a body we would refuse anyway is refused
    here, as JSON, unread."""
    if request.httprequest.method == "POST":
        if not _is_json_or_none(request.httprequest.mimetype):
            werkzeug.exceptions.abort(controller._unsupported_media_type())
        if (request.httprequest.content_length or 0) > MAX_BODY_BYTES:
            werkzeug.exceptions.abort(controller._too_large())
    return MAX_BODY_BYTES


def _is_json_or_none(mimetype):
    return not mimetype or bool(_JSON_TYPES.match(mimetype))


class CrmClientsApi(http.Controller):
    """JSON API for integrators; every answer, errors included, is JSON
    ``{"error": {"code", "message"}}`` with a translated message."""

    @http.route(
        _UPSERT_PATH,
        type="http",
        auth="none",
        # Every method reaches the controller, so that a GET is told 405 in JSON too.
        methods=None,
        csrf=False,
        save_session=False,
        readonly=False,
        max_content_length=_refuse_before_reading,
    )
    def clients_upsert(self, **kwargs):
        _ = request.env._
        if refused := authenticate(("POST",), _("Use POST to upsert clients.")):
            return refused
        _ = request.env._
        body = self._read_body()
        if body is None:
            return self._too_large()
        clients, error = self._parse_body(body)
        if error:
            return error
        if len(clients) > MAX_RECORDS:
            return self._error(
                413,
                "too_many_records",
                _(
                    "At most %(limit)s clients per request (%(count)s given): split them into several requests.",
                    limit=MAX_RECORDS,
                    count=len(clients),
                ),
            )
        return self._upsert(clients)

    def _upsert(self, clients):
        # Odoo replays the whole request after a serialization failure (two calls racing on
        # a new reference): let it, except on the last try, which answers 503 in JSON.
        attempt = getattr(request, "_crm_clients_api_attempt", 0) + 1
        request._crm_clients_api_attempt = attempt
        try:
            with request.env["res.partner"]._client_upsert_lanes(clients):  # before anything is read
                results = request.env["res.partner"].client_upsert(clients)
        except (AccessError, AccessDenied) as exc:
            request.env.cr.rollback()
            return self._error(403, "forbidden", str(exc.args[0] if exc.args else exc))
        except UserError as exc:
            request.env.cr.rollback()
            return self._error(400, "invalid", str(exc.args[0] if exc.args else exc))
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            if attempt < MAX_TRIES_ON_CONCURRENCY_FAILURE:
                raise
            request.env.cr.rollback()
            response = self._error(
                503, "busy", request.env._("The clients are being changed by another request: try again.")
            )
            response.headers["Retry-After"] = "1"
            return response
        except (psycopg2.OperationalError, psycopg2.InterfaceError):
            raise  # the database is unusable: nothing to answer from here
        except Exception:
            _logger.exception("clients upsert API: unexpected error")
            request.env.cr.rollback()
            return self._error(
                500, "internal_error", request.env._("An unexpected error occurred; it is logged on the server.")
            )
        # Nothing saved because every record was refused: 422, with each record's reason.
        status = 422 if results and all("error" in result for result in results) else 200
        return request.make_json_response({"results": results}, status=status)

    def _read_body(self):
        """The body, at most MAX_BODY_BYTES (None when longer), read once: Odoo replays
        this controller after a serialization failure."""
        if not hasattr(request, "_crm_clients_api_body"):
            # Odoo's request wrapper does not expose werkzeug's stream; a chunked body
            # (no Content-Length) has no other bound than the one read here.
            stream = request.httprequest.get_data.__self__.stream
            try:
                data = stream.read(MAX_BODY_BYTES + 1)
            except werkzeug.exceptions.RequestEntityTooLarge:  # werkzeug >= 2.3 checks it too
                data = None
            request._crm_clients_api_body = data if data is not None and len(data) <= MAX_BODY_BYTES else None
        return request._crm_clients_api_body

    def _parse_body(self, body):
        """(the list of clients, None) or (None, an error response)."""
        _ = request.env._
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return None, self._error(400, "invalid_encoding", _("The body is not valid UTF-8."))
        try:
            data = json.loads(text or "null", parse_constant=_refuse_constant)
        except RecursionError:
            return None, self._too_deep()
        except ValueError:
            return None, self._error(400, "malformed_body", _("The body is not valid JSON."))
        problem = _inspect(data)
        if problem == "depth":
            return None, self._too_deep()
        if problem == "text":
            return None, self._error(
                400, "invalid_encoding", _("The body contains text that is not valid Unicode (an unpaired surrogate).")
            )
        if not isinstance(data, dict) or not isinstance(data.get("clients"), list):
            return None, self._error(400, "malformed_body", _('The body must be a JSON object {"clients": [...]}.'))
        return data["clients"], None

    def _too_large(self):
        return self._error(
            413,
            "body_too_large",
            request.env._("The body is larger than %(limit)s MB.", limit=MAX_BODY_BYTES // (1024 * 1024)),
        )

    def _too_deep(self):
        return self._error(
            400, "too_deep", request.env._("The body is nested more than %(limit)s levels deep.", limit=MAX_DEPTH)
        )

    def _unsupported_media_type(self):
        return self._error(415, "unsupported_media_type", request.env._("Send the body as application/json."))

    _error = staticmethod(json_error)


def _refuse_constant(name):
    raise ValueError(f"{name} is not JSON")  # NaN, Infinity and -Infinity


def _inspect(data):
    """'depth' when ``data`` nests deeper than MAX_DEPTH, 'text' when a text holds an
    unpaired surrogate (JSON's \\ud800 escapes), else None. Iterative: a hostile body
    never exhausts the stack."""
    stack = [(data, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return "text"
        elif isinstance(item, (dict, list)):
            if depth > MAX_DEPTH:
                return "depth"
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return None
