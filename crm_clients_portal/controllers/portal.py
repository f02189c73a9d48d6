from werkzeug.exceptions import NotFound

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.http import request
from odoo.http import route


class ClientDocumentsPortal(CustomerPortal):
    """The client's shared documents for its portal users. Attachments are read as
    superuser only after the ownership check: the user's client is the one the document
    is attached to, and the document is shared; anything else is a 404, so ids cannot be
    guessed and unshared documents are never served."""

    def _client_documents_domain(self):
        client = request.env.user.partner_id.commercial_partner_id
        if not client.is_client:
            return None
        return [
            ("res_model", "=", "res.partner"),
            ("res_id", "=", client.id),
            ("res_field", "=", False),
            ("client_shared", "=", True),
        ]

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "client_document_count" in counters:
            domain = self._client_documents_domain()
            values["client_document_count"] = (
                request.env["ir.attachment"].sudo().search_count(domain) if domain is not None else 0
            )
        return values

    @route("/my/documents", type="http", auth="user", website=True, readonly=True)
    def portal_my_client_documents(self, **kw):
        domain = self._client_documents_domain()
        documents = request.env["ir.attachment"].sudo().search(domain or [("id", "=", 0)], order="create_date desc")
        values = self._prepare_portal_layout_values()
        values.update({"documents": documents, "page_name": "client_documents"})
        return request.render("crm_clients_portal.portal_my_client_documents", values)

    @route("/my/documents/<int:document_id>", type="http", auth="user", website=True, readonly=True)
    def portal_my_client_document(self, document_id, **kw):
        domain = self._client_documents_domain()
        if domain is None:
            raise NotFound()
        document = request.env["ir.attachment"].sudo().search([("id", "=", document_id), *domain])
        if not document:
            raise NotFound()
        if document.type == "url":
            return request.redirect(document.url, local=False)
        return request.env["ir.binary"]._get_stream_from(document).get_response(as_attachment=True)
