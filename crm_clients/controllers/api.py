"""What every route of the HTTP API does first: the method, the bearer API key, the
language; and its errors, always JSON ``{"error": {"code", "message"}}`` (docs/API.md)."""

import re

from odoo.http import request

# A user API key of scope rpc, printable ASCII (Odoo makes them hexadecimal); anything
# else is no key.
_BEARER = re.compile(r"^bearer\s+([\x21-\x7e]{1,512})\s*$", re.IGNORECASE)


def json_error(status, code, message):
    return request.make_json_response({"error": {"code": code, "message": message}}, status=status)


def authenticate(methods, wrong_method):
    """Run the request as the owner of its bearer API key (checked with Odoo's own API
    keys, scope rpc), in their language unless the request asks for one. Answers the
    error response (405 for a method not in ``methods``, 401 without a valid key), or
    None when the request may go on."""
    if request.httprequest.method not in methods:
        response = json_error(405, "method_not_allowed", wrong_method)
        response.headers["Allow"] = ", ".join(m for m in methods if m != "HEAD")
        return response
    match = _BEARER.match(request.httprequest.headers.get("Authorization") or "")
    uid = match and request.env["res.users.apikeys"]._check_credentials(scope="rpc", key=match.group(1))
    if not uid:
        response = json_error(
            401, "unauthorized", request.env._("A valid user API key is required: Authorization: Bearer <key>.")
        )
        response.headers["WWW-Authenticate"] = "Bearer"
        return response
    request.update_env(user=uid)
    if not request.httprequest.accept_languages:
        request.update_context(lang=request.env.user.lang)
    return None
