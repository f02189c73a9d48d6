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
        # Past core's INSERT batches of 100 rows too, and a fixed, small number.
        self.assertEqual(overhead(250, 2000), one, "crm_clients' queries grow with a batch of 250")
        self.assertLessEqual(one, 20, f"crm_clients adds {one} queries to a create")

    def test_create_costs_constant_queries(self):
        # The whole create of N clients with an email, a phone, a mobile and a NIP (their
        # lines, numbers, statuses, identifiers, change feed) costs as many more queries for
        # 90 clients than for 1 as core's own create does (none without the apps whose
        # partner fields cost one query a record, e.g. account's invoice report).
        self.Partner.create(self._client_vals(1, 0))

        def growth(ours, offset):
            counts = {
                n: self._count_queries(lambda n=n: self.Partner.create(self._client_vals(n, offset + n, ours=ours)))
                for n in (1, 90)
            }
            return counts[90] - counts[1]

        core, ours = growth(False, 5000), growth(True, 3000)
        self.assertEqual(ours, core, f"90 clients cost {ours} queries more than 1; core's own create {core}")
        clients = self.Partner.search([("external_ref", "=like", "QC-3090%")])
        self.assertEqual(len(clients.email_ids), 1)
        self.assertEqual(len(clients.phone_ids), 2)

    def test_mirroring_with_lines_given_is_batched(self):
        # Lines given with the partners win over the partners' own fields: which partners
        # have them is looked up once per batch, not once per client and field.
        def create(count, offset):
            vals_list = [
                {
                    **values,
                    "email_ids": [(0, 0, {"email": f"orders{offset + i}@example.com", "is_primary": True})],
                    "phone_ids": [(0, 0, {"number": f"+48 22 {offset + i:07d}", "is_primary": True})],
                }
                for i, values in enumerate(self._client_vals(count, offset))
            ]
            partners = self.Partner.create(vals_list)
            return partners, vals_list

        counts = {}
        for count in (1, 40):
            partners, vals_list = create(count, 6000 + 100 * count)
            counts[count] = self._count_queries(lambda p=partners, v=vals_list: p._client_channels_from_partner_vals(v))
        self.assertEqual(counts[1], counts[40], f"queries by number of clients mirrored: {counts}")
        client = self.Partner.search([("external_ref", "=", "QC-6100")])
        # The given lines won; the mobile got its own line.
        self.assertEqual(client.email_ids.mapped("email"), ["orders6100@example.com"])
        self.assertEqual(sorted(client.phone_ids.mapped("is_mobile")), [False, True])

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

    def test_upsert_of_changed_clients_grows_as_core_write_does(self):
        # client_upsert writes its changed clients as core's write() would, one after the
        # other, in one savepoint and one flush: 40 changed clients cost as many more
        # queries than 1 as 40 write() calls cost more than 1 (no savepoint, flush or
        # look-up of its own per client).
        clients = self.Partner.create(
            [
                {
                    "name": f"Changed {i}",
                    "is_company": True,
                    "country_id": self.poland.id,
                    "external_ref": f"QU-{i}",
                    "email": f"changed{i}@example.com",
                    "phone": f"+48 22 {i:07d}",
                    "city": "Gdańsk",
                }
                for i in range(90)
            ]
        )

        def changes(partner, tag):
            return {"name": f"{partner.name} {tag}", "phone": f"+48 71 {partner.id:07d}", "city": f"City {tag}"}

        def upsert(partners, tag):
            rows = [{"external_ref": partner.external_ref, **changes(partner, tag)} for partner in partners]
            results = self.Partner.client_upsert(rows)
            self.assertEqual([result.get("error") for result in results], [None] * len(partners))

        def write(partners, tag):
            with self.env.cr.savepoint():  # flushed with the tracking, as upsert's savepoint is
                for partner in partners:
                    partner.write(changes(partner, tag))

        upsert(clients[:1], "warm")
        write(clients[1:2], "warm")
        ours = {n: self._count_queries(lambda n=n: upsert(clients[2 : 2 + n], "ours")) for n in (1, 40)}
        core = {n: self._count_queries(lambda n=n: write(clients[45 : 45 + n], "core")) for n in (1, 40)}
        self.assertLessEqual(
            ours[40] - ours[1],
            core[40] - core[1],
            f"upsert of 1 and 40 changed clients: {ours} queries; write() of 1 and 40: {core}",
        )
        self.assertEqual(clients[2:42].mapped("city"), ["City ours"] * 40)
        self.assertEqual(clients[41].name, "Changed 41 ours")
