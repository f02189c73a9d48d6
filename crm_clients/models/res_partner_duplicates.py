"""client_find_duplicates: groups of likely duplicate clients (see CONTRACT.md)."""

from odoo import api, models
from odoo.exceptions import AccessError
from odoo.osv import expression
from odoo.tools import SQL

# Legal forms and noise words left out when comparing names ("Kowalski Sp. z o.o." and
# "KOWALSKI spółka z o.o." are the same name), matched once punctuation became spaces.
_NAME_NOISE = (
    r"\m(sp z o o|spółka z o o|spolka z o o|spółka z ograniczoną odpowiedzialnością|z o o|sp k a|s a|sp j|sp k|"
    r"sp p|s c|gmbh|ltd|inc|llc|sarl|s r l|b v|ab|oy|spółka|spolka|sp)\M"
)
# Similar names are compared within blocks of names starting alike; a larger block is too
# generic to say anything ("Client 1", "Client 2", ...) and is skipped.
_BLOCK_MAX = 200
_SIMILARITY = 0.6


class ResPartner(models.Model):
    _inherit = "res.partner"

    @api.model
    def client_find_duplicates(self, domain=None):
        """Groups of clients that are likely the same: by normalized tax ID, email, phone,
        name, and similar names. ``domain`` narrows the clients compared (access rules
        apply). For the staff: portal and public users are refused."""
        if not self.env.su and not self.env.user._is_internal():
            raise AccessError(self.env._("Only internal users can look for duplicate clients."))
        self.env.flush_all()  # the queries below read the tables directly
        ids = self._search(expression.AND([domain or [], [("is_client", "=", True)]])).subselect()
        cr = self.env.cr
        groups = []
        for reason, query in (
            ("vat", self._client_duplicates_vat_sql(ids)),
            ("email", self._client_duplicates_email_sql(ids)),
            ("phone", self._client_duplicates_phone_sql(ids)),
        ):
            cr.execute(query)
            groups += [{"reason": reason, "key": key, "partner_ids": partner_ids} for key, partner_ids in cr.fetchall()]
        self._client_name_keys(ids)
        try:
            cr.execute(
                """SELECT key, array_agg(id ORDER BY id) FROM crm_client_duplicate_name_keys
                    GROUP BY key HAVING count(*) > 1 ORDER BY key"""
            )
            groups += [{"reason": "name", "key": key, "partner_ids": partner_ids} for key, partner_ids in cr.fetchall()]
            groups += self._client_similar_name_groups()
        finally:
            cr.execute("DROP TABLE IF EXISTS crm_client_duplicate_name_keys")
        return groups

    @api.model
    def _client_duplicates_vat_sql(self, ids):
        return SQL(
            """
            SELECT key, array_agg(id ORDER BY id) FROM (
                SELECT id, regexp_replace(upper(regexp_replace(vat, '[^0-9A-Za-z]', '', 'g')), '^PL(?=[0-9])', '') AS key
                  FROM res_partner WHERE id IN %s AND vat IS NOT NULL
            ) t
             WHERE length(key) > 3
             GROUP BY key HAVING count(*) > 1
             ORDER BY key
            """,
            ids,
        )

    @api.model
    def _client_duplicates_email_sql(self, ids):
        return self._client_duplicates_channel_sql(ids, "email_normalized", "crm_client_email", "email")

    @api.model
    def _client_duplicates_phone_sql(self, ids):
        return self._client_duplicates_channel_sql(ids, "phone_sanitized", "crm_client_phone", "number")

    @api.model
    def _client_duplicates_channel_sql(self, ids, partner_column, line_table, line_column):
        """Clients sharing a normalized address or number: core's own normalized column
        on the partner, and every valid line."""
        return SQL(
            """
            SELECT key, array_agg(DISTINCT partner_id ORDER BY partner_id) FROM (
                SELECT id AS partner_id, %(partner_column)s AS key
                  FROM res_partner WHERE id IN %(ids)s AND %(partner_column)s IS NOT NULL
                UNION
                SELECT partner_id, %(line_column)s FROM %(line_table)s WHERE partner_id IN %(ids)s AND is_valid
            ) t
             GROUP BY key HAVING count(DISTINCT partner_id) > 1
             ORDER BY key
            """,
            partner_column=SQL.identifier(partner_column),
            line_table=SQL.identifier(line_table),
            line_column=SQL.identifier(line_column),
            ids=ids,
        )

    @api.model
    def _client_name_keys(self, ids):
        """Normalized names of the compared clients, computed once per call (the regular
        expressions are the expensive part) into a temporary table."""
        cr = self.env.cr
        cr.execute("DROP TABLE IF EXISTS crm_client_duplicate_name_keys")
        cr.execute(
            SQL(
                """
                CREATE TEMPORARY TABLE crm_client_duplicate_name_keys AS
                SELECT id, key, left(key, 4) AS block FROM (
                    SELECT id, btrim(regexp_replace(
                               regexp_replace(regexp_replace(lower(name), '[^[:alnum:]]+', ' ', 'g'), %s, ' ', 'g'),
                               ' +', ' ', 'g')) AS key
                      FROM res_partner WHERE id IN %s AND name IS NOT NULL
                ) t WHERE length(key) > 2
                """,
                _NAME_NOISE,
                ids,
            )
        )

    @api.model
    def _client_similar_name_groups(self):
        """Names that differ a little (a typo, a missing word): trigram similarity of the
        normalized names within blocks of names starting alike; connected groups."""
        cr = self.env.cr
        cr.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if not cr.rowcount:
            return []
        cr.execute(
            SQL(
                """
                WITH keys AS (SELECT id, key, block FROM crm_client_duplicate_name_keys WHERE length(key) > 3),
                     blocks AS (SELECT block FROM keys GROUP BY block HAVING count(*) BETWEEN 2 AND %s)
                SELECT a.id, a.key, b.id
                  FROM keys a JOIN keys b ON a.block = b.block AND a.id < b.id AND a.key <> b.key
                 WHERE a.block IN (SELECT block FROM blocks) AND similarity(a.key, b.key) >= %s
                 ORDER BY a.id, b.id
                """,
                _BLOCK_MAX,
                _SIMILARITY,
            )
        )
        parent, first_key = {}, {}

        def root(node):
            while parent.setdefault(node, node) != node:
                parent[node] = parent[parent[node]]
                node = parent[node]
            return node

        for left, key, right in cr.fetchall():
            first_key.setdefault(left, key)
            a, b = root(left), root(right)
            if a != b:
                parent[max(a, b)] = min(a, b)
        members = {}
        for node in list(parent):
            members.setdefault(root(node), []).append(node)
        return [
            {"reason": "name", "key": f"~{first_key.get(top, '')}", "partner_ids": sorted(group)}
            for top, group in sorted(members.items())
            if len(group) > 1
        ]
