"""Internal switches: context keys that only our own Python code can turn on.

Odoo applies whatever context a caller sends (XML-RPC, JSON-RPC, an action, a URL), so a
context key set to ``True`` is caller input, never a switch of a guarantee. Our switches
are set to a private object instead: a caller's context is made of JSON or XML-RPC values
and can never hold it (account's ``bypass_token`` for its audit trail is the same idea).

    records.with_context(**switch_on(MERGE))   # our code
    if is_on(self.env, MERGE): ...             # honoured only when set like that
"""

_TOKEN = object()

# The partner's own email / phone / mobile is being mirrored into its lines: values that
# do not parse are kept as typed and flagged instead of refused (core treats them as text).
SYNC_FROM_PARTNER = "crm_clients_sync_from_partner"
# A line is being written because of the partner: do not write the partner back.
SYNC_TO_PARTNER_DONE = "crm_clients_sync_done"
# A merge moves locked lines unchanged (the one exception to locking, see the contract).
MERGE = "crm_clients_merge"
# The partner being created belongs to a user or a company, not a client.
SKIP_CLIENT_DEFAULTS = "crm_clients_not_a_client"
# Contacts archived or restored with their client: no cascade of their own.
CASCADE = "crm_clients_cascade"
# The default client status moves from one record to another (checked after both writes).
STATUS_DEFAULT_SWAP = "crm_client_status_default_swap"


def switch_on(*keys):
    """Context values turning these internal switches on (for ``with_context(**...)``)."""
    return dict.fromkeys(keys, _TOKEN)


def is_on(env, key):
    """True when our own code turned this switch on; a caller's ``True`` does not count."""
    return env.context.get(key) is _TOKEN
