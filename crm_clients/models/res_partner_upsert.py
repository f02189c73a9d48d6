"""The integrator API of the client record: client_upsert (see CONTRACT.md)."""

from psycopg2 import errorcodes, errors

from odoo import Command, api, models
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError

from ..tools import polish_ids

# Keys of an upsert record that are conveniences, not partner fields.
_CONVENIENCES = {
    "external_ref",
    "status",
    "tags",
    "country_code",
    "parent_external_ref",
    "emails",
    "phones",
    "billing_entities",
}
_EXTERNAL_REF_INDEX = "res_partner_external_ref_company_uniq"


class ConcurrentUpsert(errors.SerializationFailure):
    """Another transaction created the same external reference after this one started:
    Odoo replays a request on a serialization failure, and the replay sees that client and
    updates it instead of creating a second one."""

    pgcode = errorcodes.SERIALIZATION_FAILURE


class UpsertRecordError(Exception):
    """A record of the call cannot be upserted; the message says why."""


class ResPartner(models.Model):
    _inherit = "res.partner"

    # ---- Public API ----

    @api.model
    def client_upsert(self, records):
        """Create or update clients by external reference; one result per record, in order.

        A bad record gets ``{"external_ref", "error"}`` and never stops or undoes the
        others. A second identical call writes nothing."""
        if not isinstance(records, (list, tuple)):
            raise UserError(self.env._("client_upsert expects a list of records (dictionaries)."))
        self.check_access("create")
        self.check_access("write")
        results = [None] * len(records)
        context = self._client_upsert_context(records)
        pending = list(range(len(records)))
        # Parents first: a record whose parent_external_ref names another record of the call
        # waits until that one exists (it may come later in the list).
        while pending:
            ready = [i for i in pending if self._client_upsert_parent_ready(records[i], context)]
            if not ready:
                ready = pending  # unknown parents: each record reports its own error
            for index, result in self._client_upsert_batch([(i, records[i]) for i in ready], context):
                results[index] = result
            pending = [i for i in pending if i not in ready]
        return results

    @api.model
    def _client_upsert_batch(self, indexed_records, context):
        """New clients without lines are created in one batch (the ORM's fast path); if the
        batch fails, each record goes again on its own so that only the bad ones fail.
        Existing clients and records with lines go one by one."""
        simple, single = [], []
        seen_refs = set()
        indexed_records = list(self._client_upsert_skip_unchanged(indexed_records, context))
        for index, record in indexed_records:
            if isinstance(record, dict) and "__unchanged__" in record:
                yield index, record["__unchanged__"]
                continue
            ref = str(record.get("external_ref") or "").strip() if isinstance(record, dict) else ""
            key = (self._client_upsert_company_key(record), ref) if isinstance(record, dict) else None
            if (
                ref
                and key not in context["partners"]
                and key not in seen_refs
                and not any(record.get(k) for k in ("emails", "phones", "billing_entities"))
            ):
                try:
                    vals = self._client_upsert_vals(record, context)
                except (UpsertRecordError, UserError, ValidationError, ValueError, TypeError) as exc:
                    yield index, {"external_ref": ref, "error": self._client_upsert_message(exc)}
                    continue
                seen_refs.add(key)
                simple.append((index, ref, {**vals, "external_ref": ref}))
            else:
                single.append((index, record))
        if simple:
            by_index = dict(indexed_records)
            try:
                with self.env.cr.savepoint():
                    partners = self.create([vals for _index, _ref, vals in simple])
                    self.env.flush_all()
            except errors.UniqueViolation as exc:
                if exc.diag.constraint_name == _EXTERNAL_REF_INDEX:
                    raise ConcurrentUpsert(str(exc)) from exc
                single += [(index, by_index[index]) for index, _r, _v in simple]
            except (UserError, ValidationError, AccessError, MissingError, ValueError, TypeError, errors.Error):
                single += [(index, by_index[index]) for index, _r, _v in simple]
            else:
                for (index, ref, _vals), partner in zip(simple, partners, strict=True):
                    context["partners"][(partner.company_id.id or 0, ref)] = partner.id
                    yield index, {"external_ref": ref, "id": partner.id, "created": True}
        for index, record in sorted(single, key=lambda item: item[0]):
            yield index, self._client_upsert_one(record, context)

    @api.model
    def _client_upsert_skip_unchanged(self, indexed_records, context):
        """Existing clients whose values are all already there answer at once: no
        savepoint, no write. Their fields are read for the whole batch together."""
        candidates = {}
        for index, record in indexed_records:
            if isinstance(record, dict) and not any(record.get(k) for k in ("emails", "phones", "billing_entities")):
                ref = str(record.get("external_ref") or "").strip()
                partner_id = context["partners"].get((self._client_upsert_company_key(record), ref)) if ref else None
                if partner_id:
                    candidates[index] = partner_id
        partners = self.browse(list(dict.fromkeys(candidates.values())))  # one prefetch for all
        by_id = {partner.id: partner for partner in partners}
        for index, record in indexed_records:
            partner_id = candidates.get(index)
            if partner_id:
                try:
                    vals = self._client_upsert_vals(record, context)
                    unchanged = not by_id[partner_id]._client_upsert_changes(vals)
                except (UpsertRecordError, UserError, ValidationError, ValueError, TypeError):
                    unchanged = False  # the record's own pass reports the error
                if unchanged:
                    ref = str(record["external_ref"]).strip()
                    yield index, {"__unchanged__": {"external_ref": ref, "id": partner_id, "created": False}}
                    continue
            yield index, record

    @api.model
    def load(self, fields, data):
        """Importing rows that carry an external reference updates the clients that have
        it instead of creating duplicates (as client_upsert does)."""
        if (
            "external_ref" not in fields
            or "id" in fields
            or ".id" in fields
            or self.env.context.get("crm_clients_import_no_match")
        ):
            return super().load(fields, data)
        position = fields.index("external_ref")
        company_position = fields.index("company_id/.id") if "company_id/.id" in fields else None
        refs = {str(row[position]).strip() for row in data if row[position]}
        existing = self._client_find_by_external_refs(refs)
        rows = []
        for row in data:
            ref = str(row[position]).strip() if row[position] else ""
            company = int(row[company_position]) if company_position is not None and row[company_position] else 0
            partner_id = existing.get((company, ref)) if ref else None
            rows.append([*row, str(partner_id) if partner_id else ""])
        return super().load([*fields, ".id"], rows)

    # ---- Helpers ----

    @api.model
    def _client_upsert_context(self, records):
        """Everything looked up once for the whole call."""
        Status = self.env["crm.client.status"]
        statuses = {}
        for lang in {"en_US", self.env.lang or "en_US"}:
            for status in Status.with_context(lang=lang, active_test=False).search([]):
                statuses.setdefault(status.name.strip().lower(), status.id)
        codes = {str(rec.get("country_code") or "").upper() for rec in records if isinstance(rec, dict)} - {""}
        countries = {c.code: c.id for c in self.env["res.country"].search([("code", "in", list(codes))])}
        refs = set()
        for rec in records:
            if isinstance(rec, dict):
                refs.update(str(rec[key]).strip() for key in ("external_ref", "parent_external_ref") if rec.get(key))
        existing = self._client_find_by_external_refs(refs)
        return {"statuses": statuses, "countries": countries, "partners": existing, "tags": {}}

    @api.model
    def _client_find_by_external_refs(self, refs):
        """{(company_id or 0, external_ref): partner id} of the partners with these refs,
        archived ones included."""
        if not refs:
            return {}
        found = self.with_context(active_test=False).search_fetch(
            [("external_ref", "in", list(refs))], ["external_ref", "company_id"]
        )
        result = {}
        # References of merged clients lead to the client that absorbed them.
        for alias in self.env["crm.client.external.ref.alias"].sudo().search([("external_ref", "in", list(refs))]):
            result[(alias.company_id.id or 0, alias.external_ref)] = alias.partner_id.id
        result.update({(p.company_id.id or 0, p.external_ref): p.id for p in found})
        return result

    @api.model
    def _client_upsert_company_key(self, record):
        company = record.get("company_id") or self.env.context.get("default_company_id") or 0
        return company if isinstance(company, int) else 0

    @api.model
    def _client_upsert_parent_ready(self, record, context):
        if not isinstance(record, dict) or not record.get("parent_external_ref"):
            return True
        key = (self._client_upsert_company_key(record), str(record["parent_external_ref"]).strip())
        return key in context["partners"]

    @api.model
    def _client_upsert_one(self, record, context):
        ref = record.get("external_ref") if isinstance(record, dict) else None
        ref = str(ref).strip() if ref not in (None, False) else ""
        try:
            with self.env.cr.savepoint():
                partner, created = self._client_upsert_apply(record, ref, context)
                self.env.flush_all()
        except errors.UniqueViolation as exc:
            if exc.diag.constraint_name == _EXTERNAL_REF_INDEX:
                # A concurrent call created this reference since our snapshot: replay.
                raise ConcurrentUpsert(str(exc)) from exc
            return {"external_ref": ref or False, "error": self._client_upsert_message(exc)}
        except (UpsertRecordError, UserError, ValidationError, AccessError, MissingError, ValueError, TypeError) as exc:
            return {"external_ref": ref or False, "error": self._client_upsert_message(exc)}
        context["partners"][(partner.company_id.id or 0, partner.external_ref)] = partner.id
        return {"external_ref": ref, "id": partner.id, "created": created}

    @api.model
    def _client_upsert_message(self, exc):
        if isinstance(exc, (UserError, ValidationError, AccessError, MissingError)):
            return exc.args[0] if exc.args else str(exc)
        if isinstance(exc, errors.Error):
            return self.env._(
                "The database refused the record: %(error)s", error=(exc.diag.message_primary or str(exc))
            )
        return str(exc)

    @api.model
    def _client_upsert_apply(self, record, ref, context):
        if not isinstance(record, dict):
            raise UpsertRecordError(self.env._("Each record must be a dictionary of field values."))
        if not ref:
            raise UpsertRecordError(self.env._("external_ref is required to upsert a client."))
        vals = self._client_upsert_vals(record, context)
        company_key = self._client_upsert_company_key(record)
        partner_id = context["partners"].get((company_key, ref))
        lines = {kind: record.get(kind) for kind in ("emails", "phones", "billing_entities") if record.get(kind)}
        for kind, given in lines.items():
            if not isinstance(given, (list, tuple)) or not all(isinstance(item, dict) for item in given):
                raise UpsertRecordError(self.env._("%(key)s must be a list of dictionaries.", key=kind))
        if partner_id:
            partner = self.browse(partner_id)
            changes = partner._client_upsert_changes(vals)
            if changes:
                partner.write(changes)
            partner._client_upsert_merge_lines(lines)
            return partner, False
        vals["external_ref"] = ref
        partner = self.create(vals)
        partner._client_upsert_merge_lines(lines)
        return partner, True

    @api.model
    def _client_upsert_vals(self, record, context):
        """Partner values of a record: its plain fields and its conveniences resolved."""
        vals = {}
        fields_ = self._fields
        for key, value in record.items():
            if key in _CONVENIENCES:
                continue
            field = fields_.get(key)
            if field is None:
                raise UpsertRecordError(self.env._("Unknown field %(field)s.", field=key))
            if (field.readonly and not field.inverse and field.compute) or key in ("id", "client_number", "is_client"):
                raise UpsertRecordError(self.env._("The field %(field)s cannot be written.", field=key))
            vals[key] = value
        if record.get("status"):
            status_id = context["statuses"].get(str(record["status"]).strip().lower())
            if not status_id:
                raise UpsertRecordError(self.env._("Unknown client status %(status)s.", status=record["status"]))
            vals["client_status_id"] = status_id
        if record.get("country_code"):
            country_id = context["countries"].get(str(record["country_code"]).upper())
            if not country_id:
                raise UpsertRecordError(self.env._("Unknown country code %(code)s.", code=record["country_code"]))
            vals["country_id"] = country_id
        if "tags" in record:
            vals["category_id"] = [Command.set(self._client_upsert_tags(record["tags"] or [], context))]
        if record.get("parent_external_ref"):
            key = (self._client_upsert_company_key(record), str(record["parent_external_ref"]).strip())
            parent_id = context["partners"].get(key)
            if not parent_id:
                raise UpsertRecordError(
                    self.env._("No client has the external reference %(ref)s.", ref=record["parent_external_ref"])
                )
            vals["parent_id"] = parent_id
        return vals

    @api.model
    def _client_upsert_tags(self, names, context):
        if not isinstance(names, (list, tuple)):
            raise UpsertRecordError(self.env._("tags must be a list of tag names."))
        Tag = self.env["res.partner.category"]
        ids = []
        for given in names:
            name = str(given).strip()
            if not name:
                continue
            if name.lower() not in context["tags"]:
                tag = Tag.search([("name", "=ilike", name)], limit=1) or Tag.create({"name": name})
                context["tags"][name.lower()] = tag.id
            ids.append(context["tags"][name.lower()])
        return ids

    def _client_upsert_changes(self, vals):
        """Only the values that differ from the record: an identical upsert writes nothing."""
        self.ensure_one()
        changes = {}
        current = self._convert_to_write({fname: self[fname] for fname in vals})
        for fname, given in vals.items():
            value = given
            field = self._fields[fname]
            old = current.get(fname)
            if field.type == "many2many":
                new_ids = set()
                for command in value or []:
                    if command[0] == Command.SET:
                        new_ids = set(command[2])
                    else:
                        changes[fname] = value
                        break
                else:
                    if new_ids != set(self[fname].ids):
                        changes[fname] = value
                continue
            if field.type == "one2many":
                changes[fname] = value
                continue
            if field.type == "many2one":
                old = self[fname].id
            if fname in ("vat", "regon", "pesel", "krs") and isinstance(value, str):
                normalized = dict(vals)
                self._client_normalize_vals(normalized, self.country_id)
                value = normalized[fname]
            if (old or False) != (value or False):
                changes[fname] = value
        return changes

    def _client_upsert_merge_lines(self, lines):
        """Emails and phones merged by normalized value (existing updated, new added,
        others kept); billing entities matched by tax ID."""
        self.ensure_one()
        Email = self.env["crm.client.email"]
        Phone = self.env["crm.client.phone"]
        for kind, Model, given in (("emails", Email, lines.get("emails")), ("phones", Phone, lines.get("phones"))):
            if not given:
                continue
            value_field = Model._channel_value_field
            existing = {line[value_field]: line for line in Model.search([("partner_id", "=", self.id)])}
            for item in given:
                if not item.get(value_field):
                    raise UpsertRecordError(
                        self.env._("Each of %(key)s needs a %(field)s.", key=kind, field=value_field)
                    )
                normalized = Model._channel_normalize(item[value_field], self)[0]
                line = existing.get(normalized)
                item_vals = {k: v for k, v in item.items() if k in Model._fields and k not in ("partner_id", "id")}
                if line:
                    item_vals.pop(value_field, None)
                    diff = {k: v for k, v in item_vals.items() if (line[k] or False) != (v or False)}
                    if diff:
                        line.write(diff)
                else:
                    existing[normalized] = Model.create({**item_vals, "partner_id": self.id})
        if entities := lines.get("billing_entities"):
            current = {}
            for entity in self.with_context(active_test=False).billing_entity_ids:
                current[polish_ids.nip_digits(entity.vat or "") or (entity.vat or "").upper()] = entity
            for item in entities:
                vat = item.get("vat")
                if not vat:
                    raise UpsertRecordError(self.env._("Each billing entity needs its tax ID (vat)."))
                key = polish_ids.nip_digits(vat) or str(vat).upper()
                item_vals = {k: v for k, v in item.items() if k in self._fields and k not in ("id", "parent_id")}
                entity = current.get(key)
                if entity:
                    item_vals.pop("vat", None)
                    if changes := entity._client_upsert_changes(item_vals):
                        entity.write(changes)
                else:
                    current[key] = self.create({**item_vals, "parent_id": self.id, "is_billing_entity": True})
        return True
