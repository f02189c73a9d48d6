from unittest.mock import patch

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged

from .common import CrmClientsCase


@tagged("post_install", "-at_install")
class TestClientMerge(CrmClientsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Email = cls.env["crm.client.email"]
        cls.target = cls.create_client(
            name="Target",
            external_ref="T-1",
            priority="1",
            email="biuro@target.pl",
            client_status_id=cls.status_active.id,
        )
        cls.src1 = cls.create_client(
            name="Source One",
            external_ref="S-1",
            priority="3",
            email="BIURO@target.pl",
            is_supplier=True,
            category_id=[(0, 0, {"name": "Merged tag"})],
        )
        cls.src2 = cls.create_client(name="Source Two", external_ref="S-2", phone="+48 22 123 45 67")
        cls.src1.email_ids.write({"is_invoicing": True})
        cls.src1.email_ids.action_lock()
        Email.create({"partner_id": cls.src2.id, "email": "extra@source.pl"})
        cls.person = cls.Partner.create({"name": "Person of Source Two", "parent_id": cls.src2.id})
        cls.src2.message_post(body="Note on source two")
        cls.env["ir.attachment"].create(
            {"name": "contract.pdf", "raw": b"%PDF", "res_model": "res.partner", "res_id": cls.src1.id}
        )
        cls.follower = cls.create_client(name="Follower Partner")
        cls.src1.message_subscribe(partner_ids=cls.follower.ids)
        cls.target.message_subscribe(partner_ids=cls.follower.ids)  # the same follower on both: one
        cls.src2.message_subscribe(partner_ids=cls.client_user.partner_id.ids)
        cls.src2.activity_schedule("mail.mail_activity_data_todo", summary="Call back", user_id=cls.client_user.id)
        cls.src1.activity_schedule("mail.mail_activity_data_todo", summary="Send offer", user_id=cls.client_user.id)
        Relation = cls.env["crm.client.relation"]
        referral = cls.env.ref("crm_clients.relation_type_referral")
        cls.other = cls.create_client(name="Other")
        Relation.create({"left_partner_id": cls.src1.id, "type_id": referral.id, "right_partner_id": cls.target.id})
        Relation.create({"left_partner_id": cls.src2.id, "type_id": referral.id, "right_partner_id": cls.other.id})

    def _sources(self):
        return (self.src1 | self.src2).ids

    def test_preview_changes_nothing(self):
        preview = self.Partner.client_merge_preview(self._sources(), self.target.id)
        self.assertEqual(preview["target_id"], self.target.id)
        self.assertEqual(preview["merged_ids"], self._sources())
        self.assertGreaterEqual(preview["moved"]["crm.client.email"], 2)
        self.assertEqual(preview["moved"]["ir.attachment"], 1)
        self.assertTrue((self.src1 | self.src2).exists())

    def test_a_record_pointing_to_the_sources_twice_counts_once(self):
        """A message a source wrote on itself, a source following the other: each is one
        record moved, in the preview and in the merge alike."""
        self.src1.message_post(body="Written by itself", author_id=self.src1.id, message_type="comment")
        self.src1.message_subscribe(partner_ids=self.src2.ids)
        sources = self._sources()
        Message, Follower = self.env["mail.message"], self.env["mail.followers"]
        messages = Message.search_count(
            ["|", "&", ("model", "=", "res.partner"), ("res_id", "in", sources), ("author_id", "in", sources)]
        )
        followers = Follower.search_count(
            ["|", "&", ("res_model", "=", "res.partner"), ("res_id", "in", sources), ("partner_id", "in", sources)]
        )
        preview = self.Partner.client_merge_preview(sources, self.target.id)["moved"]
        self.assertEqual((preview["mail.message"], preview["mail.followers"]), (messages, followers))
        result = self.Partner.client_merge(sources, self.target.id)
        self.assertEqual(result["moved"], preview)

    def test_everything_ends_up_on_the_target(self):
        messages = self.env["mail.message"].search(
            [("model", "=", "res.partner"), ("res_id", "in", [self.target.id, *self._sources()])]
        )
        activities_before = self.env["mail.activity"].search_count(
            [("res_model", "=", "res.partner"), ("res_id", "in", [self.target.id, *self._sources()])]
        )
        followers_before = set(
            self.env["mail.followers"]
            .search([("res_model", "=", "res.partner"), ("res_id", "in", [self.target.id, *self._sources()])])
            .partner_id.ids
        )
        preview = self.Partner.client_merge_preview(self._sources(), self.target.id)
        result = self.Partner.client_merge(self._sources(), self.target.id)
        self.assertEqual(result["merged_ids"], self._sources())
        # The merge counts what moved in its copy of the rows; the preview counted the same.
        self.assertEqual(result["moved"], preview["moved"])
        self.assertEqual(self.env["crm.client.merge"].browse(result["merge_id"]).moved, preview["moved"])
        self.assertTrue({"mail.message", "mail.activity", "ir.attachment", "res.partner"} <= set(result["moved"]))
        self.assertEqual(
            self.env["mail.activity"].search_count(
                [("res_model", "=", "res.partner"), ("res_id", "=", self.target.id)]
            ),
            activities_before,
        )
        self.assertEqual(set(self.target.message_partner_ids.ids), followers_before, "every follower, once")
        self.assertFalse((self.src1 | self.src2).exists())
        target = self.target
        # Number, reference and status stay; stars become the highest; types and tags add up.
        self.assertEqual(
            (target.external_ref, target.client_status_id, target.priority), ("T-1", self.status_active, "3")
        )
        self.assertTrue(target.is_supplier)
        self.assertIn("Merged tag", target.category_id.mapped("name"))
        # Duplicate lines collapse, locked wins; other lines move.
        self.assertEqual(sorted(target.email_ids.mapped("email")), ["biuro@target.pl", "extra@source.pl"])
        merged_line = target.email_ids.filtered(lambda e: e.email == "biuro@target.pl")
        self.assertTrue(merged_line.locked and merged_line.is_invoicing and merged_line.is_primary)
        self.assertEqual(target.phone_ids.number, "+48221234567")
        # Contacts, messages, attachments move.
        self.assertEqual(self.person.parent_id, target)
        self.assertEqual(
            self.env["ir.attachment"].search_count([("res_model", "=", "res.partner"), ("res_id", "=", target.id)]), 1
        )
        self.assertEqual(set(messages.mapped("res_id")), {target.id}, "every message moved")
        self.assertIn("Source One", target.message_ids[0].body)
        # A relation to itself is dropped; the other one now starts from the target.
        self.assertEqual(target.client_relation_ids.right_partner_id, self.other)
        # The sources' references are aliases of the target.
        [result] = self.Partner.client_upsert([{"external_ref": "S-1", "name": "Target"}])
        self.assertEqual((result["id"], result["created"]), (target.id, False))

    def test_what_names_a_source_by_model_and_id_moves(self):
        """External ids, company-specific values and defaults naming a source follow the
        target, as in Odoo's wizard; the sources' files of binary fields stay out of the
        target's."""
        company = self.env.company
        self.env["ir.model.data"].create(
            {"module": "__import__", "name": "merge_src2", "model": "res.partner", "res_id": self.src2.id}
        )
        # barcode is company-dependent in Odoo 18: the target has none, the sources do.
        self.src1.with_company(company).barcode = "SRC1-BARCODE"
        self.src2.with_company(company).barcode = "SRC2-BARCODE"
        self.src1.image_1920 = (
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
        )
        self.Partner.client_merge(self._sources(), self.target.id)
        self.env.invalidate_all()
        self.assertEqual(self.env.ref("__import__.merge_src2"), self.target)
        # The later source wins, as core's wizard does.
        self.assertEqual(self.target.with_company(company).barcode, "SRC2-BARCODE")
        self.assertFalse(
            self.env["ir.attachment"].search_count(
                [("res_model", "=", "res.partner"), ("res_id", "=", self.target.id), ("res_field", "!=", False)]
            ),
            "a source's picture is not the target's",
        )

    def test_a_merge_empties_no_cache(self):
        """Core's move wrote ir.model.data for every source, even when no row named it,
        which empties every cache of the registry (access rights, record rules,
        defaults): a background merge paid that again for every group."""
        self.env.flush_all()
        self.env.registry.cache_invalidated.clear()
        self.Partner.client_merge(self._sources(), self.target.id)
        self.assertFalse(self.env.registry.cache_invalidated)

    def test_refusals(self):
        with self.assertRaisesRegex(UserError, "into itself"):
            self.Partner.client_merge([self.target.id], self.target.id)
        for sources, target in (
            ([str(self.src1.id)], self.target.id),
            ([self.src1.id, None], self.target.id),
            ([True], self.target.id),
            ([self.src1.id], float(self.target.id)),
            ([], self.target.id),
        ):
            with self.subTest(sources=sources, target=target), self.assertRaisesRegex(UserError, "needs a list"):
                self.Partner.client_merge(sources, target)
        with self.assertRaisesRegex(UserError, "one of its parents"):
            self.Partner.client_merge([self.src2.id], self.person.id)
        company_b = self.env["res.company"].create({"name": "Merge B"})
        elsewhere = self.create_client(name="Elsewhere", company_id=company_b.id)
        self.target.company_id = self.env.company
        with self.assertRaisesRegex(UserError, "different companies"):
            self.Partner.client_merge([elsewhere.id], self.target.id)
        user = new_test_user(
            self.env,
            login="merge_user",
            groups="base.group_user,base.group_partner_manager,crm_clients.group_client_user",
        )
        with self.assertRaises(AccessError):
            self.Partner.with_user(user).client_merge(self._sources(), self.target.id)
        self.assertTrue((self.src1 | self.src2).exists())

    def test_failure_in_the_middle_changes_nothing(self):
        before = (self.target.email_ids.ids, self.person.parent_id, self.src1.email_ids.ids)

        def boom(*args, **kwargs):
            raise RuntimeError("injected failure")

        with (
            patch.object(type(self.Partner), "_client_merge_values", boom),
            self.assertRaisesRegex(RuntimeError, "injected"),
        ):
            self.Partner.client_merge(self._sources(), self.target.id)
        self.env.invalidate_all()
        self.assertTrue((self.src1 | self.src2).exists())
        self.assertEqual((self.target.email_ids.ids, self.person.parent_id, self.src1.email_ids.ids), before)


@tagged("post_install", "-at_install")
class TestMergeScreens(CrmClientsCase):
    def test_wizard_from_the_list_previews_and_merges(self):
        keep = self.create_client(name="Keep Me", email="a@keep.pl")
        gone = self.create_client(name="Keep Me too", email="A@keep.pl")
        wizard = (
            self.env["crm.client.merge.wizard"]
            .with_context(active_model="res.partner", active_ids=[gone.id, keep.id])
            .create({})
        )
        self.assertEqual(wizard.target_id, keep, "the oldest client is proposed")
        self.assertIn("Client Email", wizard.preview)
        action = wizard.action_merge()
        self.assertEqual(action["res_id"], keep.id)
        self.assertFalse(gone.exists())
        self.assertEqual(len(keep.email_ids), 1)

    def test_wizard_shows_why_a_merge_is_refused(self):
        company_b = self.env["res.company"].create({"name": "Wizard B"})
        keep = self.create_client(name="Here", company_id=self.env.company.id)
        other = self.create_client(name="There", company_id=company_b.id)
        wizard = self.env["crm.client.merge.wizard"].create(
            {"partner_ids": [(6, 0, (keep | other).ids)], "target_id": keep.id}
        )
        self.assertIn("different companies", wizard.preview)

    def test_duplicates_screen_lists_groups_with_a_merge_button(self):
        a = self.create_client(name="Twin Sp. z o.o.")
        b = self.create_client(name="TWIN sp. z o.o.")
        action = self.env["crm.client.duplicate.group"].action_find()
        groups = self.env["crm.client.duplicate.group"].search(action["domain"])
        group = groups.filtered(lambda g: g.reason == "name" and g.key == "twin")
        self.assertEqual(group.partner_ids, a | b, groups.filtered(lambda g: g.reason == "name").mapped("key"))
        merge = group.action_merge()
        self.assertEqual(merge["res_model"], "crm.client.merge.wizard")
        self.assertEqual(merge["context"]["active_ids"], (a | b).ids)


@tagged("post_install", "-at_install")
class TestMergeChoices(CrmClientsCase):
    """values: the partner whose value survives, field by field."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tag_a = cls.env["res.partner.category"].create({"name": "Choice A"})
        cls.tag_b = cls.env["res.partner.category"].create({"name": "Choice B"})
        cls.target = cls.create_client(
            name="Choice Target",
            email="office@target.pl",
            phone="+48 22 111 11 11",
            priority="1",
            category_id=[(6, 0, cls.tag_a.ids)],
            client_status_id=cls.status_active.id,
        )
        cls.src1 = cls.create_client(
            name="Choice Source One",
            email="office@one.pl",
            phone="+48 22 222 22 22",
            website="https://one.example",
            priority="2",
            is_buyer=True,
            category_id=[(6, 0, cls.tag_b.ids)],
            client_status_id=cls.status_vip.id,
        )
        cls.src2 = cls.create_client(name="Choice Source Two", website="https://two.example", city="Kraków")

    def sources(self):
        return (self.src1 | self.src2).ids

    def test_preview_lists_differing_fields_target_first(self):
        fields = self.Partner.client_merge_preview(self.sources(), self.target.id)["fields"]
        self.assertEqual(
            fields["name"],
            [
                {"partner_id": self.target.id, "value": "Choice Target"},
                {"partner_id": self.src1.id, "value": "Choice Source One"},
                {"partner_id": self.src2.id, "value": "Choice Source Two"},
            ],
        )
        self.assertEqual(
            [c["value"] for c in fields["client_status_id"]],
            [(self.status_active.id, "Active"), (self.status_vip.id, "VIP"), fields["client_status_id"][2]["value"]],
        )
        self.assertEqual([c["value"] for c in fields["category_id"]], [self.tag_a.ids, self.tag_b.ids, []])
        self.assertNotIn("regon", fields, "a field where they agree is not listed")
        self.assertTrue((self.src1 | self.src2).exists())

    def test_chosen_values_survive(self):
        self.Partner.client_merge(
            self.sources(),
            self.target.id,
            values={
                "phone": self.src1.id,
                "name": self.target.id,
                "website": self.src2.id,
                "category_id": self.src1.id,
                "client_status_id": self.src1.id,
                "priority": self.target.id,
            },
        )
        target = self.target
        self.assertEqual(
            (target.name, target.phone, target.website, target.client_status_id, target.priority),
            ("Choice Target", "+48222222222", "https://two.example", self.status_vip, "1"),
        )
        self.assertEqual(target.category_id, self.tag_b, "the chosen tags, not every tag")
        # Every line is kept; the chosen one is the primary one.
        self.assertEqual(sorted(target.phone_ids.mapped("number")), ["+48221111111", "+48222222222"])
        self.assertEqual(target.phone_ids.filtered("is_primary").number, "+48222222222")
        self.assertEqual(target.email, "office@target.pl", "not named: the target's own")

    def test_defaults_without_values(self):
        self.Partner.client_merge(self.sources(), self.target.id)
        target = self.target
        self.assertEqual(target.name, "Choice Target")
        self.assertEqual(target.website, "https://one.example", "empty: the first source's")
        self.assertEqual(target.city, "Kraków", "empty: the first source that has one")
        self.assertEqual((target.priority, target.is_buyer), ("2", True), "the best stars, every type")
        self.assertEqual(target.category_id, self.tag_a | self.tag_b, "every tag")
        self.assertEqual(target.client_status_id, self.status_active)
        self.assertEqual(target.phone_ids.filtered("is_primary").number, "+48221111111", "the target's phone")

    def test_bad_values_change_nothing(self):
        refused = [
            ({"client_number": self.src1.id}, "cannot be chosen"),
            ({"external_ref": self.src1.id}, "cannot be chosen"),
            ({"no_such_field": self.src1.id}, "cannot be chosen"),
            ({"name": self.other_client().id}, "must be one of the merged clients"),
            ({"name": True}, "must be one of the merged clients"),
            ({"name": str(self.src1.id)}, "must be one of the merged clients"),
            ([("name", self.src1.id)], "map field names"),
        ]
        for values, message in refused:
            with self.subTest(values=values), self.assertRaisesRegex(UserError, message):
                self.Partner.client_merge(self.sources(), self.target.id, values=values)
        self.assertTrue((self.src1 | self.src2).exists())
        self.assertEqual(self.target.name, "Choice Target")
        self.assertFalse(self.env["crm.client.merge"].search([("target_record_id", "=", self.target.id)]))

    def other_client(self):
        return self.create_client(name="Not In The Merge")

    def test_wizard_shows_values_and_keeps_the_picked_ones(self):
        wizard = (
            self.env["crm.client.merge.wizard"]
            .with_context(active_model="res.partner", active_ids=[self.target.id, self.src1.id])
            .create({})
        )
        wizard.target_id = self.target
        lines = wizard.value_line_ids
        phone = lines.filtered(lambda line: line.field_name == "phone")
        self.assertEqual(phone.mapped("value_display"), ["+48 22 111 11 11", "+48 22 222 22 22"])
        self.assertEqual(phone.filtered("keep").partner_id, self.target, "the target's by default")
        self.assertEqual(lines.filtered(lambda line: line.field_name == "website" and line.keep).partner_id, self.src1)
        tags = lines.filtered(lambda line: line.field_name == "category_id")
        self.assertEqual(tags.filtered("keep").origin_label, "All of them")
        with Form(wizard) as form:
            for index in range(len(form.value_line_ids)):
                with form.value_line_ids.edit(index) as line:
                    if line.field_name == "phone" and line.partner_id == self.src1:
                        line.keep = True
        kept = wizard.value_line_ids.filtered(lambda line: line.field_name == "phone" and line.keep)
        self.assertEqual(kept.partner_id, self.src1, "one value kept per field: the one picked")
        wizard.action_merge()
        self.assertEqual((self.target.name, self.target.phone), ("Choice Target", "+48222222222"))
