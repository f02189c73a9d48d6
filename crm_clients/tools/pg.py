"""PostgreSQL settings for one statement."""

from contextlib import contextmanager

from odoo.tools import SQL


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
