import hmac
import logging

from odoo import http
from odoo.http import request

_logger = logging.getLogger(__name__)

# Mailchimp's events are a few kilobytes of form fields: anything far bigger is not one.
MAX_BODY = 256 * 1024
MAX_FIELDS = 500


class MailchimpWebhook(http.Controller):
    @http.route(
        "/crm_clients_mailchimp/webhook/<string:token>",
        type="http",
        auth="public",
        methods=["GET", "POST"],
        csrf=False,
        save_session=False,
        max_content_length=MAX_BODY,
    )
    def webhook(self, token, **post):
        sync = request.env["crm.client.mailchimp.sync"].sudo()
        expected = sync._param("webhook_token") or ""
        # Bytes: compare_digest refuses str with non-ASCII characters (a 500, not a 404).
        if not expected or not hmac.compare_digest(token.encode("utf-8", "replace"), expected.encode()):
            return request.not_found()
        if request.httprequest.method == "GET":
            return request.make_response("OK")  # Mailchimp's validator checks the URL answers
        # Always 200 from here: Mailchimp retries anything else, and a retry changes nothing.
        form = request.httprequest.form
        if not self._well_formed(form):
            _logger.warning("Mailchimp webhook: malformed body ignored")
            return request.make_response("OK")
        data, merges = {}, {}
        for key, value in form.items():
            if key.startswith("data[merges][") and key.endswith("]"):
                merges[key[len("data[merges][") : -1]] = value
            elif key.startswith("data[") and key.endswith("]"):
                data[key[5:-1]] = value
        data["merges"] = merges
        event = form.get("type", "")
        list_id = sync._param("list_id")
        if not list_id or data.get("list_id") != list_id:
            _logger.info("Mailchimp webhook not for the chosen audience (list id %r) ignored", data.get("list_id"))
            return request.make_response("OK")
        sync._handle_webhook(event, data)
        return request.make_response("OK")

    @staticmethod
    def _well_formed(form):
        """A form as Mailchimp posts it: not too many fields, each key once, valid UTF-8
        (no replacement character standing for bytes that were not), no NUL (PostgreSQL
        refuses it)."""
        if len(form) > MAX_FIELDS:
            return False
        for key, values in form.lists():
            if len(values) != 1 or any(bad in text for text in (key, values[0]) for bad in ("\ufffd", "\x00")):
                return False
        return True
