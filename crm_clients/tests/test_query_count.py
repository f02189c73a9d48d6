from odoo.tests import tagged

from .common import NIP
from .common import CrmClientsCase


@tagged("post_install", "-at_install")
class TestQueryCount(CrmClientsCase):
    """No N+1: the work for many clients takes as many queries as for one."""

    def _count_queries(self, func):
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        func()
        self.env.flush_all()
        return self.env.cr.sql_log_count - before

    def _client_vals(self, count, offset, ours=True):
        core = [
            {
                "name": f"Client {offset + i}",
                "is_company": True,
                "country_id": self.poland.id,
                "vat": NIP,
                "email": f"client{offset + i}@example.com",
                "phone": f"+48 22 {offset + i:07d}",
                "mobile": f"+48 601 {offset + i:06d}",
            }
            for i in range(count)
        ]
        if ours:
            for i, vals in enumerate(core):
                vals.update(
                    external_ref=f"QC-{offset + i}", regon="012100784", krs="28860", priority="2", is_buyer=True
                )
        return core

    def test_create_is_batched(self):
        # Core's own partner create costs a few queries per record; what crm_clients adds
        # (numbers, statuses, identifiers, external references) must not grow with the batch.
        self.Partner.create(self._client_vals(1, 0))  # warm the caches once

        def overhead(count, offset):
            plain = self._count_queries(lambda: self.Partner.create(self._client_vals(count, offset, ours=False)))
            ours = self._count_queries(lambda: self.Partner.create(self._client_vals(count, offset + 1000)))
            return ours - plain

        one, many = overhead(1, 100), overhead(50, 200)
        self.assertEqual(one, many, f"crm_clients adds {one} queries to 1 create, {many} to 50")

    def test_search_and_read_are_batched(self):
        self.Partner.create(self._client_vals(30, 300))
        fields = ["client_number", "client_status_id", "priority", "assigned_user_ids", "is_client", "regon"]

        def read(limit):
            return lambda: self.Partner.search_read([("external_ref", "like", "QC-3")], fields, limit=limit)

        self.assertEqual(self._count_queries(read(1)), self._count_queries(read(30)))

    def test_status_kanban_is_batched(self):
        self.Partner.create(self._client_vals(30, 400))
        counts = self._count_queries(lambda: self.env["crm.client.status"].search([]).mapped("client_count"))
        self.assertLessEqual(counts, 3)
