"""The integrator API of the client record: client_upsert (docs/API.md)."""

import base64
import binascii
import collections
import contextlib
import datetime
import hashlib
import logging
import math
import secrets
import selectors
import sys
import threading
from typing import NamedTuple

import psycopg2
from psycopg2 import errorcodes, errors

from odoo import Command, api, fields, models, sql_db
from odoo.exceptions import UserError
from odoo.modules import module
from odoo.osv import expression
from odoo.tools import escape_psql, str2bool
from odoo.tools.translate import translate_sql_constraint

from ..tools import polish_ids

_logger = logging.getLogger(__name__)

# Records per call (XML-RPC, JSON-RPC and the HTTP API alike): a bigger import is split
# into calls, so that one call never holds its locks and savepoints for long.
MAX_RECORDS = 1000
# An external reference is an id in another system: short, and indexed (a B-tree entry
# holds at most 2,704 bytes; 255 characters of UTF-8 stay far below).
MAX_REF_LENGTH = 255
# Lanes (_client_upsert_take_lanes): how long a call waits for them before Odoo replays
# it (its 5 tries stay well within a worker's default limit_time_real, 120 s), and the
# most references a call takes lanes for (a PostgreSQL session holds few locks:
# max_locks_per_transaction, 64 by default, per connection).
LANE_WAIT = "10s"
LANE_MAX = 64
# The longest a call holds its lanes, in seconds (system parameter
# crm_clients.upsert_lane_hold): the lanes' session stops waiting for the call's
# transaction to end after that long, and PostgreSQL ends the session when it has been
# idle that long. A call running longer goes on without them (met by row locks and
# Odoo's replays). Odoo's default limit_time_real is 120 s.
LANE_HOLD_MAX = 180
LANE_HOLD_LIMITS = (1, 86400)
# The advisory lock (this key, a random one of the call's) a call's transaction holds
# while it holds its lanes: the lanes' session waits for it, then frees the lanes.
LANE_TRANSACTION_KEY = int.from_bytes(
    hashlib.blake2b(b"transaction", digest_size=4, person=b"crm_upsert").digest(), "big", signed=True
)
# Char fields are short texts, and many are indexed (name, tax ID, reference, emails and
# phones): PostgreSQL refuses an index entry over 2,704 bytes. Longer texts go in text
# fields (comment), limited by the size of the call only.
MAX_CHAR_LENGTH = 1000
_INTEGER_RANGE = (-(2**31), 2**31 - 1)  # PostgreSQL's integer column
# Amounts, rates, coordinates: far below; Odoo's rounding overflows near 1e306.
_FLOAT_LIMIT = 1e15

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
_LINE_KINDS = ("emails", "phones", "billing_entities")
# Kept by the module itself, never given.
_NOT_WRITABLE = {"client_number", "is_client", "client_archived_with_id"}
# Field types an upsert writes; the others (one2many lists of commands, references, JSON)
# could reach records the row does not name.
_WRITABLE_TYPES = {
    "boolean",
    "integer",
    "float",
    "monetary",
    "char",
    "text",
    "html",
    "selection",
    "date",
    "datetime",
    "many2one",
    "many2many",
    "binary",
    "image",
    "properties",
}
_EXTERNAL_REF_INDEX = "res_partner_external_ref_company_uniq"
# Changes written client by client even when several clients are given the same: tax IDs
# are normalized by each client's country, the others are decided for each client.
_WRITTEN_ALONE = {
    "vat",
    "regon",
    "pesel",
    "krs",
    "email",
    "phone",
    "mobile",
    "company_id",
    "is_default_billing",
    "is_billing_entity",
    "active",
}


class ConcurrentUpsert(errors.SerializationFailure):
    """Another transaction created the same external reference after this one started:
    Odoo replays a request on a serialization failure, and the replay sees that client and
    updates it instead of creating a second one."""

    pgcode = errorcodes.SERIALIZATION_FAILURE


class UpsertRecordError(Exception):
    """A record of the call cannot be upserted; the message says why."""


def _wait(conn, until_sent=False):
    """Wait until the asynchronous connection ``conn`` is ready (its statement done or,
    ``until_sent``, sent whole). A selector, not psycopg2's wait_select: select() refuses
    descriptors above 1023, which a busy threaded server has."""
    with selectors.DefaultSelector() as selector:
        while (state := conn.poll()) != psycopg2.extensions.POLL_OK:
            if until_sent and state == psycopg2.extensions.POLL_READ:
                return
            writing = state == psycopg2.extensions.POLL_WRITE
            selector.register(conn, selectors.EVENT_WRITE if writing else selectors.EVENT_READ)
            selector.select()
            selector.unregister(conn)


def _hold_lanes(cr, keys, hold=LANE_HOLD_MAX):
    """The lanes ``keys`` taken on a connection of their own (None when no connection is
    left), then ``cr``'s transaction started again with a lock of its own (a random key
    of this call's), which that connection's last statement, left running, waits for
    (``hold`` seconds at most) before freeing the lanes (see
    ResPartner._client_upsert_take_lanes)."""
    try:
        # Asynchronous (and so autocommit: no transaction left open while the session
        # locks are held), to leave its last statement running on the server.
        lanes = psycopg2.connect(**sql_db.connection_info_for(cr.dbname)[1], async_=True)
        _wait(lanes)
    except psycopg2.OperationalError as exc:
        _logger.warning("client_upsert: no connection for the lanes, the call goes without them: %s", exc)
        return None
    try:
        lane_cr = lanes.cursor()

        def set_config(name, value):
            lane_cr.execute("SELECT set_config(%s, %s, false)", [name, value])
            _wait(lanes)

        set_config("statement_timeout", LANE_WAIT)
        if lanes.server_version >= 140000:
            # A session nobody closed (never shorter than the default: a short hold must
            # not end the session between two of these statements).
            set_config("idle_session_timeout", f"{max(hold, LANE_HOLD_MAX)}s")
        try:
            lane_cr.execute(
                "SELECT pg_advisory_lock(key) FROM (SELECT unnest(%s::bigint[]) AS key ORDER BY 1) AS keys",
                [sorted(keys)],
            )
            _wait(lanes)
        except (errors.QueryCanceled, errors.DeadlockDetected) as exc:
            raise ConcurrentUpsert("The references are being upserted by another call.") from exc
        # The watch of this transaction: no time limit of the session's but the hold.
        set_config("statement_timeout", "0")
        set_config("lock_timeout", f"{hold}s")
        if lanes.server_version >= 170000:
            set_config("transaction_timeout", "0")
        cr.rollback()  # nothing written, nothing pending: a snapshot taken now
        token = secrets.randbelow(2**32) - 2**31  # this call's, never another's
        cr.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LANE_TRANSACTION_KEY, token])
        # Ends when this transaction does (or after the hold, or when cancelled),
        # then frees the lanes. (Statements of our own: integers only.)
        lane_cr.execute(
            f"""DO $lanes$
                BEGIN
                    BEGIN
                        PERFORM pg_advisory_lock({int(LANE_TRANSACTION_KEY)}, {int(token)});
                    EXCEPTION WHEN lock_not_available OR query_canceled THEN
                        NULL;  -- a call running longer goes on without its lanes
                    END;
                    PERFORM pg_advisory_unlock_all();
                END $lanes$"""
        )
        _wait(lanes, until_sent=True)
    except BaseException:
        lanes.close()
        raise
    return lanes


def _lane_hold(setting):
    """The seconds a call may hold its lanes (system parameter crm_clients.upsert_lane_hold):
    a whole number from 1 to 86400, else LANE_HOLD_MAX."""
    try:
        hold = int(str(setting).strip())
    except ValueError:
        return LANE_HOLD_MAX
    low, high = LANE_HOLD_LIMITS
    return hold if low <= hold <= high else LANE_HOLD_MAX


class _Prepared(NamedTuple):
    """A record checked and turned into ORM values, before anything is written."""

    ref: str
    company_key: int
    vals: dict
    tags: list | None  # tag names, None when the record does not name tags
    lines: dict  # kind -> list of ORM values


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
        if len(records) > MAX_RECORDS:
            raise UserError(
                self.env._(
                    "client_upsert takes at most %(limit)s records per call (%(count)s given): "
                    "split them into several calls.",
                    limit=MAX_RECORDS,
                    count=len(records),
                )
            )
        self.check_access("create")
        self.check_access("write")
        caller = sys._getframe(1)
        while caller and caller.f_code.co_name == "client_upsert":
            caller = caller.f_back  # an addon's override calling super()
        if caller and caller.f_code is api.call_kw.__code__:
            lanes = self._client_upsert_lanes(records)  # a call of its own, over XML-RPC / JSON-RPC
        else:
            lanes = contextlib.nullcontext()
        with lanes:
            return self._client_upsert_records(records)

    @api.model
    def _client_upsert_records(self, records):
        """client_upsert's work, once the call holds its lanes."""
        # The caller's default_* context keys would give values to fields no record may
        # write (default_client_number, default_child_ids...): only the company is kept,
        # as the company of records without one, and checked like theirs.
        default_company = self.env.context.get("default_company_id")
        Partner = self.with_env(
            self.env(context={key: value for key, value in self.env.context.items() if not key.startswith("default_")})
        )
        results = [None] * len(records)
        context = Partner._client_upsert_context(records)
        context["default_company"] = default_company
        pending = list(range(len(records)))
        # Parents first: a record whose parent_external_ref names another record of the call
        # waits until that one exists (it may come later in the list).
        while pending:
            ready = [i for i in pending if Partner._client_upsert_parent_ready(records[i], context)]
            if not ready:
                ready = pending  # unknown parents: each record reports its own error
            for index, result in Partner._client_upsert_batch([(i, records[i]) for i in ready], context):
                results[index] = result
            ready = set(ready)
            pending = [i for i in pending if i not in ready]
        Partner._client_upsert_add_duplicates(results)
        return results

    @api.model
    def _client_upsert_add_duplicates(self, results):
        """Each created client's likely duplicates, by the rules of client_find_duplicates:
        found for all of them at once (a handful of queries, whatever their number)."""
        created = [result for result in results if result.get("created")]
        if not created:
            return
        duplicates = self.browse([result["id"] for result in created])._client_possible_duplicates()
        for result in created:
            result["possible_duplicate_ids"] = duplicates.get(result["id"], [])

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
            company = row[company_position] if company_position is not None else 0
            company = int(company) if str(company or "").isdigit() else 0  # the import reports a bad one
            partner_id = existing.get((company, ref)) if ref else None
            rows.append([*row, str(partner_id) if partner_id else ""])
        return super().load([*fields, ".id"], rows)

    # ---- The call ----

    @api.model
    def _client_upsert_batch(self, indexed_records, context):
        """Rows of one call, in as few savepoints as possible. Existing clients whose values
        are all there answer at once (no savepoint, no write); new clients without lines
        are created in one batch (the ORM's fast path) and changed clients without lines
        written in another (one savepoint, one flush). If a batch fails, each of its rows
        goes again on its own so that only the bad ones fail; the other rows go one by
        one."""
        prepared = []
        for index, record in indexed_records:
            try:
                prepared.append((index, self._client_upsert_prepare(record, context)))
            except psycopg2.Error:
                raise  # checking writes nothing: a database error here is no record's fault
            except Exception as exc:  # noqa: BLE001 - every other failure becomes the record's error
                yield index, self._client_upsert_error(record, exc)
        unchanged, changed, simple, single = self._client_upsert_sort(prepared, context)
        for index, item, partner in unchanged:
            yield index, {"external_ref": item.ref, "id": partner.id, "created": False}
        self._client_upsert_lock_in_order(
            [*single, *((index, item) for index, item, *_rest in changed)], simple, context
        )
        if changed and self._client_upsert_write_batch(changed):
            for index, item, partner, _changes in changed:
                yield index, {"external_ref": item.ref, "id": partner.id, "created": False}
        else:
            single += [(index, item) for index, item, *_rest in changed]
        if simple and (partners := self._client_upsert_create_batch(simple, context)) is not None:
            for (index, item), partner in zip(simple, partners, strict=True):
                context["partners"][(partner.company_id.id or 0, item.ref)] = partner.id
                yield index, {"external_ref": item.ref, "id": partner.id, "created": True}
        else:
            single += simple
        single.sort(key=lambda pair: pair[0])
        if len(single) > 1 and (results := self._client_upsert_together(single, context)) is not None:
            yield from results
        else:
            for index, item in single:
                yield index, self._client_upsert_one(item, context)

    @api.model
    def _client_upsert_sort(self, prepared, context):
        """The rows by the way they are written: (index, item, partner) of the clients that
        have every value already; (index, item, partner, changes) of the clients to write
        in one batch; (index, item) of the new clients to create in one batch, and of the
        rows that go one by one."""
        existing_ids = {context["partners"].get((p.company_key, p.ref)) for _i, p in prepared} - {None, False}
        by_id = {partner.id: partner for partner in self.browse(existing_ids)}  # one prefetch for all
        # A client that is the parent of another row's client is written in the order
        # given (its commercial fields flow to its contacts, which check theirs against it).
        parents = {partner.parent_id.id for partner in by_id.values()} | {
            item.vals.get("parent_id") for _index, item in prepared
        }
        # A reference given twice is written in the order given, one record after the
        # other: none is answered or created ahead of the others (the last one's values win).
        given = collections.Counter((item.company_key, item.ref) for _index, item in prepared)
        unchanged, changed, simple, single = [], [], [], []
        for index, item in prepared:
            key = (item.company_key, item.ref)
            partner_id = context["partners"].get(key)
            partner = by_id.get(partner_id)
            if partner is not None and not item.lines and given[key] == 1:
                changes = self._client_upsert_batch_changes(partner, item, context)
                if changes == {}:
                    unchanged.append((index, item, partner))
                elif changes and not partner.parent_id and "parent_id" not in item.vals and partner.id not in parents:
                    changed.append((index, item, partner, changes))
                else:
                    single.append((index, item))
            elif (
                partner_id is None
                and given[key] == 1
                and not item.lines
                and self._client_upsert_tags_known(item.tags, context)
                and self._client_upsert_has_name(item.vals)
                and not (item.vals.get("parent_id") and set(self._commercial_fields()) & item.vals.keys())
            ):
                simple.append((index, item))
            else:
                single.append((index, item))
        return unchanged, changed, simple, single

    @api.model
    def _client_upsert_create_batch(self, simple, context):
        """The new clients without lines created in one savepoint; None when the batch
        fails (undone: each row goes again on its own)."""
        return self._client_upsert_attempt(
            lambda: self.create([self._client_upsert_create_vals(item, context) for _index, item in simple])
        )

    @api.model
    def _client_upsert_batch_changes(self, partner, item, context):
        """The values of a row without lines that differ from its client ({} when it has
        them all), or None when the row must go on its own (a tag to create, an empty
        name, a value that cannot be compared: its own pass reports what is wrong)."""
        if not self._client_upsert_tags_known(item.tags, context):
            return None
        vals = self._client_upsert_create_vals(item, context)
        vals.pop("external_ref")
        try:
            changes = partner._client_upsert_changes(vals)
        except psycopg2.Error:
            raise
        except Exception:  # noqa: BLE001 - the record's own pass reports what is wrong
            return None
        if "name" in changes and not self._client_upsert_has_name({"type": partner.type, **vals}):
            return None
        return changes

    @api.model
    def _client_upsert_write_batch(self, changed):
        """Write the changes of clients without lines in one savepoint and one flush:
        clients given the same changes in one write(). False when anything fails (the
        savepoint is undone: each row goes again on its own)."""
        groups = {}
        for _index, _item, partner, changes in changed:
            # Tax IDs are normalized by the client's country; a default billing entity, an
            # email or a phone is decided client by client.
            alone = changes.keys() & _WRITTEN_ALONE
            key = (partner.id,) if alone else (partner.country_id.id, repr(sorted(changes.items())))
            groups.setdefault(key, (changes, []))[1].append(partner.id)
        prefetch = [partner.id for _index, _item, partner, _changes in changed]

        def write():
            for changes, ids in groups.values():
                # Read what write() needs for all the clients at once, not client by client.
                self.browse(ids).with_prefetch(prefetch).write(changes)
            return True

        return bool(self._client_upsert_attempt(write))

    @api.model
    @contextlib.contextmanager
    def _client_upsert_lanes(self, records):
        """The lanes of these records' references (_client_upsert_take_lanes) for the
        block. When the block raises because PostgreSQL closed the transaction's
        connection (which freed the lanes on the server), their connection is closed at
        once: Odoo then closes the request's cursor without a rollback, so without the
        hook that closes it. Any other error leaves them to the commit or rollback (an
        addon's override may catch it and go on writing under them)."""
        release = self._client_upsert_take_lanes(records)
        try:
            yield
        except BaseException:
            if release and self.env.cr.closed:
                release()
            raise

    @api.model
    def _client_upsert_take_lanes(self, records):
        """Calls upserting the same references go one after the other, and each one sees
        what the one before it committed, instead of failing with a serialization error
        that Odoo replays (and that reaches the integrator after 5 tries). Called where a
        call enters: XML-RPC / JSON-RPC (client_upsert called by Odoo's call_kw) and the
        HTTP API, before anything is read.

        A reference's lane (its company and itself) is a session advisory lock, held on a
        connection of its own until this transaction commits or rolls back, taken in one
        order. The transaction then starts again (its snapshot, taken when the request
        began, may predate what the calls it waited for committed) and takes a lock of
        its own (LANE_TRANSACTION_KEY, a random key), which the lanes' session waits
        for before freeing the lanes: PostgreSQL frees them when the transaction ends,
        however it ends, even when no code of Odoo's or ours runs then (a connection lost
        at the commit). The commit and rollback hooks close the lanes' connection. A call
        holds them for crm_clients.upsert_lane_hold seconds at most (LANE_HOLD_MAX by
        default), then goes on without them.

        No lane is taken (the call is met by row locks and Odoo's replays, as without
        lanes) by a call of more than LANE_MAX references (a session holds few locks, and
        such a call would make every other wait), by a transaction that has written or
        left something for its commit (it could wait for a call that waits for one of its
        rows, a cycle PostgreSQL cannot see; and its restart would lose it), under Odoo's
        test runner (never committed), when the system parameter crm_clients.upsert_lanes
        is 0 (a pooler that does not keep sessions), nor when no connection is left.

        Returns the function that gives them back (None when none was taken)."""
        if module.current_test or getattr(threading.current_thread(), "testing", False):
            return
        self.check_access("create")  # no lane for a caller who may not upsert
        self.check_access("write")
        params = self.env["ir.config_parameter"].sudo()
        if not str2bool(params.get_param("crm_clients.upsert_lanes") or "1", True):
            return
        keys = self._client_upsert_lane_keys(records)
        if not keys or len(keys) > LANE_MAX:
            return
        cr = self.env.cr
        self.env.flush_all()
        cr.execute("SELECT txid_current_if_assigned() IS NULL")
        hooks = (cr.precommit, cr.postcommit, cr.prerollback, cr.postrollback)
        if not cr.fetchone()[0] or any(hook._funcs or hook.data for hook in hooks):
            return
        lanes = _hold_lanes(cr, keys, _lane_hold(params.get_param("crm_clients.upsert_lane_hold")))
        if lanes is None:
            return

        def release():
            with contextlib.suppress(psycopg2.Error):
                lanes.close()  # what is left of the session ends on the server

        cr.postcommit.add(release)
        cr.prerollback.add(release)  # before the rollback itself, which may fail (a lost connection)
        return release

    @api.model
    def _client_upsert_lane_keys(self, records):
        """The advisory lock keys of these records' lanes: one per reference and company,
        in the caller's companies only."""
        companies = {0, *self.env.user.company_ids.ids}
        default_company = self.env.context.get("default_company_id")
        keys = set()
        for record in records if isinstance(records, (list, tuple)) else ():
            ref = record.get("external_ref") if isinstance(record, dict) else None
            if isinstance(ref, bool) or not isinstance(ref, (str, int)) or not (ref := str(ref).strip()):
                continue  # no reference, no lane (the record reports what is wrong)
            company = record.get("company_id", default_company)
            company = company if isinstance(company, int) and not isinstance(company, bool) else 0
            if company not in companies:
                continue  # a company the caller may not write in: the record fails, no lane of another's
            lane = f"{company}:{ref}".encode("utf-8", "surrogatepass")
            keys.add(
                int.from_bytes(hashlib.blake2b(lane, digest_size=8, person=b"crm_upsert").digest(), "big", signed=True)
            )
        return keys

    @api.model
    def _client_upsert_lock_in_order(self, single, simple, context):
        """Rows taken in one order (the clients written locked by id, the new ones created
        by reference), so that two calls sharing clients wait for each other instead of
        deadlocking."""
        keys = {(item.company_key, item.ref) for _index, item in single}
        if written := sorted(i for i in map(context["partners"].get, keys) if i):
            # A client changed by a call committed since this one began: Odoo replays the
            # call (a serialization failure, not an error worth logging as one).
            self.env.cr.execute(
                "SELECT id FROM res_partner WHERE id IN %s ORDER BY id FOR NO KEY UPDATE",
                [tuple(written)],
                log_exceptions=False,
            )
        simple.sort(key=lambda pair: (pair[1].company_key, pair[1].ref))

    @api.model
    def _client_upsert_together(self, single, context):
        """The rows that go one by one (lines, contacts, new tags, a reference given twice)
        applied in their order in one savepoint, each flushed as it would be in its own (a
        value the database refuses is met at its row): [(index, result)], or None when any
        of them fails (all undone, and what the call learnt on the way forgotten: each row
        goes again in its own savepoint)."""
        new_tags, learnt = [], {}

        def apply():
            results = []
            for index, item in single:
                partner, created = self._client_upsert_apply(item, context, new_tags)
                self.env.flush_all()  # not left for a later row of the call to change first
                key = (partner.company_id.id or 0, partner.external_ref)
                learnt.setdefault(key, context["partners"].get(key))
                context["partners"][key] = partner.id
                results.append((index, {"external_ref": item.ref, "id": partner.id, "created": created}))
            return results

        if (results := self._client_upsert_attempt(apply)) is None:
            self._client_upsert_forget(new_tags, learnt, context)
        return results

    @api.model
    def _client_upsert_attempt(self, write):
        """``write()`` for rows written together, in one savepoint, flushed: its result,
        or None when it failed (undone: each row goes again in its own savepoint, and
        reports its error). What Odoo must see to replay the call goes up."""
        try:
            with self.env.cr.savepoint():
                result = write()
                self.env.flush_all()
        except errors.UniqueViolation as exc:
            if exc.diag.constraint_name == _EXTERNAL_REF_INDEX:
                raise ConcurrentUpsert(str(exc)) from exc
            return None
        except errors.ProgramLimitExceeded:  # a value too big for an index: one record's fault
            return None
        except (psycopg2.OperationalError, psycopg2.InterfaceError):
            raise  # serialization failures, deadlocks, lost connections: Odoo replays or fails
        except Exception:  # noqa: BLE001 - each record goes again on its own
            return None
        return result

    @api.model
    def _client_upsert_forget(self, new_tags, learnt, context):
        """After a savepoint undone: the tags it created and the references it gave are
        gone again."""
        for name in new_tags:
            context["tags"].pop(name, None)
        for key, partner_id in learnt.items():
            if partner_id is None:
                context["partners"].pop(key, None)
            else:
                context["partners"][key] = partner_id

    @api.model
    def _client_upsert_one(self, item, context):
        """One record in its own savepoint: whatever it breaks is undone and reported as
        its error, except what Odoo must see to replay the request."""
        new_tags = []
        try:
            with self.env.cr.savepoint():
                partner, created = self._client_upsert_apply(item, context, new_tags)
                self.env.flush_all()
        except errors.UniqueViolation as exc:
            if exc.diag.constraint_name == _EXTERNAL_REF_INDEX:
                # A concurrent call created this reference since our snapshot: replay.
                raise ConcurrentUpsert(str(exc)) from exc
            error = self._client_upsert_error({"external_ref": item.ref}, exc)
        except errors.ProgramLimitExceeded as exc:  # a value too big for an index: this record's fault
            error = self._client_upsert_error({"external_ref": item.ref}, exc)
        except (psycopg2.OperationalError, psycopg2.InterfaceError):
            raise  # serialization failures, deadlocks, lost connections: Odoo replays or fails
        except Exception as exc:  # noqa: BLE001 - every other failure becomes the record's error
            error = self._client_upsert_error({"external_ref": item.ref}, exc)
        else:
            context["partners"][(partner.company_id.id or 0, partner.external_ref)] = partner.id
            return {"external_ref": item.ref, "id": partner.id, "created": created}
        for name in new_tags:  # created in the savepoint just undone
            context["tags"].pop(name, None)
        return error

    @api.model
    def _client_upsert_apply(self, item, context, new_tags):
        partner_id = context["partners"].get((item.company_key, item.ref))
        if partner_id is False:
            raise UpsertRecordError(
                self.env._("The external reference %(ref)s belongs to a partner you cannot access.", ref=item.ref)
            )
        vals = dict(item.vals)
        if item.tags is not None:
            vals["category_id"] = [Command.set(self._client_upsert_tag_ids(item.tags, context, new_tags))]
        if partner_id:
            partner = self.browse(partner_id)
            if "name" in vals and not self._client_upsert_has_name({"type": partner.type, **vals}):
                raise UpsertRecordError(self.env._("name cannot be empty."))
            vals = self._client_upsert_commercial_vals(vals, partner)
            if changes := partner._client_upsert_changes(vals):
                partner.write(changes)
            partner._client_upsert_merge_lines(item.lines)
            return partner, False
        if not self._client_upsert_has_name(vals):
            raise UpsertRecordError(self.env._("name is required to create a client."))
        vals = self._client_upsert_commercial_vals(vals, self.browse())
        partner = self.create({**vals, "external_ref": item.ref})
        partner._client_upsert_merge_lines(item.lines)
        return partner, True

    @api.model
    def _client_upsert_commercial_vals(self, vals, partner):
        """Commercial fields (tax ID, status, type, stars...) of a contact are its client's:
        given equal to the client's, they are dropped (nothing to write); different, they
        are refused (Odoo replaces them with the client's on create, keeps them on write:
        a second identical call would change the contact)."""
        parent_id = vals.get("parent_id", partner.parent_id.id)
        is_company = vals.get("is_company", partner.is_company)
        commercial_fields = set(self._commercial_fields()) & vals.keys()
        if not parent_id or is_company or not commercial_fields:
            return vals
        client = self.browse(parent_id).commercial_partner_id
        if differing := client._client_upsert_changes({fname: vals[fname] for fname in commercial_fields}):
            raise UpsertRecordError(
                self.env._(
                    "%(fields)s belong to the client %(client)s: give them on its record.",
                    fields=", ".join(sorted(differing)),
                    client=client.display_name,
                )
            )
        return {fname: value for fname, value in vals.items() if fname not in commercial_fields}

    @api.model
    def _client_upsert_create_vals(self, item, context):
        vals = {**item.vals, "external_ref": item.ref}
        if item.tags is not None:
            vals["category_id"] = [Command.set(self._client_upsert_tag_ids(item.tags, context, []))]
        return vals

    @api.model
    def _client_upsert_error(self, record, exc):
        try:
            ref = (
                self._client_upsert_ref(record.get("external_ref"), "external_ref") if isinstance(record, dict) else ""
            )
        except UpsertRecordError:
            ref = ""
        return {"external_ref": ref or False, "error": self._client_upsert_message(exc)}

    @api.model
    def _client_upsert_message(self, exc):
        """A message a person can act on, in the user's language."""
        _ = self.env._
        if isinstance(exc, UpsertRecordError):
            return str(exc)
        if isinstance(exc, UserError):  # access, validation and missing-record errors too
            return exc.args[0] if exc.args else str(exc)
        if isinstance(exc, psycopg2.Error):
            diag = exc.diag
            detail = diag.message_primary or str(exc)
            field = self._fields.get(diag.column_name or "") if diag.table_name == self._table else None
            if isinstance(exc, errors.NotNullViolation):
                return _("%(field)s is required.", field=field.name if field else diag.column_name)
            if isinstance(exc, errors.ForeignKeyViolation):
                return _(
                    "The record refers to something that does not exist: %(detail)s",
                    detail=diag.message_detail or detail,
                )
            if diag.constraint_name and diag.constraint_name in self.pool._sql_constraints:
                # The constraint's own message (e.g. "Contacts require a name"), translated.
                lang = self.env.lang or "en_US"
                with contextlib.suppress(TypeError):
                    return translate_sql_constraint(self.env.cr, diag.constraint_name, lang)
            if isinstance(exc, errors.ProgramLimitExceeded):
                return _("A value of the record is too long for the database: %(detail)s", detail=detail)
            return _("The database refused the record: %(detail)s", detail=detail)
        _logger.exception("client_upsert: unexpected error on one record")
        return _(
            "The record could not be saved because of an unexpected error (logged on the server): %(error)s",
            error=str(exc) or type(exc).__name__,
        )

    # ---- Checking a record ----

    @api.model
    def _client_upsert_prepare(self, record, context):
        """Check a record and turn it into ORM values, before anything is written; an
        UpsertRecordError says what is wrong."""
        _ = self.env._
        if not isinstance(record, dict):
            raise UpsertRecordError(_("Each record must be a dictionary of field values."))
        ref = self._client_upsert_ref(record.get("external_ref"), "external_ref")
        if not ref:
            raise UpsertRecordError(_("external_ref is required to upsert a client."))
        vals = self._client_upsert_fields(
            self, {key: value for key, value in record.items() if key not in _CONVENIENCES}, context
        )
        if "company_id" not in record and context["default_company"] not in (None, False):
            vals["company_id"] = self._client_upsert_value(
                self._fields["company_id"], context["default_company"], context
            )
        company_key = vals.get("company_id") or 0
        status = record.get("status")
        if self._client_upsert_given(status):
            if not isinstance(status, str) or not self._client_upsert_storable(status):
                raise UpsertRecordError(_("status must be the name of a client status."))
            status_id = context["statuses"].get(status.strip().lower())
            if not status_id:
                raise UpsertRecordError(_("Unknown client status %(status)s.", status=status))
            vals["client_status_id"] = status_id
        code = record.get("country_code")
        if self._client_upsert_given(code):
            country_id = context["countries"].get(code.strip().upper()) if isinstance(code, str) else None
            if not country_id:
                raise UpsertRecordError(_("Unknown country code %(code)s.", code=self._client_upsert_shown(code)))
            vals["country_id"] = country_id
        tags = None
        if "tags" in record:
            tags = self._client_upsert_tag_names(record["tags"])
        if vals.get("client_properties"):
            self._client_upsert_check_properties(vals["client_properties"], company_key, context)
        parent_ref = self._client_upsert_ref(record.get("parent_external_ref"), "parent_external_ref")
        if parent_ref:
            parent_id = context["partners"].get((company_key, parent_ref))
            if not parent_id:
                raise UpsertRecordError(_("No client has the external reference %(ref)s.", ref=parent_ref))
            vals["parent_id"] = parent_id
        return _Prepared(ref, company_key, vals, tags, self._client_upsert_lines(record, context))

    @api.model
    def _client_upsert_lines(self, record, context):
        """Emails, phones and billing entities of a record, each checked like the record."""
        _ = self.env._
        lines = {}
        for kind in _LINE_KINDS:
            given = record.get(kind)
            if given is None or given is False:
                continue
            if not isinstance(given, (list, tuple)):
                raise UpsertRecordError(_("%(key)s must be a list of dictionaries.", key=kind))
            if kind == "billing_entities":
                Model, value_field, refused = self, "vat", {"parent_id"}
            else:
                Model = self.env["crm.client.email" if kind == "emails" else "crm.client.phone"]
                value_field, refused = Model._channel_value_field, {"partner_id"}
            items = []
            for position, item in enumerate(given, 1):
                try:
                    if not isinstance(item, dict):
                        raise UpsertRecordError(_("each item must be a dictionary."))
                    value = item.get(value_field)
                    if not isinstance(value, str) or not value.strip():
                        raise UpsertRecordError(_("%(field)s is required (a text).", field=value_field))
                    items.append(self._client_upsert_fields(Model, item, context, refused))
                except UpsertRecordError as exc:
                    raise UpsertRecordError(
                        _("%(key)s #%(position)s: %(error)s", key=kind, position=position, error=exc)
                    ) from exc
            if kind == "phones" and sum(1 for item in items if item.get("is_mobile")) > 1:
                raise UpsertRecordError(_("phones: only one line can be the mobile (is_mobile)."))
            if items:
                lines[kind] = items
        return lines

    @api.model
    def _client_upsert_fields(self, Model, values, context, refused=()):
        """ORM values of the plain fields of ``Model`` given in ``values``: only fields the
        user may write through ``write()``, each with a value of its type."""
        _ = self.env._
        vals = {}
        for key, value in values.items():
            field = Model._fields.get(key) if isinstance(key, str) else None
            if field is None or not field.is_accessible(self.env):
                # Fields of groups the user is not in are as unknown as they are to read().
                raise UpsertRecordError(_("Unknown field %(field)s.", field=self._client_upsert_shown(key)))
            if (
                key in refused
                or key in _NOT_WRITABLE
                or field.automatic
                or field.readonly
                or field.type not in _WRITABLE_TYPES
            ):
                hints = {
                    "child_ids": "parent_external_ref",
                    "email_ids": "emails",
                    "phone_ids": "phones",
                    "billing_entity_ids": "billing_entities",
                }
                if hint := hints.get(key):
                    raise UpsertRecordError(
                        _("The field %(field)s cannot be written here: use %(hint)s.", field=key, hint=hint)
                    )
                raise UpsertRecordError(_("The field %(field)s cannot be written.", field=key))
            vals[key] = self._client_upsert_value(field, value, context)
        return vals

    @api.model
    def _client_upsert_value(self, field, value, context):
        """The ORM value of ``value`` for ``field``; an UpsertRecordError when it is not of
        the field's type (the ORM would store ``str()`` of a dictionary in a char field)."""
        _ = self.env._
        name, kind = field.name, field.type
        if value is None or (value is False and kind != "boolean"):
            return [Command.clear()] if kind == "many2many" else False
        if kind == "many2one":
            return self._client_upsert_ids(field, [value], context)[0]
        if kind == "many2many":
            if not isinstance(value, (list, tuple)):
                raise UpsertRecordError(_("%(field)s must be a list of ids.", field=name))
            return [Command.set(self._client_upsert_ids(field, value, context))]
        if kind in ("binary", "image"):
            try:
                if not isinstance(value, str):
                    raise TypeError(value)
                base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError, TypeError) as exc:
                raise UpsertRecordError(_("%(field)s must be base64-encoded content.", field=name)) from exc
            return value
        if kind == "properties":
            # Values only, {name: value}: a list would be definitions, which live on the
            # company's attribute set, not on the record (checked in _client_upsert_prepare).
            if not isinstance(value, dict) or not all(isinstance(key, str) for key in value):
                raise UpsertRecordError(_("%(field)s must be a dictionary of attribute values.", field=name))
            return value
        allowed = field.get_values(self.env) if kind == "selection" else None
        return self._client_upsert_scalar(kind, value, name, allowed)

    @api.model
    def _client_upsert_scalar(self, kind, value, name, allowed=None):
        """A value of a plain type (of a field or a client attribute), checked."""
        _ = self.env._
        if isinstance(value, bool) != (kind == "boolean"):
            valid = False
        elif kind == "boolean":
            valid = True
        elif kind == "integer":
            valid = isinstance(value, int) and _INTEGER_RANGE[0] <= value <= _INTEGER_RANGE[1]
            if isinstance(value, int) and not valid:
                raise UpsertRecordError(
                    _(
                        "%(field)s must be between %(low)s and %(high)s.",
                        field=name,
                        low=_INTEGER_RANGE[0],
                        high=_INTEGER_RANGE[1],
                    )
                )
        elif kind in ("float", "monetary"):
            valid = isinstance(value, (int, float)) and math.isfinite(value)
            if valid and abs(value) >= _FLOAT_LIMIT:
                raise UpsertRecordError(
                    _(
                        "%(field)s must be between -%(limit)s and %(limit)s.",
                        field=name,
                        limit=format(_FLOAT_LIMIT, ".0e"),
                    )
                )
        elif kind in ("char", "text", "html"):
            valid = isinstance(value, str)
            if valid:
                self._client_upsert_check_text(value, name)
            if valid and kind == "char" and len(value) > MAX_CHAR_LENGTH:
                raise UpsertRecordError(
                    _("%(field)s is longer than %(limit)s characters.", field=name, limit=MAX_CHAR_LENGTH)
                )
        elif kind == "selection":
            valid = self._client_upsert_check_selection(value, name, allowed)
        elif kind in ("date", "datetime"):
            convert = fields.Date.to_date if kind == "date" else fields.Datetime.to_datetime
            try:
                valid = isinstance(value, (str, datetime.date)) and convert(value)
            except (ValueError, TypeError, OverflowError):
                valid = False
            if not valid:
                example = "2024-12-31" if kind == "date" else "2024-12-31 23:59:59"
                raise UpsertRecordError(_("%(field)s must be a date like %(example)s.", field=name, example=example))
            return valid
        else:
            raise UpsertRecordError(_("The field %(field)s cannot be written.", field=name))
        if not valid:
            message = {
                "boolean": _("%(field)s must be true or false.", field=name),
                "integer": _("%(field)s must be a whole number.", field=name),
                "float": _("%(field)s must be a finite number.", field=name),
                "monetary": _("%(field)s must be a finite number.", field=name),
            }.get(kind) or _("%(field)s must be a text.", field=name)
            raise UpsertRecordError(message)
        return float(value) if kind in ("float", "monetary") else value

    @api.model
    def _client_upsert_check_selection(self, value, name, allowed):
        """True when ``value`` is one of ``allowed``; else an UpsertRecordError listing them."""
        _ = self.env._
        if isinstance(value, (str, int)) and value in allowed:
            return True
        if len(allowed) > 20:  # time zones, languages: too many to list
            raise UpsertRecordError(
                _("%(value)s is not a valid value for %(field)s.", value=self._client_upsert_shown(value), field=name)
            )
        raise UpsertRecordError(
            _(
                "%(value)s is not a valid value for %(field)s; allowed: %(allowed)s.",
                value=self._client_upsert_shown(value),
                field=name,
                allowed=", ".join(str(v) for v in allowed),
            )
        )

    @api.model
    def _client_upsert_ids(self, field, values, context):
        """Ids the user can read among those of ``field``'s comodel; anything else is
        unknown (guessing ids never reaches another company's records)."""
        _ = self.env._
        if not all(isinstance(value, int) and not isinstance(value, bool) for value in values):
            if field.type == "many2one":
                raise UpsertRecordError(_("%(field)s must be an id (a whole number).", field=field.name))
            raise UpsertRecordError(_("%(field)s must be a list of ids (whole numbers).", field=field.name))
        for value in values:
            if not self._client_upsert_readable_ids(field.comodel_name, [value], context):
                model = self.env["ir.model"].sudo()._get(field.comodel_name).name  # sudo: its label only
                raise UpsertRecordError(
                    _("Unknown %(model)s id %(id)s for %(field)s.", model=model, id=value, field=field.name)
                )
        return list(dict.fromkeys(values))

    @api.model
    def _client_upsert_fetch_readable(self, comodel, ids, context):
        readable = context["readable"].setdefault(comodel, {})
        candidates = [i for i in ids if 0 < i <= _INTEGER_RANGE[1]]
        found = set(self.env[comodel].browse(candidates).exists()._filtered_access("read").ids)
        readable.update({i: i in found for i in ids})

    @api.model
    def _client_upsert_check_properties(self, values, company_key, context):
        """Client attributes: names defined for the record's company (else the main
        company), each value of its attribute's type; relational values readable ids."""
        _ = self.env._
        definitions = context["attributes"].get(company_key)
        if definitions is None:
            # sudo: the definitions are read to check values, as the form shows them.
            Set = self.env["crm.client.attribute.set"].sudo()
            company = company_key or self.env["res.company"].sudo().search([], order="id", limit=1).id
            attribute_set = Set.search([("company_id", "=", company)], limit=1)
            definitions = {item["name"]: item for item in attribute_set.definition or []}
            context["attributes"][company_key] = definitions
        for name, value in values.items():
            definition = definitions.get(name)
            if definition is None:
                raise UpsertRecordError(_("Unknown client attribute %(name)s.", name=self._client_upsert_shown(name)))
            if value is None or value is False:
                continue
            kind = definition.get("type")
            options = [option[0] for option in definition.get("selection") or definition.get("tags") or []]
            if kind in ("many2one", "many2many"):
                ids = [value] if kind == "many2one" else value
                valid = isinstance(ids, (list, tuple)) and self._client_upsert_readable_ids(
                    definition.get("comodel"), ids, context
                )
            elif kind == "tags":
                valid = isinstance(value, (list, tuple)) and all(item in options for item in value)
            else:
                self._client_upsert_scalar(kind, value, name, options)
                valid = True
            if not valid:
                raise UpsertRecordError(
                    _(
                        "%(value)s is not a valid value for the client attribute %(name)s.",
                        value=self._client_upsert_shown(value),
                        name=name,
                    )
                )

    @api.model
    def _client_upsert_readable_ids(self, comodel, ids, context):
        """True when every id is an id of ``comodel`` the user can read."""
        if not comodel or comodel not in self.env:
            return False
        if not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            return False
        readable = context["readable"].setdefault(comodel, {})
        if missing := {i for i in ids if i not in readable}:
            self._client_upsert_fetch_readable(comodel, missing, context)
        return all(readable[i] for i in ids)

    @api.model
    def _client_upsert_ref(self, value, key):
        """A reference as text ('' when not given): an id in another system, text or number."""
        if value is None or value is False:
            return ""
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise UpsertRecordError(self.env._("%(key)s must be a text.", key=key))
        ref = str(value).strip()
        self._client_upsert_check_text(ref, key)
        if len(ref) > MAX_REF_LENGTH:
            raise UpsertRecordError(
                self.env._("%(key)s is longer than %(limit)s characters.", key=key, limit=MAX_REF_LENGTH)
            )
        return ref

    @api.model
    def _client_upsert_check_text(self, value, key):
        if not self._client_upsert_storable(value):
            raise UpsertRecordError(
                self.env._("%(key)s contains characters that cannot be stored (NUL or an unpaired surrogate).", key=key)
            )

    @api.model
    def _client_upsert_storable(self, text):
        """PostgreSQL refuses NUL characters; UTF-8 cannot carry unpaired surrogates (which
        JSON's \\ud800 escapes can produce)."""
        if "\x00" in text:
            return False
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True

    @api.model
    def _client_upsert_shown(self, value):
        shown = value if isinstance(value, str) and self._client_upsert_storable(value) else repr(value)
        return shown if len(shown) <= 80 else shown[:77] + "..."

    @api.model
    def _client_upsert_given(self, value):
        """False for what means "not given": null, false, a blank text (0 is given)."""
        return not (value is None or value is False or (isinstance(value, str) and not value.strip()))

    @api.model
    def _client_upsert_has_name(self, vals):
        name = vals.get("name")
        return (vals.get("type") or "contact") != "contact" or (isinstance(name, str) and bool(name.strip()))

    # ---- Tags ----

    @api.model
    def _client_upsert_tag_names(self, names):
        _ = self.env._
        if names is None or names is False:
            return []
        if not isinstance(names, (list, tuple)) or not all(isinstance(name, str) for name in names):
            raise UpsertRecordError(_("tags must be a list of tag names."))
        result = []
        for name in names:
            self._client_upsert_check_text(name, "tags")
            if name.strip():
                result.append(name.strip())
        return result

    @api.model
    def _client_upsert_tags_known(self, names, context):
        return all(name.lower() in context["tags"] for name in names or [])

    @api.model
    def _client_upsert_tag_ids(self, names, context, new_tags):
        """Ids of the tags named (case-insensitive), created when missing."""
        Tag = self.env["res.partner.category"]
        ids = []
        for name in names:
            if name.lower() not in context["tags"]:
                context["tags"][name.lower()] = Tag.create({"name": name}).id
                new_tags.append(name.lower())
            ids.append(context["tags"][name.lower()])
        return list(dict.fromkeys(ids))

    # ---- Looked up once per call ----

    @api.model
    def _client_upsert_context(self, records):
        """Everything looked up once for the whole call: statuses, countries, the partners
        of the references, tags, and which of the ids given the user can read."""
        Status = self.env["crm.client.status"]
        statuses = {}
        for lang in {"en_US", self.env.lang or "en_US"}:
            for status in Status.with_context(lang=lang, active_test=False).search([]):
                statuses.setdefault(status.name.strip().lower(), status.id)
        dicts = [record for record in records if isinstance(record, dict)]
        codes = {
            rec["country_code"].strip().upper()
            for rec in dicts
            if isinstance(rec.get("country_code"), str) and self._client_upsert_storable(rec["country_code"])
        }
        countries = {c.code: c.id for c in self.env["res.country"].search([("code", "in", list(codes - {""}))])}
        refs = set()
        for rec in dicts:
            for key in ("external_ref", "parent_external_ref"):
                try:
                    refs.add(self._client_upsert_ref(rec.get(key), key))
                except UpsertRecordError:
                    continue  # the record reports it
        context = {
            "statuses": statuses,
            "countries": countries,
            "partners": self._client_find_by_external_refs(refs - {""}, readable_only=True),
            "tags": self._client_upsert_existing_tags(dicts),
            "readable": {},
            "attributes": {},
        }
        self._client_upsert_prefetch_readable(dicts, context)
        return context

    @api.model
    def _client_upsert_existing_tags(self, records):
        names = set()
        for rec in records:
            tags = rec.get("tags")
            if isinstance(tags, (list, tuple)):
                names.update(
                    name.strip().lower()
                    for name in tags
                    if isinstance(name, str) and name.strip() and self._client_upsert_storable(name)
                )
        if not names:
            return {}
        # =ilike compares without case; escaped, a tag named "%" is not a wildcard.
        domain = expression.OR([[("name", "=ilike", escape_psql(name))] for name in names])
        tags = {}
        for tag in self.env["res.partner.category"].search(domain, order="id"):
            tags.setdefault(tag.name.lower(), tag.id)
        return tags

    @api.model
    def _client_upsert_prefetch_readable(self, records, context):
        """One query per comodel for the ids of every relational field of the call."""
        wanted = {}

        def collect(Model, values):
            for key, value in values.items():
                field = Model._fields.get(key) if isinstance(key, str) else None
                if field is None or field.type not in ("many2one", "many2many"):
                    continue
                given = value if isinstance(value, (list, tuple)) else [value]
                wanted.setdefault(field.comodel_name, set()).update(
                    item for item in given if isinstance(item, int) and not isinstance(item, bool)
                )

        for record in records:
            collect(self, record)
            for kind in _LINE_KINDS:
                items = record.get(kind)
                if isinstance(items, (list, tuple)):
                    Model = (
                        self
                        if kind == "billing_entities"
                        else self.env["crm.client.email" if kind == "emails" else "crm.client.phone"]
                    )
                    for item in items:
                        if isinstance(item, dict):
                            collect(Model, item)
        for comodel, ids in wanted.items():
            if ids and comodel in self.env:
                self._client_upsert_fetch_readable(comodel, ids, context)

    @api.model
    def _client_find_by_external_refs(self, refs, readable_only=False):
        """{(company_id or 0, external_ref): partner id} of the partners with these refs,
        archived ones included. With ``readable_only``, a reference of a partner the user
        cannot read maps to False (it is taken, but not by anything the user may touch)."""
        if not refs:
            return {}
        refs = list(refs)
        Partner = self.with_context(active_test=False)
        if readable_only:
            # sudo: find references taken by partners the user cannot read, to refuse them
            # instead of trying to create a second client with the same reference.
            found_sudo = Partner.sudo().search_fetch([("external_ref", "in", refs)], ["external_ref", "company_id"])
            readable = set(found_sudo.with_env(self.env)._filtered_access("read").ids)
            found = [(p.company_id.id or 0, p.external_ref, p.id if p.id in readable else False) for p in found_sudo]
        else:
            found = [
                (p.company_id.id or 0, p.external_ref, p.id)
                for p in Partner.search_fetch([("external_ref", "in", refs)], ["external_ref", "company_id"])
            ]
        result = {}
        # References of merged clients lead to the client that absorbed them.
        aliases = self.env["crm.client.external.ref.alias"].sudo().search([("external_ref", "in", refs)])
        readable_alias_targets = set(aliases.partner_id.with_env(self.env)._filtered_access("read").ids)
        for alias in aliases:
            target = alias.partner_id.id
            result[(alias.company_id.id or 0, alias.external_ref)] = (
                target if target in readable_alias_targets else False
            )
        result.update({(company, ref): partner_id for company, ref, partner_id in found})
        if not readable_only:
            result = {key: partner_id for key, partner_id in result.items() if partner_id}
        return result

    @api.model
    def _client_upsert_company_key(self, record, context):
        """The company a record's references belong to, before it is checked."""
        company = record["company_id"] if "company_id" in record else context["default_company"]
        return company if isinstance(company, int) and not isinstance(company, bool) else 0

    @api.model
    def _client_upsert_parent_ready(self, record, context):
        if not isinstance(record, dict):
            return True
        try:
            parent_ref = self._client_upsert_ref(record.get("parent_external_ref"), "parent_external_ref")
        except UpsertRecordError:
            return True  # the record reports it
        return not parent_ref or (self._client_upsert_company_key(record, context), parent_ref) in context["partners"]

    # ---- Writing ----

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
                    elif command[0] == Command.CLEAR:
                        new_ids = set()
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
        others kept); billing entities matched by tax ID. ``lines`` come checked from
        _client_upsert_lines."""
        self.ensure_one()
        for kind, model_name in (("emails", "crm.client.email"), ("phones", "crm.client.phone")):
            if not (given := lines.get(kind)):
                continue
            Model = self.env[model_name]
            value_field = Model._channel_value_field
            existing = {line[value_field]: line for line in Model.search([("partner_id", "=", self.id)])}
            for item_vals in given:
                normalized = Model._channel_normalize(item_vals[value_field], self)[0]
                line = existing.get(normalized)
                if line:
                    diff = {
                        k: v for k, v in item_vals.items() if k != value_field and (line[k] or False) != (v or False)
                    }
                    if diff:
                        line.write(diff)
                else:
                    existing[normalized] = Model.create({**item_vals, "partner_id": self.id})
        if entities := lines.get("billing_entities"):
            current = {}
            for entity in self.with_context(active_test=False).billing_entity_ids:
                current[polish_ids.nip_digits(entity.vat or "") or (entity.vat or "").upper()] = entity
            for item_vals in entities:
                vat = item_vals["vat"]
                key = polish_ids.nip_digits(vat) or vat.upper()
                entity = current.get(key)
                if entity:
                    changes = entity._client_upsert_changes({k: v for k, v in item_vals.items() if k != "vat"})
                    if changes:
                        entity.write(changes)
                else:
                    current[key] = self.create({**item_vals, "parent_id": self.id, "is_billing_entity": True})
        return True
