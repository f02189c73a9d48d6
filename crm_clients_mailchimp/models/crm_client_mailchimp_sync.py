import hashlib
import json
import logging
import re
import secrets
from contextlib import contextmanager
from datetime import UTC
from datetime import datetime

from psycopg2.extras import execute_values

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools import email_normalize
from odoo.tools.safe_eval import safe_eval

from ..tools import mailchimp

_logger = logging.getLogger(__name__)

DIRECT_LIMIT = 500  # members per batch-subscribe call
RUN_LIMIT = 5000  # members per scheduled batch (one /batches request)
NEVER_RESUBSCRIBE = ("unsubscribed", "cleaned")
DEFAULT_DOMAIN = (
    "[('email', '!=', False), ('is_blacklisted', '=', False), "
    "'|', ('is_client', '=', True), ('parent_id.is_client', '=', True)]"
)
# What an address of a Mailchimp member looks like once normalized (no control character).
MEMBER_EMAIL = re.compile(r"[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+")
# Webhook events that only set the Mailchimp status of an address.
WEBHOOK_STATUSES = {"subscribe": "subscribed", "unsubscribe": "unsubscribed", "cleaned": "cleaned"}
MERGE_FIELDS = [
    ("FNAME", "First Name", "text"),
    ("LNAME", "Last Name", "text"),
    ("COMPANY", "Company", "text"),
    ("PHONE", "Phone Number", "phone"),
    ("ADDRESS", "Address", "address"),
    ("CLIENTNO", "Client Number", "text"),
    ("STATUS", "Client Status", "text"),
    ("STARS", "Stars", "number"),
]


class CrmClientMailchimpSync(models.AbstractModel):
    """The two-way sync between partners and one Mailchimp audience."""

    _name = "crm.client.mailchimp.sync"
    _description = "Mailchimp Audience Sync"

    # ---- configuration ----

    @api.model
    def _param(self, key, default=False):
        return self.env["ir.config_parameter"].sudo().get_param(f"crm_clients_mailchimp.{key}", default)

    @api.model
    def _set_param(self, key, value):
        self.env["ir.config_parameter"].sudo().set_param(f"crm_clients_mailchimp.{key}", value)

    @api.model
    def _client(self):
        api_key = (self._param("api_key") or "").strip()
        if not api_key:
            raise UserError(self.env._("Set the Mailchimp API key in Settings > Clients > Mailchimp."))
        try:
            return mailchimp.Client(
                api_key,
                base_url=(self._param("base_url") or "").strip() or None,
                timeout=float(self._param("timeout") or 20),
                retries=int(self._param("retries") or 3),
                backoff=float(self._param("backoff") or 1),
            )
        except mailchimp.MailchimpError as exc:
            raise UserError(self._error_message(exc)) from exc

    @api.model
    def _list_id(self):
        list_id = (self._param("list_id") or "").strip()
        if not list_id:
            raise UserError(self.env._("Choose the Mailchimp audience in Settings > Clients > Mailchimp."))
        return list_id

    @api.model
    def _sync_domain(self):
        return safe_eval(self._param("sync_domain") or DEFAULT_DOMAIN)

    @api.model
    def _error_message(self, exc):
        if exc.kind == "auth":
            return self.env._("Mailchimp refused the API key (%(detail)s). Check it in Settings.", detail=exc.detail)
        if exc.kind == "config":
            return self.env._(
                "The Mailchimp API key is not valid: it must end with a dash and its data center, "
                "letters then digits such as -us21. Copy it again from Mailchimp (Profile > Extras > API keys)."
            )
        if exc.kind == "results":
            return self.env._(
                "The results of the Mailchimp batch could not be read (%(title)s: %(detail)s). Nothing was "
                "recorded: the next sync sends these members again.",
                title=exc.title,
                detail=exc.detail,
            )
        if exc.kind == "network":
            return self.env._("Mailchimp cannot be reached (%(detail)s). Try again later.", detail=exc.detail)
        if exc.kind == "server":
            return self.env._("Mailchimp is failing (%(title)s). Try again later.", title=exc.title)
        return self.env._("Mailchimp refused the request: %(title)s. %(detail)s", title=exc.title, detail=exc.detail)

    @contextmanager
    def _mailchimp_errors(self):
        """Turn the client's errors into a UserError saying what failed."""
        try:
            yield
        except mailchimp.MailchimpError as exc:
            _logger.warning("Mailchimp: %s", exc)
            self._set_param("last_error", str(exc))
            raise UserError(self._error_message(exc)) from exc

    @api.model
    def _call(self, function, *args, **kwargs):
        with self._mailchimp_errors():
            return function(*args, **kwargs)

    # ---- member payloads ----

    @api.model
    def _mapping(self):
        return {
            "tags": set(json.loads(self._param("tag_ids") or "[]")),
            "statuses": set(json.loads(self._param("status_ids") or "[]")),
            "status": "pending" if self._param("double_optin") == "True" else "subscribed",
        }

    @api.model
    def _mapped_tags(self, partner, mapping=None):
        mapping = mapping or self._mapping()
        wanted_tags, wanted_statuses = mapping["tags"], mapping["statuses"]
        client = partner.commercial_partner_id
        names = [
            tag.name for tag in partner.category_id | client.category_id if not wanted_tags or tag.id in wanted_tags
        ]
        status = client.client_status_id
        if status and (not wanted_statuses or status.id in wanted_statuses):
            names.append(status.name)
        return sorted(set(names))

    @api.model
    def _member(self, partner, email, mapping=None):
        mapping = mapping or self._mapping()
        client = partner.commercial_partner_id
        if partner.is_company:
            first, last = "", ""
        else:
            first, _, last = (partner.name or "").strip().rpartition(" ")
            first, last = (first, last) if first else (last, "")
        merge = {
            "FNAME": first,
            "LNAME": last,
            "COMPANY": client.name if client != partner or partner.is_company else "",
            "PHONE": partner.phone or partner.mobile or "",
            "CLIENTNO": client.client_number or "",
            "STATUS": client.client_status_id.name or "",
            "STARS": int(client.priority or 0),
        }
        if partner.street and partner.city and partner.zip:
            merge["ADDRESS"] = {
                "addr1": partner.street,
                "addr2": partner.street2 or "",
                "city": partner.city,
                "state": partner.state_id.name or "",
                "zip": partner.zip,
                "country": partner.country_id.code or "",
            }
        member = {"email_address": email, "status": mapping["status"]}
        member["merge_fields"] = merge
        if partner.lang:
            member["language"] = partner.lang.split("_")[0]
        return member

    @api.model
    def _candidates(self, partners=None, force=False):
        """``[(partners sharing one email, email, member, tags, fingerprint)]`` to send: one
        member per normalized email, never someone Mailchimp says left, only what changed."""
        domain = self._sync_domain()
        if partners is not None:
            domain = [("id", "in", partners.ids), *domain]
        records = self.env["res.partner"].search(domain, order="id")
        by_email = {}
        for partner in records:
            email = email_normalize(partner.email)
            if email:
                by_email.setdefault(email, self.env["res.partner"])
                by_email[email] |= partner
        out = []
        mapping = self._mapping()
        for email, group in by_email.items():
            owner = group[0]
            if any(status in NEVER_RESUBSCRIBE for status in group.mapped("mailchimp_status")):
                continue
            member = self._member(owner, email, mapping)
            tags = self._mapped_tags(owner, mapping)
            fingerprint = hashlib.sha1(json.dumps([member, tags], sort_keys=True).encode()).hexdigest()  # noqa: S324
            if force or owner.mailchimp_fingerprint != fingerprint:
                out.append((group, email, member, tags, fingerprint))
        return out

    # ---- push ----

    @api.model
    def _ensure_merge_fields(self, client, list_id):
        if self._param("merge_fields_list") == list_id:
            return
        existing = {field["tag"] for field in self._call(client.merge_fields, list_id)}
        for tag, name, kind in MERGE_FIELDS:
            if tag not in existing:
                self._call(client.create_merge_field, list_id, tag, name, kind)
        self._set_param("merge_fields_list", list_id)

    @api.model
    def _tag_operations(self, list_id, todo):
        operations = []
        for group, email, _member, tags, _fingerprint in todo:
            previous = set(group[0].mailchimp_tags or [])
            changes = [{"name": t, "status": "active"} for t in tags if t not in previous]
            changes += [{"name": t, "status": "inactive"} for t in sorted(previous - set(tags))]
            if changes:
                operations.append({
                    "method": "POST",
                    "path": f"/lists/{list_id}/members/{mailchimp.subscriber_hash(email)}/tags",
                    "operation_id": f"tags:{email}",
                    "body": json.dumps({"tags": changes}),
                })  # fmt: skip
        return operations

    @api.model
    def _push(self, partners=None, force=False, limit=None):
        """Send the partners that changed (or ``partners``) to the audience. Returns
        ``{"sent", "errors", "remaining"}``."""
        client = self._client()
        list_id = self._list_id()
        candidates = self._candidates(partners, force=force)
        todo = candidates[:limit] if limit else candidates
        if not todo:
            return {"sent": 0, "errors": 0, "remaining": 0, "requests": client.requests_made}
        self._ensure_merge_fields(client, list_id)
        member_errors, tag_errors, statuses = {}, {}, {}
        tag_operations = self._tag_operations(list_id, todo)
        if len(todo) <= DIRECT_LIMIT:
            answer = self._call(client.batch_subscribe, list_id, [member for _g, _e, member, _t, _f in todo])
            self._read_subscribe_answer(answer, statuses, member_errors)
            # Tags of members that could not be written would fail too.
            tag_operations = [op for op in tag_operations if op["operation_id"][5:] not in member_errors]
            if tag_operations:
                self._run_batch(client, tag_operations, statuses, member_errors, tag_errors)
        else:
            operations = [
                {
                    "method": "POST",
                    "path": f"/lists/{list_id}",
                    "operation_id": f"members:{start}",
                    "body": json.dumps(
                        {
                            "members": [member for _g, _e, member, _t, _f in todo[start : start + DIRECT_LIMIT]],
                            "update_existing": True,
                        }
                    ),
                }  # fmt: skip
                for start in range(0, len(todo), DIRECT_LIMIT)
            ]
            self._run_batch(client, operations + tag_operations, statuses, member_errors, tag_errors)
        errors = 0
        rows = []
        for group, email, _member, tags, fingerprint in todo:
            error = member_errors.get(email) or tag_errors.get(email)
            errors += bool(error)
            sent_tags = None if email in member_errors or email in tag_errors else json.dumps(tags)
            # A member Mailchimp refused is not resent until it changes (same fingerprint).
            rows.extend((partner_id, statuses.get(email), error, fingerprint, sent_tags) for partner_id in group.ids)
        self._store_results(rows)
        return {
            "sent": len(todo),
            "errors": errors,
            "remaining": len(candidates) - len(todo),
            "requests": client.requests_made,
        }

    @api.model
    def _store_results(self, rows):
        """One UPDATE for the whole run: these technical fields have no computed
        dependants, and a sync is not a change of the partner (write_date stays)."""
        if not rows:
            return
        self.env.flush_all()
        now = fields.Datetime.now()
        execute_values(
            self.env.cr._obj,
            """
            UPDATE res_partner p
               SET mailchimp_status = COALESCE(v.status, p.mailchimp_status),
                   mailchimp_synced_at = v.synced_at,
                   mailchimp_error = v.error,
                   mailchimp_fingerprint = v.fingerprint,
                   mailchimp_tags = COALESCE(v.tags::jsonb, p.mailchimp_tags)
              FROM (VALUES %s) AS v(id, status, error, fingerprint, tags, synced_at)
             WHERE p.id = v.id
            """,
            [(*row, now) for row in rows],
            template="(%s, %s::varchar, %s::varchar, %s::varchar, %s::text, %s::timestamp)",
            page_size=1000,
        )
        self.env["res.partner"].invalidate_model(
            ["mailchimp_status", "mailchimp_synced_at", "mailchimp_error", "mailchimp_fingerprint", "mailchimp_tags"]
        )

    @api.model
    def _read_subscribe_answer(self, answer, statuses, member_errors):
        for member in (answer or {}).get("new_members", []) + (answer or {}).get("updated_members", []):
            statuses[email_normalize(member["email_address"])] = member["status"]
        for error in (answer or {}).get("errors", []):
            member_errors[email_normalize(error["email_address"]) or error["email_address"]] = error["error"]

    @api.model
    def _run_batch(self, client, operations, statuses, member_errors, tag_errors):
        batch = self._call(client.start_batch, operations)
        done = self._call(client.wait_batch, batch["id"], float(self._param("batch_poll") or 2))
        needs_results = done.get("errored_operations") or any(
            op["operation_id"].startswith("members:") for op in operations
        )
        if not needs_results:
            return
        # Read as the archive is read: a big batch's results never sit in memory at once.
        with self._mailchimp_errors():
            for result in client.batch_results(done["response_body_url"]):
                self._read_batch_result(result, statuses, member_errors, tag_errors)

    @api.model
    def _read_batch_result(self, result, statuses, member_errors, tag_errors):
        operation_id, response = result["operation_id"], result["response"]
        if operation_id.startswith("members:"):
            if result["status_code"] >= 400:
                raise UserError(
                    self._error_message(mailchimp.MailchimpError("http", response.get("title"), response.get("detail")))
                )
            self._read_subscribe_answer(response, statuses, member_errors)
        elif operation_id.startswith("tags:") and result["status_code"] >= 400:
            tag_errors[operation_id[5:]] = f"{response.get('title')}: {response.get('detail')}"

    # ---- pull ----

    @api.model
    def _apply_remote_status(self, email, status, partners=None):
        """What Mailchimp says of an address: its partners (``partners``, or every partner
        with that address) get the status; a member who left is blacklisted for Odoo's mass
        mailing."""
        email = email_normalize(email)
        if not email or status not in dict(self.env["res.partner"]._fields["mailchimp_status"].selection):
            return self.env["res.partner"]
        if partners is None:
            partners = (
                self.env["res.partner"].with_context(active_test=False).search([("email_normalized", "=", email)])
            )
        if partners:
            partners.write({"mailchimp_status": status, "mailchimp_synced_at": fields.Datetime.now()})
        if status in NEVER_RESUBSCRIBE:
            self.env["mail.blacklist"].sudo()._add(email)
        return partners

    @api.model
    def _pull(self):
        """Members changed in Mailchimp since the last pull (a webhook may have been missed)."""
        client = self._client()
        list_id = self._list_id()
        started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
        count = 0
        for member in self._call(lambda: list(client.members_changed_since(list_id, self._param("last_pull") or None))):
            self._apply_remote_status(member["email_address"], member["status"])
            count += 1
        self._set_param("last_pull", started)
        return count

    # ---- scheduled actions ----

    @api.model
    def _cron_push(self):
        """One batch per call; the cron framework commits and calls again while members
        remain, so a crash resumes with what was not sent."""
        if not self._param("api_key") or not self._param("list_id"):
            return
        result = self._push(limit=RUN_LIMIT)
        self.env["ir.cron"]._notify_progress(done=result["sent"], remaining=result["remaining"])

    @api.model
    def _cron_pull(self):
        if self._param("api_key") and self._param("list_id"):
            self._pull()

    # ---- webhook ----

    @api.model
    def _webhook_url(self):
        self._init_webhook_token()
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url")
        return f"{base}/crm_clients_mailchimp/webhook/{self._param('webhook_token')}"

    @api.model
    def _register_webhook(self):
        client = self._client()
        list_id = self._list_id()
        url = self._webhook_url()
        hooks = self._call(client.webhooks, list_id)
        if not any(hook.get("url") == url for hook in hooks):
            self._call(client.add_webhook, list_id, url)
        return url

    @api.model
    def _handle_webhook(self, event, data):
        """Apply one webhook event (``data`` holds the ``data[...]`` fields, ``merges``
        nested) to the partners it may change (see ``_webhook_partners``); returns them.
        Unknown events and events without a valid address change nothing."""
        if event in WEBHOOK_STATUSES:
            email = self._webhook_email(event, data.get("email"))
            partners = self._webhook_partners(email)
            if partners:
                self._apply_remote_status(email, WEBHOOK_STATUSES[event], partners)
            return partners
        if event == "upemail":
            old = self._webhook_email(event, data.get("old_email"))
            new = self._webhook_email(event, data.get("new_email"))
            if not new or old == new:
                return self.env["res.partner"]
            return self._webhook_write(event, self._webhook_partners(old), lambda partner: {"email": new})
        if event == "profile":
            partners = self._webhook_partners(self._webhook_email(event, data.get("email")))
            merges = data.get("merges") or {}
            return self._webhook_write(
                event,
                partners.filtered(lambda p: not p.is_company),
                lambda partner: self._profile_values(partner, merges),
            )
        _logger.info("Mailchimp webhook: event %r ignored", event)
        return self.env["res.partner"]

    @api.model
    def _webhook_email(self, event, value):
        """The normalized address of an event, or False (logged): an event without a valid
        address concerns nobody, never the partners without one."""
        email = email_normalize(value) if isinstance(value, str) else False
        if not email or not MEMBER_EMAIL.fullmatch(email):
            email = False
            _logger.warning(
                "Mailchimp webhook: %s event without a valid email address (%s) ignored", event, repr(value)[:100]
            )
        return email

    @api.model
    def _webhook_partners(self, email):
        """The partners an event about ``email`` may change: the active partners of the sync
        domain with that address, never the partner of a user (internal or portal, archived
        included): an address or a name coming from Mailchimp must not reach a login."""
        Partner = self.env["res.partner"].with_context(active_test=True)
        if not email:
            return Partner
        partners = Partner.search(expression.AND([[("email_normalized", "=", email)], self._sync_domain()]))
        users = self.env["res.users"].with_context(active_test=False).search([("partner_id", "in", partners.ids)])
        partners -= users.partner_id
        if not partners:
            _logger.info("Mailchimp webhook: no partner to update has the address %s", email)
        return partners

    @api.model
    def _webhook_write(self, event, partners, values):
        """Write ``values(partner)`` on each partner on its own: a change a partner refuses
        (a locked email or phone line, an invalid value) leaves that partner as it was, is
        logged, and the others still change. Returns the partners changed."""
        changed = self.env["res.partner"]
        for partner in partners:
            vals = values(partner)
            if not vals:
                continue
            try:
                with self.env.cr.savepoint():
                    partner.write(vals)
            except UserError as exc:
                _logger.warning("Mailchimp webhook: %s event left partner %s unchanged: %s", event, partner.id, exc)
                continue
            changed |= partner
        return changed

    @api.model
    def _profile_values(self, partner, merges):
        name = " ".join(filter(None, (str(merges.get("FNAME") or "").strip(), str(merges.get("LNAME") or "").strip())))
        vals = {"name": name} if name and name != partner.name else {}
        phone = str(merges.get("PHONE") or "").strip()
        if phone and phone != partner.phone:
            vals["phone"] = phone
        return vals

    @api.model
    def _init_webhook_token(self):
        """A random secret in the webhook URL (Mailchimp signs nothing), made once."""
        if not self._param("webhook_token"):
            self._set_param("webhook_token", secrets.token_urlsafe(24))
