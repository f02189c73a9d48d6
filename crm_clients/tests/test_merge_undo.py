"""Undoing a merge (client_merge_undo): everything back as it was, or a refusal that says
what changed and changes nothing; Odoo's own wizard's merges too; the undo period; the
merged ids (client_resolve); the change feed of an undo."""

import base64
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import NIP
from .common import CrmClientsCase

# A 1x1 PNG: the sources' pictures are attachments of their image fields.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


class MergeUndoCase(CrmClientsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Email = cls.env["crm.client.email"]
        cls.target = cls.create_client(
            name="Undo Target",
            external_ref="UT-1",
            priority="1",
            email="biuro@undo.pl",
            client_status_id=cls.status_active.id,
        )
        cls.src1 = cls.create_client(
            name="Undo Source One",
            external_ref="US-1",
            priority="3",
            email="BIURO@undo.pl",
            is_supplier=True,
            vat=NIP,
            country_id=cls.poland.id,
            website="https://one.example",
            image_1920=base64.b64encode(PNG),
            category_id=[(0, 0, {"name": "Undo tag"})],
            assigned_user_ids=[(4, cls.client_user.id)],
        )
        cls.src2 = cls.create_client(name="Undo Source Two", external_ref="US-2", phone="+48 22 123 45 67")
        cls.src1.email_ids.write({"is_invoicing": True, "note": "from one"})
        cls.src1.email_ids.action_lock()
        Email.create({"partner_id": cls.src2.id, "email": "extra@undo.pl"})
        cls.person = cls.Partner.create({"name": "Person of Two", "parent_id": cls.src2.id})
        cls.src2.message_post(body="Note on source two")
        cls.attachment = cls.env["ir.attachment"].create(
            {"name": "contract.pdf", "raw": b"%PDF", "res_model": "res.partner", "res_id": cls.src1.id}
        )
        # One partner follows a source and the target (one follower after the merge), one
        # follows only the source (core's merge deleted it).
        cls.both = cls.create_client(name="Follows Both")
        cls.only = cls.create_client(name="Follows One")
        cls.src1.message_subscribe(partner_ids=(cls.both | cls.only).ids)
        cls.target.message_subscribe(partner_ids=cls.both.ids)
        cls.src2.activity_schedule("mail.mail_activity_data_todo", summary="Call back", user_id=cls.client_user.id)
        # A client administrator who may edit contacts (Odoo's Contact Creation).
        cls.merge_manager = new_test_user(
            cls.env,
            login="crm_merge_undo_manager",
            groups="base.group_user,base.group_partner_manager,crm_clients.group_client_manager",
        )
        Relation = cls.env["crm.client.relation"]
        referral = cls.env.ref("crm_clients.relation_type_referral")
        cls.other = cls.create_client(name="Undo Other")
        cls.self_relation = Relation.create(
            {"left_partner_id": cls.src1.id, "type_id": referral.id, "right_partner_id": cls.target.id}
        )
        cls.relation = Relation.create(
            {"left_partner_id": cls.src2.id, "type_id": referral.id, "right_partner_id": cls.other.id}
        )
        # Both sources follow another client, each for its own subtypes: one follower
        # after the merge, both back with their subtypes after the undo.
        cls.other.message_subscribe(partner_ids=cls.src1.ids, subtype_ids=cls.env.ref("mail.mt_note").ids)
        cls.other.message_subscribe(partner_ids=cls.src2.ids, subtype_ids=cls.env.ref("mail.mt_comment").ids)
        cls.env["ir.model.data"].create(
            {"module": "crm_clients_tests", "name": "undo_source_two", "model": "res.partner", "res_id": cls.src2.id}
        )
        Bank = cls.env["res.partner.bank"]
        cls.target_bank = Bank.create({"partner_id": cls.target.id, "acc_number": "PL61109010140000071219812874"})
        cls.twin_bank = Bank.create({"partner_id": cls.src1.id, "acc_number": "PL61 1090 1014 0000 0712 1981 2874"})
        cls.own_bank = Bank.create({"partner_id": cls.src2.id, "acc_number": "PL27114020040000300201355387"})

    def sources(self):
        return (self.src1 | self.src2).ids

    def state(self):
        """Everything about the merged partners, read in SQL: equal before a merge and
        after its undo."""
        self.env.flush_all()
        cr = self.env.cr
        ids = (self.target.id, *self.sources())
        queries = {
            "partners": """SELECT id, name, parent_id, commercial_partner_id, email, phone, vat, website, client_number,
                                  external_ref, priority, is_supplier, client_status_id, active, complete_name, country_id
                             FROM res_partner WHERE id IN %(ids)s OR parent_id IN %(ids)s ORDER BY id""",
            "emails": """SELECT id, partner_id, email, is_primary, locked, is_invoicing, note
                           FROM crm_client_email WHERE partner_id IN %(ids)s ORDER BY id""",
            "phones": "SELECT id, partner_id, number, is_primary, locked FROM crm_client_phone WHERE partner_id IN %(ids)s ORDER BY id",
            "relations": """SELECT id, left_partner_id, right_partner_id FROM crm_client_relation
                              WHERE left_partner_id IN %(ids)s OR right_partner_id IN %(ids)s ORDER BY id""",
            "aliases": "SELECT partner_id, external_ref FROM crm_client_external_ref_alias WHERE partner_id IN %(ids)s ORDER BY 2",
            "attachments": """SELECT id, res_model, res_id, res_field, store_fname FROM ir_attachment
                                WHERE res_model = 'res.partner' AND res_id IN %(ids)s ORDER BY id""",
            "activities": "SELECT id, res_id FROM mail_activity WHERE res_model = 'res.partner' AND res_id IN %(ids)s ORDER BY id",
            "followers": """SELECT res_id, partner_id FROM mail_followers
                              WHERE res_model = 'res.partner' AND res_id IN %(ids)s ORDER BY 1, 2""",
            "following": "SELECT res_model, res_id, partner_id FROM mail_followers WHERE partner_id IN %(ids)s ORDER BY 1, 2, 3",
            "subtypes": """SELECT f.res_model, f.res_id, f.partner_id, r.mail_message_subtype_id
                             FROM mail_followers f
                             JOIN mail_followers_mail_message_subtype_rel r ON r.mail_followers_id = f.id
                            WHERE f.partner_id IN %(ids)s ORDER BY 1, 2, 3, 4""",
            "tags": "SELECT partner_id, category_id FROM res_partner_res_partner_category_rel WHERE partner_id IN %(ids)s ORDER BY 1, 2",
            "users": "SELECT partner_id, user_id FROM res_partner_crm_client_assigned_rel WHERE partner_id IN %(ids)s ORDER BY 1, 2",
            "xmlids": "SELECT name, res_id FROM ir_model_data WHERE model = 'res.partner' AND res_id IN %(ids)s ORDER BY 1",
            "banks": "SELECT id, partner_id, acc_number, active FROM res_partner_bank WHERE id IN %(banks)s ORDER BY id",
        }
        banks = (self.target_bank.id, self.twin_bank.id, self.own_bank.id)
        state = {}
        for name, query in queries.items():
            cr.execute(query, {"ids": ids, "banks": banks})
            state[name] = cr.fetchall()
        cr.execute(
            "SELECT id, res_id FROM mail_message WHERE model = 'res.partner' AND res_id IN %s ORDER BY id", [ids]
        )
        state["messages"] = cr.fetchall()
        return state

    def merge(self, **kwargs):
        return self.Partner.client_merge(self.sources(), self.target.id, **kwargs)


@tagged("post_install", "-at_install")
class TestMergeUndo(MergeUndoCase):
    def assertSameState(self, before, after):
        # The merge and the undo log themselves: the messages of before are where they were.
        messages = dict(after["messages"])
        self.assertEqual({mid: messages.get(mid) for mid, _res in before["messages"]}, dict(before["messages"]))
        for key, rows in before.items():
            if key != "messages":
                self.assertEqual(after[key], rows, key)

    def test_undo_puts_everything_back(self):
        before = self.state()
        result = self.merge(values={"name": self.src1.id, "phone": self.src2.id})
        self.assertFalse((self.src1 | self.src2).exists())
        target = self.target
        self.assertEqual((target.name, target.phone), ("Undo Source One", "+48221234567"))
        self.assertEqual(target.website, "https://one.example", "an empty field filled from the first source")
        merged = self.state()
        self.assertNotEqual(merged["partners"], before["partners"])
        self.assertEqual(merged["following"].count(("res.partner", target.id, self.only.id)), 0)
        self.assertIn((target.id, self.only.id), merged["followers"], "a follower of the source only is kept")
        self.assertEqual(
            [row[:3] for row in merged["subtypes"] if row[:2] == ("res.partner", self.other.id)],
            [("res.partner", self.other.id, target.id)],
            "the two sources following the same client: one follower, the target",
        )
        answer = self.Partner.with_user(self.merge_manager).client_merge_undo(result["merge_id"])
        self.assertEqual(answer, {"merge_id": result["merge_id"], "restored_ids": self.sources()})
        self.assertSameState(before, self.state())
        # The pictures of the sources came back with them.
        self.assertEqual(base64.b64decode(self.src1.image_1920)[:8], PNG[:8])
        # The references are the sources' again: no alias left.
        [upserted] = self.Partner.client_upsert([{"external_ref": "US-1", "name": "Undo Source One"}])
        self.assertEqual((upserted["id"], upserted["created"]), (self.src1.id, False))
        self.assertIn("Merge undone", self.target.message_ids[0].body)
        self.assertIn("Restored", self.src2.message_ids[0].body)
        merge = self.env["crm.client.merge"].browse(result["merge_id"])
        self.assertEqual((merge.state, merge.undo_uid), ("undone", self.merge_manager))
        self.assertFalse(merge.row_ids, "the copies are gone once undone")

    def test_odoo_wizard_merges_can_be_undone(self):
        before = self.state()
        wizard = self.env["base.partner.merge.automatic.wizard"].create(
            {"partner_ids": [(6, 0, [self.target.id, self.src2.id])], "dst_partner_id": self.target.id}
        )
        wizard.action_merge()
        self.assertFalse(self.src2.exists())
        merge = self.env["crm.client.merge"].search([("target_record_id", "=", self.target.id)])
        self.assertEqual((merge.origin, merge.source_ids.partner_record_id), ("wizard", self.src2.id))
        # What moved is recorded for Odoo's wizard too: the source's message, contact, activity.
        self.assertTrue({"mail.message", "res.partner", "mail.activity"} <= set(merge.moved), merge.moved)
        self.Partner.client_merge_undo(merge.id)
        self.assertSameState(before, self.state())

    def test_a_moved_record_changed_since_refuses_and_changes_nothing(self):
        result = self.merge()
        # The contact that came with source two went to another client since.
        self.person.parent_id = self.other
        note = self.env["mail.message"].search([("body", "ilike", "Note on source two")])
        note.unlink()
        merged = self.state()
        with self.assertRaisesRegex(UserError, "changed since") as caught:
            self.Partner.client_merge_undo(result["merge_id"])
        message = str(caught.exception)
        self.assertIn(f"Person of Two (#{self.person.id})", message)
        self.assertIn(f"#{note.id}", message, "a moved record deleted since is named too")
        self.assertEqual(self.state(), merged, "nothing was changed")
        self.assertFalse((self.src1 | self.src2).exists())

    def test_a_value_of_the_target_changed_since_refuses(self):
        result = self.merge(values={"name": self.src1.id})
        self.target.name = "Renamed after the merge"
        with self.assertRaisesRegex(UserError, "Name of Undo Target changed since"):
            self.Partner.client_merge_undo(result["merge_id"])
        self.assertFalse(self.src1.exists())

    def test_what_the_merge_did_not_touch_can_change(self):
        result = self.merge()
        # The target's address goes down to its contacts, the moved one too; a moved
        # message is edited; the moved contact is renamed.
        self.target.write({"comment": "A note after the merge", "city": "Gdańsk"})
        self.target.message_post(body="A message after the merge")
        note = self.env["mail.message"].search([("body", "ilike", "Note on source two")])
        note.write({"body": "Edited after the merge"})
        self.person.name = "Person Renamed"
        self.Partner.client_merge_undo(result["merge_id"])
        self.assertEqual(self.target.city, "Gdańsk")
        self.assertEqual((note.res_id, note.body), (self.src2.id, "<p>Edited after the merge</p>"))
        self.assertEqual(self.person.parent_id, self.src2)
        self.assertEqual(self.person.complete_name, "Undo Source Two, Person Renamed", "computed again")

    def test_the_undo_period(self):
        result = self.merge()
        merge = self.env["crm.client.merge"].browse(result["merge_id"])
        self.env.cr.execute(
            "UPDATE crm_client_merge SET create_date = %s WHERE id = %s",
            [fields.Datetime.now() - timedelta(days=31), merge.id],
        )
        merge.invalidate_recordset()
        self.assertFalse(merge.can_undo)
        with self.assertRaisesRegex(UserError, "30 days is over"):
            self.Partner.client_merge_undo(merge.id)
        self.env["ir.config_parameter"].set_param("crm_clients.merge_undo_days", "60")
        merge.invalidate_recordset()
        self.assertTrue(merge.can_undo, "the period is a setting")
        self.env["ir.config_parameter"].set_param("crm_clients.merge_undo_days", "30")
        # Past the period, the scheduled action drops the copies and the pictures kept.
        self.assertEqual(self.env["crm.client.merge"]._cron_expire(), 1)
        self.assertEqual(merge.state, "expired")
        self.assertFalse(merge.sudo().row_ids)
        self.assertFalse(
            self.env["ir.attachment"].sudo().search([("res_model", "=", "crm.client.merge"), ("res_id", "=", merge.id)])
        )
        [resolved] = self.Partner.client_resolve([self.src1.id])
        self.assertEqual(resolved, {"id": self.src1.id, "resolved_id": self.target.id, "merged": True})

    def test_refusals(self):
        result = self.merge()
        with self.assertRaises(AccessError):
            self.Partner.with_user(self.client_user).client_merge_undo(result["merge_id"])
        for bad in (None, "1", True, [result["merge_id"]]):
            with self.assertRaisesRegex(UserError, "id of a merge"):
                self.Partner.client_merge_undo(bad)
        with self.assertRaisesRegex(UserError, "no merge"):
            self.Partner.client_merge_undo(result["merge_id"] + 1000)
        self.Partner.client_merge_undo(result["merge_id"])
        with self.assertRaisesRegex(UserError, "already undone"):
            self.Partner.client_merge_undo(result["merge_id"])

    def test_merges_of_merges(self):
        first = self.merge()
        keeper = self.create_client(name="Final Keeper")
        second = self.Partner.client_merge([self.target.id], keeper.id)
        resolved = self.Partner.client_resolve([self.src1.id, self.src2.id, self.target.id, keeper.id])
        self.assertEqual([r["resolved_id"] for r in resolved], [keeper.id] * 4)
        self.assertEqual([r["merged"] for r in resolved], [True, True, True, False])
        with self.assertRaisesRegex(UserError, "was merged into Final Keeper since: undo that merge first"):
            self.Partner.client_merge_undo(first["merge_id"])
        self.Partner.client_merge_undo(second["merge_id"])
        self.Partner.client_merge_undo(first["merge_id"])
        self.assertTrue((self.src1 | self.src2 | self.target).exists())
        resolved = self.Partner.client_resolve([self.src1.id, self.target.id])
        self.assertEqual([r["resolved_id"] for r in resolved], [self.src1.id, self.target.id])

    def test_the_change_feed_says_created_and_updated(self):
        result = self.merge()
        self.env.flush_all()
        self.env.cr.execute("SELECT coalesce(max(id), 0) FROM crm_client_change")
        mark = self.env.cr.fetchone()[0]
        self.Partner.client_merge_undo(result["merge_id"])
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT xact, id, partner_id, kind, fields, into_id, company_id, external_ref, at FROM crm_client_change "
            # A client changed twice in one transaction has one row (the test runs in one).
            "WHERE id > %s OR partner_id = %s ORDER BY id",
            [mark, self.target.id],
        )
        rows = self.env.cr.fetchall()
        changes = {c["id"]: c for c in self.Partner._client_changes_visible(rows)}
        self.assertEqual(changes[self.src1.id]["kind"], "created")
        self.assertEqual(changes[self.src1.id]["external_ref"], "US-1")
        self.assertEqual(changes[self.src2.id]["kind"], "created")
        # The target was created in this same transaction (the test's): its one row says so.
        self.assertIn(changes[self.target.id]["kind"], ("created", "updated"))


@tagged("post_install", "-at_install")
class TestResolve(MergeUndoCase):
    def test_ids_resolve_in_the_order_asked(self):
        result = self.merge()
        self.other.unlink()
        answer = self.Partner.with_user(self.client_user).client_resolve(
            [self.src2.id, self.target.id, self.other.id, 2**40, self.src1.id, self.src2.id]
        )
        self.assertEqual(
            answer,
            [
                {"id": self.src2.id, "resolved_id": self.target.id, "merged": True},
                {"id": self.target.id, "resolved_id": self.target.id, "merged": False},
                {"id": self.other.id, "resolved_id": False, "merged": False},
                {"id": 2**40, "resolved_id": False, "merged": False},
                {"id": self.src1.id, "resolved_id": self.target.id, "merged": True},
                {"id": self.src2.id, "resolved_id": self.target.id, "merged": True},
            ],
        )
        self.assertTrue(result["merge_id"])

    def test_a_merged_id_whose_holder_was_deleted(self):
        self.merge()
        self.target.child_ids.unlink()
        self.target.email_ids.filtered("locked").action_unlock()  # a locked line keeps its client
        self.target.unlink()
        [answer] = self.Partner.client_resolve([self.src1.id])
        self.assertEqual(answer, {"id": self.src1.id, "resolved_id": False, "merged": True})

    def test_bad_input_and_rights(self):
        for bad in (None, 5, "1,2", [1, "2"], [True], [1.5]):
            with self.assertRaisesRegex(UserError, "list of ids"):
                self.Partner.client_resolve(bad)
        with self.assertRaisesRegex(UserError, "at most"):
            self.Partner.client_resolve(list(range(1, 10_002)))
        portal = new_test_user(self.env, login="resolve_portal", groups="base.group_portal")
        with self.assertRaises(AccessError):
            self.Partner.with_user(portal).client_resolve([self.target.id])

    def test_another_companys_clients_are_unknown(self):
        company_b = self.env["res.company"].create({"name": "Resolve B"})
        hidden = self.create_client(name="Hidden Keeper", company_id=company_b.id)
        gone = self.create_client(name="Hidden Gone", company_id=company_b.id)
        self.Partner.client_merge([gone.id], hidden.id)
        user = new_test_user(self.env, login="resolve_user_a", groups="base.group_user,crm_clients.group_client_user")
        answer = self.Partner.with_user(user).client_resolve([hidden.id, gone.id])
        self.assertEqual(
            answer,
            [
                {"id": hidden.id, "resolved_id": False, "merged": False},
                {"id": gone.id, "resolved_id": False, "merged": False},
            ],
        )
