"""Merged ids over HTTP: GET /crm_clients/api/v1/clients/resolve?ids=1,2,3 (docs/API.md)."""

import re

from odoo import http
from odoo.exceptions import AccessDenied, AccessError, UserError
from odoo.http import request

from .api import authenticate
from .api import json_error

_IDS = re.compile(r"^\s*\d{1,10}(\s*,\s*\d{1,10})*\s*,?\s*$")
# Ids per request: the query string stays short enough for every proxy.
MAX_IDS = 1000


class CrmClientsResolveApi(http.Controller):
    @http.route(
        "/crm_clients/api/v1/clients/resolve",
        type="http",
        auth="none",
        # Every method reaches the controller, so that a POST is told 405 in JSON too.
        methods=None,
        csrf=False,
        save_session=False,
        readonly=True,  # reads only
    )
    def clients_resolve(self, **params):
        _ = request.env._
        if refused := authenticate(("GET", "HEAD"), _("Use GET to resolve client ids.")):
            return refused
        _ = request.env._
        if unknown := sorted(set(params) - {"ids"}):
            return self._error(
                400,
                "unknown_parameter",
                _("Unknown parameter %(names)s: resolve takes ids.", names=", ".join(unknown)),
            )
        text = params.get("ids") or ""
        if not _IDS.match(text):
            return self._error(
                400, "invalid_ids", _("ids must be client ids separated by commas, e.g. ids=57,61,1024.")
            )
        ids = [int(part) for part in text.split(",") if part.strip()]
        if len(ids) > MAX_IDS:
            return self._error(400, "invalid_ids", _("At most %(max)s ids per request.", max=format(MAX_IDS, ",")))
        try:
            results = request.env["res.partner"].client_resolve(ids)
        except (AccessError, AccessDenied) as exc:
            return self._error(403, "forbidden", str(exc.args[0] if exc.args else exc))
        except UserError as exc:
            return self._error(400, "invalid_ids", str(exc.args[0] if exc.args else exc))
        return request.make_json_response({"results": results})

    _error = staticmethod(json_error)
