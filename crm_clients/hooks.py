from odoo.tools import SQL

# Indexes of ours on core's columns: uninstalling drops our columns (and the indexes and
# constraints on them), not these.
_CORE_COLUMN_INDEXES = tuple(f"res_partner_{column}_crm_trgm" for column in ("vat", "name", "email", "phone", "mobile"))


def post_init_hook(env):
    """Partners that existed before the install get what a new partner gets: email and
    phone lines, normalized identifiers, a client number (in creation order) and the
    default status; the Data Quality report lists what does not look right."""
    env["res.partner"]._client_install_existing_partners()


def uninstall_hook(env):
    """Leave core's tables as they were before the install."""
    cr = env.cr
    for index in _CORE_COLUMN_INDEXES:
        cr.execute(SQL("DROP INDEX IF EXISTS %s", SQL.identifier(index)))
    if "phone_mobile_search" not in env["res.partner"]._fields:
        # phone_validation's index of phones, made by our install for partners that are not
        # phone threads (without sms): phone_validation would not have made it. With sms,
        # it stays: phone_validation makes it at its next update wherever pg_trgm exists.
        for column in ("phone", "mobile"):
            cr.execute(SQL("DROP INDEX IF EXISTS %s", SQL.identifier(f"res_partner_{column}_partial_gin_idx")))
    if "crm.client.change" in env:
        # The change feed's triggers on res_partner and the functions they call.
        env["crm.client.change"]._feed_drop_sql_objects()
    # The uninstall deletes our records (statuses, relation types...) before the columns
    # and tables pointing to them: partners' statuses would refuse it (ondelete restrict),
    # others would be updated one by one (set null). The foreign keys go first: what
    # points to our tables is removed with them.
    tables = [
        model._table
        for model in env.registry.values()
        if model._original_module == "crm_clients" and model._auto and not model._abstract
    ]
    cr.execute(
        """SELECT conrelid::regclass::text, conname FROM pg_constraint
            WHERE contype = 'f' AND confrelid IN (SELECT oid FROM pg_class WHERE relname = ANY(%s))""",
        [tables],
    )
    for table, constraint in cr.fetchall():
        cr.execute(SQL("ALTER TABLE %s DROP CONSTRAINT %s", SQL(table), SQL.identifier(constraint)))
