"""client_find_duplicates: groups of likely duplicate clients (see CONTRACT.md)."""

from odoo import api, models
from odoo.osv import expression
from odoo.tools import SQL

# Legal forms and noise words left out when comparing names ("Kowalski Sp. z o.o." and
# "KOWALSKI spółka z o.o." are the same name).
_NAME_NOISE = (
    r"\m(sp z o o|spółka z o o|spolka z o o|spółka z ograniczoną odpowiedzialnością|z o o|sp k a|s a|sp j|sp k|"
    r"sp p|s c|gmbh|ltd|inc|llc|sarl|s r l|b v|ab|oy|spółka|spolka|sp)\M"
)


class ResPartner(models.Model):
    _inherit = "res.partner"

    @api.model
    def client_find_duplicates(self, domain=None):
        """Groups of clients that are likely the same: by normalized tax ID, email, phone
        and name. ``domain`` narrows the clients compared (access rules apply)."""
        self.env.flush_all()  # the queries below read the tables directly
        clients = self._search(expression.AND([domain or [], [("is_client", "=", True)]]))
        ids = clients.subselect()
        groups = []
        for reason, query in (
            ("vat", self._client_duplicates_vat_sql(ids)),
            ("email", self._client_duplicates_email_sql(ids)),
            ("phone", self._client_duplicates_phone_sql(ids)),
            ("name", self._client_duplicates_name_sql(ids)),
        ):
            self.env.cr.execute(query)
            groups += [
                {"reason": reason, "key": key, "partner_ids": partner_ids}
                for key, partner_ids in self.env.cr.fetchall()
            ]
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
        return SQL(
            """
            SELECT key, array_agg(DISTINCT partner_id ORDER BY partner_id) FROM (
                SELECT id AS partner_id, email_normalized AS key
                  FROM res_partner WHERE id IN %s AND email_normalized IS NOT NULL
                UNION
                SELECT partner_id, email FROM crm_client_email WHERE partner_id IN %s AND is_valid
            ) t
             GROUP BY key HAVING count(DISTINCT partner_id) > 1
             ORDER BY key
            """,
            ids,
            ids,
        )

    @api.model
    def _client_duplicates_phone_sql(self, ids):
        return SQL(
            """
            SELECT key, array_agg(DISTINCT partner_id ORDER BY partner_id) FROM (
                SELECT id AS partner_id, phone_sanitized AS key
                  FROM res_partner WHERE id IN %s AND phone_sanitized IS NOT NULL
                UNION
                SELECT partner_id, number FROM crm_client_phone WHERE partner_id IN %s AND is_valid
            ) t
             GROUP BY key HAVING count(DISTINCT partner_id) > 1
             ORDER BY key
            """,
            ids,
            ids,
        )

    @api.model
    def _client_duplicates_name_sql(self, ids):
        return SQL(
            """
            SELECT key, array_agg(id ORDER BY id) FROM (
                SELECT id, btrim(regexp_replace(
                           regexp_replace(regexp_replace(lower(name), '[^[:alnum:]]+', ' ', 'g'), %s, ' ', 'g'),
                           ' +', ' ', 'g')) AS key
                  FROM res_partner WHERE id IN %s AND name IS NOT NULL
            ) t
             WHERE length(key) > 2
             GROUP BY key HAVING count(*) > 1
             ORDER BY key
            """,
            _NAME_NOISE,
            ids,
        )
