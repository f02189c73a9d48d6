"""PostgreSQL settings for one statement, and index upkeep."""

import logging
from contextlib import contextmanager

import psycopg2

from odoo.tools import SQL

_logger = logging.getLogger(__name__)


@contextmanager
def local_settings(cr, settings):
    """Run the statements of the ``with`` block under these PostgreSQL settings
    (``{"jit": "off"}``), then give the transaction its own values back.

    Not given back when the block raises: a statement that fails aborts the transaction,
    and rolling it (or its savepoint) back restores them."""
    names = list(settings)
    # Read, then set (a SELECT's columns are computed in order). A setting of an extension
    # not loaded yet in this connection reads NULL: given back as NULL, it returns to its
    # default.
    cr.execute(
        SQL(
            "SELECT %s, %s",
            SQL(", ").join(SQL("current_setting(%s, true)", name) for name in names),
            SQL(", ").join(SQL("set_config(%s, %s, true)", name, settings[name]) for name in names),
        )
    )
    previous = cr.fetchone()[: len(names)]
    yield
    cr.execute(
        SQL(
            "SELECT %s",
            SQL(", ").join(
                SQL("set_config(%s, %s, true)", name, value) for name, value in zip(names, previous, strict=True)
            ),
        )
    )


def gin_flush_pending(cr, index):
    """Move the entries waiting in the pending list of the GIN index ``index`` (its
    ``fastupdate`` list) into the index itself, ahead of many lookups through it.

    Rows written since the last clean-up sit in that list, which every lookup reads from
    end to end: after an import of a few thousand clients, each lookup reads them all.
    The clean-up is work PostgreSQL does anyway (when the list reaches
    ``gin_pending_list_limit``, or at the next VACUUM); done here, it is done once instead
    of read again by each lookup. Skipped, without an error, where it may not run: a
    role without the owner's privileges on the index, a replica, a read-only
    transaction, no such GIN index; and given up after 100 ms of waiting for another
    clean-up of the same list (autovacuum, another call): a speed-up never holds the
    caller up."""
    try:
        with cr.savepoint(flush=False), local_settings(cr, {"lock_timeout": "100ms"}):
            cr.execute(
                SQL(
                    """SELECT gin_clean_pending_list(c.oid)
                         FROM pg_class c JOIN pg_am am ON am.oid = c.relam AND am.amname = 'gin'
                        WHERE c.oid = to_regclass(%s)
                          AND pg_has_role(c.relowner, 'USAGE')
                          AND NOT pg_is_in_recovery()
                          AND NOT current_setting('transaction_read_only')::bool""",
                    index,
                ),
                log_exceptions=False,
            )
    except psycopg2.errors.LockNotAvailable:
        _logger.info("The pending list of %s is being cleaned up by another session: not waited for.", index)
