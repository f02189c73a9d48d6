"""The change feed over HTTP and the OpenAPI document of the HTTP API (docs/API.md)."""

import json
import re
from pathlib import Path

from odoo import http
from odoo.exceptions import AccessDenied, AccessError
from odoo.http import request

from ..models.crm_client_change import ChangeCursorExpired
from ..models.crm_client_change import ChangeFeedError
from .api import authenticate
from .api import json_error

_LIMIT = re.compile(r"^\s*\d{1,9}\s*$")
_PARAMETERS = {"cursor", "limit"}
_OPENAPI = Path(__file__).resolve().parent.parent / "static" / "api" / "openapi.json"
DEFAULT_LIMIT = 1000


class CrmClientsChangesApi(http.Controller):
    @http.route(
        "/crm_clients/api/v1/clients/changes",
        type="http",
        auth="none",
        # Every method reaches the controller, so that a POST is told 405 in JSON too.
        methods=None,
        csrf=False,
        save_session=False,
        readonly=True,  # reads only: served by a read-only replica when there is one
    )
    def clients_changes(self, **params):
        _ = request.env._
        if refused := authenticate(("GET", "HEAD"), _("Use GET to read the client change feed.")):
            return refused
        _ = request.env._
        if unknown := sorted(set(params) - _PARAMETERS):
            return self._error(
                400,
                "unknown_parameter",
                _("Unknown parameter %(names)s: the feed takes cursor and limit.", names=", ".join(unknown)),
            )
        limit = params.get("limit")
        if limit is not None and not _LIMIT.match(limit):
            return self._error(400, "invalid_limit", _("The limit must be a whole number, e.g. limit=1000."))
        try:
            answer = request.env["res.partner"].client_changes(
                params.get("cursor") or False, int(limit) if limit is not None else DEFAULT_LIMIT
            )
        except (AccessError, AccessDenied) as exc:
            return self._error(403, "forbidden", str(exc.args[0] if exc.args else exc))
        except ChangeCursorExpired as exc:
            return self._error(410, exc.code, str(exc.args[0]))
        except ChangeFeedError as exc:
            return self._error(400, exc.code, str(exc.args[0]))
        return request.make_json_response(answer)

    @http.route(
        "/crm_clients/api/v1/openapi.json",
        type="http",
        auth="none",
        methods=["GET"],
        save_session=False,
        readonly=True,
    )
    def openapi(self):
        """The OpenAPI 3.1 document of the HTTP API, its server being this one."""
        document = json.loads(_OPENAPI.read_text())
        document["servers"] = [{"url": request.httprequest.host_url.rstrip("/")}]
        return request.make_json_response(document, headers=[("Cache-Control", "no-cache")])

    _error = staticmethod(json_error)
