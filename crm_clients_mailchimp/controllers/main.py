import hmac
import logging

from odoo import http
from odoo.http import request

_logger = logging.getLogger(__name__)


class MailchimpWebhook(http.Controller):
    @http.route(
        "/crm_clients_mailchimp/webhook/<string:token>",
        type="http",
        auth="public",
        methods=["GET", "POST"],
        csrf=False,
        save_session=False,
    )
    def webhook(self, token, **post):
        sync = request.env["crm.client.mailchimp.sync"].sudo()
        expected = sync._param("webhook_token") or ""
        if not expected or not hmac.compare_digest(token, expected):
            return request.not_found()
        if request.httprequest.method == "GET":
            return request.make_response("OK")  # Mailchimp's validator checks the URL answers
        data, merges = {}, {}
        for key, value in request.httprequest.form.items():
            if key.startswith("data[merges][") and key.endswith("]"):
                merges[key[len("data[merges][") : -1]] = value
            elif key.startswith("data[") and key.endswith("]"):
                data[key[5:-1]] = value
        data["merges"] = merges
        event = request.httprequest.form.get("type", "")
        if data.get("list_id") and data["list_id"] != sync._param("list_id"):
            _logger.info("Mailchimp webhook for another audience (%s) ignored", data["list_id"])
            return request.make_response("OK")
        sync._handle_webhook(event, data)
        return request.make_response("OK")
