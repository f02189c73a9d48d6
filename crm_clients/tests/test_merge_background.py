"""The whole-database clean-up: groups of duplicates merged in the background
(client_merge_duplicates and its scheduled action: each group atomic, a failed group
reported and skipped, the run resumable), and "Not a duplicate" (client_mark_not_duplicate):
a group or pair marked never comes back."""

from unittest.mock import patch

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import CrmClientsCase


@tagged("post_install", "-at_install")
class TestBackgroundMerge(CrmClientsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.a1 = cls.create_client(name="Alpha Bg", email="alpha@bg.example")
        cls.a2 = cls.create_client(name="Alpha Bg Copy", email="ALPHA@bg.example", external_ref="BG-A2")
        cls.a2.message_post(body="Note on the copy")
        cls.b1 = cls.create_client(name="Beta Bg")
        cls.b2 = cls.create_client(name="Beta Bg Twin")
        cls.b3 = cls.create_client(name="Beta Bg Triplet")
        cls.Run = cls.env["crm.client.duplicate.run"]
        # A client administrator who may edit contacts (Odoo's Contact Creation).
        cls.merge_manager = new_test_user(
            cls.env,
            login="crm_background_merge_manager",
            groups="base.group_user,base.group_partner_manager,crm_clients.group_client_manager",
        )
        cls.cron = cls.env.ref("crm_clients.ir_cron_crm_client_duplicate_run")

    def run_cron(self):
        """The scheduled action as the cron runner calls it, until nothing waits."""
        for _call in range(20):
            if not self.Run.search_count([("state", "=", "waiting")]):
                return
            self.Run._cron_merge()
        self.fail("the background merge never ended")

    def test_groups_merge_in_the_background(self):
        messages = self.env["mail.message"].search_count([("model", "=", "res.partner"), ("res_id", "=", self.a2.id)])
        answer = self.Partner.with_user(self.merge_manager).client_merge_duplicates(
            [[self.a1.id, self.a2.id], {"partner_ids": [self.b1.id, self.b2.id, self.b3.id], "target_id": self.b2.id}]
        )
        self.assertEqual(answer["groups"], 2)
        run = self.Run.browse(answer["run_id"])
        self.assertEqual(run.state, "waiting")
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", self.cron.id)]), "the cron is triggered")
        self.assertTrue(self.a2.exists(), "nothing merged before the scheduled action runs")
        self.run_cron()
        self.assertEqual(run.state, "done")
        self.assertEqual((run.merged_count, run.failed_count, run.waiting_count), (2, 0, 0))
        self.assertFalse((self.a2 | self.b1 | self.b3).exists())
        self.assertTrue((self.a1 | self.b2).exists())
        self.assertEqual(self.a1.client_resolve([self.a2.id])[0]["resolved_id"], self.a1.id)
        aliases = self.env["crm.client.external.ref.alias"].search([("partner_id", "=", self.a1.id)])
        self.assertIn("BG-A2", aliases.mapped("external_ref"))
        moved = self.env["mail.message"].search_count(
            [("model", "=", "res.partner"), ("res_id", "=", self.a1.id), ("body", "ilike", "Note on the copy")]
        )
        self.assertEqual(moved, 1, f"the copy's {messages} messages moved")
        # Each group is a merge of its own: undone alone.
        group = run.group_ids.filtered(lambda g: g.target_record_id == self.b2.id)
        self.assertEqual(group.merge_id.origin, "client_merge")
        self.assertEqual(group.merge_id.create_uid, self.merge_manager, "merged as the user who started the run")
        self.Partner.client_merge_undo(group.merge_id.id)
        self.assertTrue((self.b1 | self.b3).exists())

    def test_a_failed_group_is_reported_and_skipped(self):
        company_b = self.env["res.company"].create({"name": "Background B"})
        other = self.create_client(name="Alpha Bg Elsewhere", company_id=company_b.id)
        here = self.create_client(name="Alpha Bg Here", company_id=self.env.company.id)
        answer = self.Partner.client_merge_duplicates(
            [[here.id, other.id], [self.a1.id, self.a2.id], [self.b1.id, self.b2.id]]
        )
        run = self.Run.browse(answer["run_id"])
        self.run_cron()
        failed = run.group_ids.filtered(lambda g: g.state == "failed")
        self.assertEqual(failed.partner_record_ids, [here.id, other.id])
        self.assertIn("different companies", failed.error)
        self.assertTrue((here | other).exists(), "the failed group changed nothing")
        self.assertEqual(run.merged_count, 2, "the groups after it merged")
        self.assertEqual(run.state, "done")
        # The reason fixed, the failed group is tried again.
        other.company_id = self.env.company
        run.action_retry_failed()
        self.run_cron()
        self.assertEqual((run.merged_count, run.failed_count), (3, 0))
        self.assertEqual(len((here | other).exists()), 1)

    def test_the_run_resumes_where_it_stopped(self):
        answer = self.Partner.client_merge_duplicates([[self.a1.id, self.a2.id], [self.b1.id, self.b2.id, self.b3.id]])
        run = self.Run.browse(answer["run_id"])
        first = run.group_ids.sorted("id")[0]
        # A batch that stopped after its first group (a restart, a timeout): the second
        # group still waits, and the next call of the scheduled action merges it only.
        logs = []
        values, merged = first._merge(logs, run._merge_partners(), first.partner_record_ids, first.target_record_id)
        self.assertEqual(merged, [self.a2.id])
        first.write(values)
        self.assertEqual(first.state, "merged")
        self.assertEqual([target for target, _summary in logs], [self.a1.id], "its log waits for the batch")
        self.assertEqual(run.waiting_count, 1)
        self.run_cron()
        self.assertEqual((run.merged_count, run.waiting_count, run.state), (2, 0, "done"))
        self.assertEqual(len(self.env["crm.client.merge"].search([("target_record_id", "=", self.a1.id)])), 1)

    def test_a_client_merged_by_an_earlier_group_counts_as_its_holder(self):
        answer = self.Partner.client_merge_duplicates(
            [
                {"partner_ids": [self.a1.id, self.a2.id], "target_id": self.a1.id},
                {"partner_ids": [self.a2.id, self.b1.id], "target_id": self.a2.id},
                [self.a1.id, self.a2.id],
            ]
        )
        run = self.Run.browse(answer["run_id"])
        self.run_cron()
        states = run.group_ids.sorted("id").mapped("state")
        self.assertEqual(states, ["merged", "merged", "skipped"])
        self.assertFalse(self.b1.exists())
        self.assertEqual(run.group_ids.sorted("id")[1].target_record_id, self.a1.id)
        # Each merge said so on the client kept, once, whatever the batch wrote together.
        logs = self.env["mail.message"].search(
            [("model", "=", "res.partner"), ("res_id", "=", self.a1.id), ("body", "ilike", "Merged into this client")]
        )
        self.assertEqual(len(logs), 2)
        self.assertIn("Alpha Bg Copy", logs.sorted("id")[0].body)
        self.assertIn("Beta Bg", logs.sorted("id")[1].body)

    def run_cron_with_failing_logs(self):
        """The background merge, with every merge message failing to be written."""

        def boom(*args, **kwargs):
            raise RuntimeError("injected failure")

        with (
            patch.object(type(self.Partner), "_client_merge_summary_html", boom),
            mute_logger("odoo.addons.crm_clients.models.crm_client_duplicate_run_group"),
        ):
            self.run_cron()

    def test_a_log_that_cannot_be_written_keeps_the_merges(self):
        """The batch writes its merges' messages at its end, in a savepoint: a message
        that fails is reported in the server log, and the merges of the batch stay (the
        run would otherwise meet the failure again at every call)."""
        answer = self.Partner.client_merge_duplicates([[self.a1.id, self.a2.id]])
        run = self.Run.browse(answer["run_id"])
        self.run_cron_with_failing_logs()
        self.assertEqual((run.state, run.merged_count), ("done", 1))
        self.assertFalse(self.a2.exists())

    def test_a_log_that_cannot_be_written_mid_batch_keeps_the_merges(self):
        """The second group merges the first one's kept client away, so the first merge's
        message is written before it: when that write fails too, both groups still
        merge and the run ends (the failure is logged, not raised through the batch)."""
        answer = self.Partner.client_merge_duplicates(
            [
                {"partner_ids": [self.a1.id, self.a2.id], "target_id": self.a1.id},
                {"partner_ids": [self.a1.id, self.b1.id], "target_id": self.b1.id},
            ]
        )
        run = self.Run.browse(answer["run_id"])
        self.run_cron_with_failing_logs()
        self.assertEqual((run.state, run.group_ids.mapped("state")), ("done", ["merged", "merged"]))
        self.assertFalse((self.a1 | self.a2).exists())
        self.assertTrue(self.b1.exists())

    def test_a_target_merged_again_in_the_same_batch_keeps_its_log(self):
        """The second group merges the first one's kept client away: the first merge's
        message is written before, and moves with the client (an undo of the second
        merge takes it back with it)."""
        answer = self.Partner.client_merge_duplicates(
            [
                {"partner_ids": [self.a1.id, self.a2.id], "target_id": self.a1.id},
                {"partner_ids": [self.a1.id, self.b1.id], "target_id": self.b1.id},
            ]
        )
        run = self.Run.browse(answer["run_id"])
        self.run_cron()
        self.assertEqual(run.group_ids.sorted("id").mapped("state"), ["merged", "merged"])
        self.assertFalse(self.a1.exists())
        logs = self.env["mail.message"].search(
            [("model", "=", "res.partner"), ("res_id", "=", self.b1.id), ("body", "ilike", "Merged into this client")]
        )
        self.assertEqual(len(logs), 2, "both merges' messages are on the client kept last")
        second = run.group_ids.sorted("id")[1].merge_id
        self.Partner.client_merge_undo(second.id)
        self.assertTrue(self.a1.exists())
        self.assertEqual(
            self.env["mail.message"].search_count(
                [("model", "=", "res.partner"), ("res_id", "=", self.a1.id), ("body", "ilike", "Alpha Bg Copy")]
            ),
            1,
            "the first merge's message came back with its client",
        )

    def test_a_groups_queries_do_not_grow_with_what_it_moves(self):
        """A group's merge costs a fixed number of queries, whatever it moves: groups
        whose clients have ten contacts and ten messages each cost what groups with one
        do, and twice the groups cost twice the queries (the batch looks its clients up
        once)."""

        def queries(groups, extra):
            pairs = []
            for number in range(groups):
                pair = self.Partner.create([{"name": f"Cost {extra} {number} {c}", "is_company": True} for c in "ab"])
                self.Partner.create(
                    [{"name": f"Cost contact {p.id} {k}", "parent_id": p.id} for p in pair for k in range(extra)]
                )
                self.env["mail.message"].create(
                    [
                        {"model": "res.partner", "res_id": p.id, "body": f"Cost {k}", "message_type": "comment"}
                        for p in pair
                        for k in range(extra)
                    ]
                )
                pairs.append(pair.ids)
            run = self.Run.browse(self.Partner.client_merge_duplicates(pairs)["run_id"])
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            self.run_cron()
            self.assertEqual((run.state, run.merged_count), ("done", groups))
            return self.env.cr.sql_log_count - before

        self.run_cron()  # nothing else waits
        queries(1, 1)  # the first merge reads the schema
        two, two_big, four = queries(2, 1), queries(2, 10), queries(4, 1)
        self.assertEqual(two_big, two, "ten contacts and messages a client cost what one does")
        per_group = (four - two) / 2
        self.assertLessEqual(per_group, 64, f"{per_group} queries a group")
        self.assertLessEqual(four, 2 * two, "the batch's own queries are paid once")

    def test_a_run_whose_user_left_its_company_fails_its_groups(self):
        """The user who started a run may no longer work in its company: its groups fail
        with the reason and the run ends, also when a group's kept client has gone and
        another one is chosen (instead of failing every batch, the run waiting forever)."""
        other = self.env["res.company"].create({"name": "Other Bg Company"})
        main = self.env.company
        self.merge_manager.write({"company_ids": [(4, other.id)]})
        answer = self.Partner.with_user(self.merge_manager).client_merge_duplicates(
            [{"partner_ids": [self.a1.id, self.a2.id, self.b1.id], "target_id": self.a1.id}]
        )
        run = self.Run.browse(answer["run_id"])
        self.Partner.client_merge([self.a1.id], self.b2.id)  # its kept client merged away meanwhile
        self.merge_manager.write({"company_id": other.id, "company_ids": [(6, 0, other.ids)]})
        self.assertNotIn(main, self.merge_manager.company_ids)
        with mute_logger("odoo.addons.crm_clients.models.crm_client_duplicate_run_group"):
            self.run_cron()
        self.assertEqual((run.state, run.group_ids.state), ("done", "failed"))
        self.assertIn("companies", run.group_ids.error)
        self.assertTrue((self.a2 | self.b1).exists(), "nothing merged")

    def test_bad_input_queues_nothing(self):
        runs = self.Run.search_count([])
        for groups in (
            [],
            "1,2",
            [[self.a1.id]],
            [[self.a1.id, "x"]],
            [[self.a1.id, True]],
            [[self.a1.id, -4]],
            [{"partner_ids": [self.a1.id, self.a2.id], "target_id": self.b1.id}],
            [{"partner_ids": [self.a1.id, self.a2.id], "unknown": 1}],
            [[self.a1.id, 2**31 - 2]],
            [[self.a1.id, self.a2.id]] * 100_001,
            [list(range(1, 200))],
        ):
            with self.subTest(groups=str(groups)[:60]), self.assertRaises(UserError):
                self.Partner.client_merge_duplicates(groups)
        self.assertEqual(self.Run.search_count([]), runs)

    def test_only_client_administrators(self):
        for user in (self.client_user, self.employee):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.Partner.with_user(user).client_merge_duplicates([[self.a1.id, self.a2.id]])
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.Partner.with_user(user).client_mark_not_duplicate([self.a1.id, self.a2.id])

    def test_another_companys_clients_cannot_be_queued(self):
        company_b = self.env["res.company"].create({"name": "Background Other"})
        hidden = self.create_client(name="Hidden Bg", company_id=company_b.id)
        with self.assertRaisesRegex(UserError, str(hidden.id)):
            self.Partner.with_user(self.client_manager).client_merge_duplicates([[self.a1.id, hidden.id]])

    def test_the_duplicates_screen_merges_in_the_background(self):
        Group = self.env["crm.client.duplicate.group"].with_user(self.merge_manager)
        action = Group.action_find()
        groups = Group.search(action["domain"]).filtered(lambda g: g.key == "alpha@bg.example")
        self.assertEqual(groups.partner_ids, self.a1 | self.a2)
        opened = groups.action_merge_background()
        run = self.Run.browse(opened["res_id"])
        self.assertEqual(run.group_ids.partner_record_ids, [self.a1.id, self.a2.id])
        self.run_cron()
        self.assertFalse(self.a2.exists())


@tagged("post_install", "-at_install")
class TestNotADuplicate(CrmClientsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.one = cls.create_client(name="Jan Kowalczyk Consulting", email="jan@kowalczyk.example")
        cls.two = cls.create_client(name="Jan Kowalczyk Consultng", email="JAN@kowalczyk.example")
        cls.three = cls.create_client(name="Somebody Else", email="jan@kowalczyk.example")

    def groups_with(self, partners):
        return [
            g
            for g in self.Partner.client_find_duplicates([("id", "in", (self.one | self.two | self.three).ids)])
            if set(partners.ids) <= set(g["partner_ids"])
        ]

    def test_a_pair_marked_never_comes_back(self):
        self.assertTrue(self.groups_with(self.one | self.two))
        self.Partner.with_user(self.client_manager).client_mark_not_duplicate([self.two.id, self.one.id])
        # The email group still holds the third client: it stays, the name pair goes.
        groups = self.Partner.client_find_duplicates([("id", "in", (self.one | self.two | self.three).ids)])
        self.assertEqual([g["reason"] for g in groups if set(g["partner_ids"]) == {self.one.id, self.two.id}], [])
        self.assertTrue(self.groups_with(self.one | self.two | self.three))
        # client_upsert's duplicates (the batch method) no longer pair them either.
        found = self.Partner._client_likely_duplicates(self.one | self.two)
        self.assertEqual(found[self.one.id], [self.three.id])
        self.assertEqual(found[self.two.id], [self.three.id])
        # Marked twice: nothing new.
        self.assertEqual(self.Partner.client_mark_not_duplicate([self.one.id, self.two.id])["pairs"], 0)

    def test_a_group_marked_never_comes_back(self):
        self.Partner.client_mark_not_duplicate((self.one | self.two | self.three).ids)
        self.assertEqual(self.groups_with(self.one | self.two), [])
        self.assertEqual(self.Partner.client_find_duplicates([("id", "in", (self.one | self.two).ids)]), [])

    def test_the_duplicates_screen_button(self):
        Group = self.env["crm.client.duplicate.group"].with_user(self.client_manager)
        action = Group.action_find()
        groups = Group.search(action["domain"]).filtered(lambda g: g.key == "jan@kowalczyk.example")
        groups.action_not_duplicate()
        self.assertFalse(groups.exists())
        action = Group.action_find()
        again = Group.search(action["domain"]).filtered(lambda g: g.key == "jan@kowalczyk.example")
        self.assertFalse(again)

    def test_a_merge_takes_the_marks_of_its_sources_and_an_undo_brings_them_back(self):
        self.Partner.client_mark_not_duplicate([self.one.id, self.two.id, self.three.id])
        merge = self.Partner.client_merge([self.two.id], self.three.id)
        Pair = self.env["crm.client.not.duplicate"]
        self.assertEqual(Pair.search_count([("partner_a_id", "=", self.one.id)]), 1, "one-three stays")
        self.Partner.client_merge_undo(merge["merge_id"])
        self.assertEqual(Pair.search_count([("partner_a_id", "=", self.one.id)]), 2)
        self.assertEqual(Pair.search_count([("partner_b_id", "=", self.two.id)]), 1)

    def test_bad_input(self):
        for ids in ([], [self.one.id], [self.one.id, self.one.id], "1,2", [self.one.id, "2"], [self.one.id, 2**31 - 2]):
            with self.subTest(ids=ids), self.assertRaises(UserError):
                self.Partner.client_mark_not_duplicate(ids)
        self.assertFalse(self.env["crm.client.not.duplicate"].search_count([("partner_a_id", "=", self.one.id)]))
