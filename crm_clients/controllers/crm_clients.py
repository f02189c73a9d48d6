import json
import re

from odoo import http
from odoo.exceptions import AccessDenied, AccessError, UserError
from odoo.http import request

_BEARER = re.compile(r"^bearer\s+(.+)$", re.IGNORECASE)


class CrmClientsApi(http.Controller):
    """JSON API for integrators; every answer, errors included, is JSON."""

    @http.route(
        "/crm_clients/api/v1/clients/upsert",
        type="http",
        auth="none",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def clients_upsert(self, **kwargs):
        header = request.httprequest.headers.get("Authorization") or ""
        match = _BEARER.match(header)
        uid = match and request.env["res.users.apikeys"]._check_credentials(scope="rpc", key=match.group(1).strip())
        if not uid:
            return self._error(401, "unauthorized", "A valid user API key is required: Authorization: Bearer <key>.")
        request.update_env(user=uid)
        try:
            body = json.loads(request.httprequest.get_data(as_text=True) or "null")
        except ValueError:
            return self._error(400, "malformed_body", "The body is not valid JSON.")
        if not isinstance(body, dict) or not isinstance(body.get("clients"), list):
            return self._error(400, "malformed_body", 'The body must be a JSON object {"clients": [...]}.')
        try:
            results = request.env["res.partner"].client_upsert(body["clients"])
        except (AccessError, AccessDenied) as exc:
            return self._error(403, "forbidden", str(exc.args[0] if exc.args else exc))
        except UserError as exc:
            return self._error(400, "invalid", str(exc.args[0] if exc.args else exc))
        return request.make_json_response({"results": results})

    def _error(self, status, code, message):
        return request.make_json_response({"error": {"code": code, "message": message}}, status=status)
