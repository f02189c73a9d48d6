"""The record's promises on the other ways into the same data: a caller's context, Odoo's
own merge wizard, a second company, ID document scans through Odoo's attachment
machinery. Each test attacks as the least privileged role that reaches the data."""

import base64

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .test_channels import ChannelsCase

# Every context key our code ever read as a switch, sent by a caller as JSON-RPC would.
CALLER_SWITCHES = {
    "crm_clients_merge": True,
    "crm_clients_sync_done": True,
    "crm_clients_sync_from_partner": True,
    "crm_clients_not_a_client": True,
    "crm_clients_cascade": True,
    "crm_client_status_default_swap": True,
}


@tagged("post_install", "-at_install")
class TestCallerContext(ChannelsCase):
    """A context key is caller input: none of them switches a guarantee off."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.client.email_ids.action_lock()
        cls.client.phone_ids.action_lock()
        cls.locked_email = cls.client.email_ids
        cls.as_employee = cls.client.with_user(cls.user).with_context(**CALLER_SWITCHES)

    def test_locked_lines_stay_locked(self):
        line = self.locked_email.with_user(self.user).with_context(**CALLER_SWITCHES)
        with self.assertRaisesRegex(UserError, "locked"):
            line.write({"email": "inny@firma.pl"})
        with self.assertRaisesRegex(UserError, "locked"):
            line.write({"partner_id": self.create_client(name="Elsewhere").id})
        with self.assertRaisesRegex(UserError, "locked"):
            line.unlink()
        with self.assertRaises(AccessError):
            line.write({"locked": False})
        with self.assertRaises(AccessError):
            line.action_unlock()
        self.assertEqual((self.locked_email.email, self.locked_email.locked), ("biuro@firma.pl", True))

    def test_the_partner_fields_of_locked_lines_stay(self):
        for fname, value in (("email", "inny@firma.pl"), ("phone", "+48 22 999 99 99"), ("mobile", False)):
            with self.subTest(fname=fname), self.assertRaisesRegex(UserError, "locked"):
                self.as_employee.write({fname: value})
        self.assertEqual(self.client.email, "Biuro@Firma.PL")
        self.assertEqual(self.client.email_ids.email, "biuro@firma.pl")

    def test_a_partner_with_locked_lines_is_not_deleted(self):
        with self.assertRaisesRegex(UserError, "cannot be deleted"):
            self.as_employee.unlink()
        self.assertTrue(self.client.exists())

    def test_new_lines_are_validated_and_mirrored(self):
        Email = self.Email.with_user(self.user).with_context(**CALLER_SWITCHES)
        partner = self.create_client(name="No email yet")
        with self.assertRaises(ValidationError):
            Email.create({"partner_id": partner.id, "email": "not an email"})
        created = Email.create({"partner_id": partner.id, "email": "Nowy@Firma.pl"})
        # The first line is the primary one and the partner's own field follows it.
        self.assertTrue(created.is_primary and created.is_valid)
        self.assertEqual(partner.email, "nowy@firma.pl")

    def test_clients_get_their_number_and_status(self):
        client = self.Partner.with_user(self.user).with_context(**CALLER_SWITCHES).create({"name": "Switches Ltd"})
        self.assertTrue(client.client_number)
        self.assertEqual(client.client_status_id, self.status_new)

    def test_archiving_a_client_archives_its_contacts(self):
        person = self.Partner.create({"name": "Person", "parent_id": self.client.id})
        self.as_employee.action_archive()
        self.assertFalse(person.active)
        self.as_employee.with_context(active_test=False).action_unarchive()
        self.assertTrue(person.active)

    def test_exactly_one_default_status(self):
        with self.assertRaises(ValidationError):
            self.status_vip.with_user(self.client_manager).with_context(**CALLER_SWITCHES).write(
                {"is_default": True, "active": False}
            )
        self.assertTrue(self.status_new.is_default)


@tagged("post_install", "-at_install")
class TestCoreMergeWizard(ChannelsCase):
    """Contacts > Action > Merge, as an employee with Contact Creation only, gives the
    guarantees of client_merge."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.employee.groups_id += cls.env.ref("base.group_partner_manager")
        cls.target = cls.create_client(name="Kowalski", external_ref="ERP-1", email="biuro@kowalski.pl")
        cls.source = cls.create_client(
            name="Kowalski bis", external_ref="ERP-2", email="biuro@kowalski.pl", phone="+48 22 100 03 11"
        )
        cls.env["crm.client.email"].create({"partner_id": cls.source.id, "email": "zarzad@kowalski.pl"})
        cls.source.email_ids.action_lock()
        cls.source.phone_ids.action_lock()
        cls.other = cls.create_client(name="Referrer")
        cls.env["crm.client.relation"].create(
            {
                "left_partner_id": cls.other.id,
                "type_id": cls.env.ref("crm_clients.relation_type_referral").id,
                "right_partner_id": cls.source.id,
            }
        )

    def _merge(self, *partners, user=None):
        user = user or self.employee
        wizard = (
            self.env["base.partner.merge.automatic.wizard"]
            .with_user(user)
            .create({"partner_ids": [(6, 0, [p.id for p in partners])], "dst_partner_id": partners[0].id})
        )
        wizard.action_merge()

    def test_sources_following_the_same_record_become_one_follower(self):
        """Two duplicates following the same client: the merge keeps one follower (it
        failed on Odoo's unique follower index)."""
        twin = self.create_client(name="Kowalski ter", email="biuro@kowalski.pl")
        self.other.message_subscribe(partner_ids=(self.source | twin).ids)
        self._merge(self.target, self.source, twin)
        self.assertFalse((self.source | twin).exists())
        followers = self.other.message_follower_ids.filtered(lambda f: f.partner_id == self.target)
        self.assertEqual(len(followers), 1)

    def test_lines_kept_collapsed_and_locked(self):
        target_number = self.target.client_number
        source_number = self.source.client_number
        self._merge(self.target, self.source)
        self.assertFalse(self.source.exists())
        target = self.target
        emails = {line.email: line for line in target.email_ids}
        self.assertEqual(sorted(emails), ["biuro@kowalski.pl", "zarzad@kowalski.pl"])
        self.assertTrue(emails["biuro@kowalski.pl"].locked, "two lines with one value: one line, locked")
        self.assertTrue(emails["zarzad@kowalski.pl"].locked)
        self.assertEqual(target.phone_ids.mapped("number"), ["+48221000311"])
        self.assertTrue(target.phone_ids.locked)
        digits = "".join(ch for ch in target.phone or "" if ch.isdigit())
        self.assertEqual(digits, "48221000311", "the moved primary phone mirrors into the partner's field")
        # The target keeps its number and reference; the source's reference is an alias.
        self.assertEqual((target.client_number, target.external_ref), (target_number, "ERP-1"))
        [result] = self.Partner.client_upsert([{"external_ref": "ERP-2", "name": "Kowalski"}])
        self.assertEqual((result["id"], result["created"]), (target.id, False))
        self.assertEqual(self.other.client_relation_ids.right_partner_id, target)
        self.assertIn(source_number, "".join(target.message_ids.mapped("body")), "the merge is logged with numbers")

    def test_a_row_that_cannot_move_fails_the_merge(self):
        cr = self.env.cr
        cr.execute(
            """CREATE TABLE crm_clients_test_loyalty (
                   id serial PRIMARY KEY, partner_id int REFERENCES res_partner(id) ON DELETE CASCADE,
                   program varchar, UNIQUE (partner_id, program))"""
        )
        cr.execute(
            "INSERT INTO crm_clients_test_loyalty (partner_id, program) VALUES (%s, 'gold'), (%s, 'gold')",
            [self.target.id, self.source.id],
        )
        with self.assertRaisesRegex(UserError, "nothing was changed"), mute_logger("odoo.sql_db"):
            self._merge(self.target, self.source)
        self.env.invalidate_all()
        self.assertTrue(self.source.exists())
        self.assertEqual(len(self.source.email_ids), 2)
        cr.execute("SELECT count(*) FROM crm_clients_test_loyalty")
        self.assertEqual(cr.fetchone()[0], 2, "nothing deleted")

    def test_the_tables_are_read_again_by_the_next_merge(self):
        # A merge reads the tables pointing to partners once, for itself only: a table
        # gone since (a module uninstalled, a savepoint rolled back) is not looked for.
        cr = self.env.cr
        cr.execute(
            "CREATE TABLE crm_clients_test_visits (id serial PRIMARY KEY, partner_id int REFERENCES res_partner(id))"
        )
        cr.execute("INSERT INTO crm_clients_test_visits (partner_id) VALUES (%s)", [self.source.id])
        self._merge(self.target, self.source)
        cr.execute("SELECT partner_id FROM crm_clients_test_visits")
        self.assertEqual(cr.fetchall(), [(self.target.id,)], "the row moved to the target")
        cr.execute("DROP TABLE crm_clients_test_visits")
        other = self.create_client(name="Kowalski ter", email="biuro@kowalski.pl")
        self._merge(self.target, other)
        self.assertFalse(other.exists())

    def test_core_refusals_still_hold(self):
        # Core's own checks stay: a plain employee merges only partners with one email.
        with self.assertRaisesRegex(UserError, "same email"):
            self._merge(self.target, self.create_client(name="Other email", email="x@y.pl"))


@tagged("post_install", "-at_install")
class TestSecondCompany(ChannelsCase):
    """What hangs off a partner of company A is invisible to a user of company B."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.env.company
        cls.company_b = cls.env["res.company"].create({"name": "Company B"})
        cls.client.company_id = cls.company_a
        cls.partner_a2 = cls.create_client(name="Partner A2", company_id=cls.company_a.id)
        cls.relation = cls.env["crm.client.relation"].create(
            {
                "left_partner_id": cls.client.id,
                "type_id": cls.env.ref("crm_clients.relation_type_partner").id,
                "right_partner_id": cls.partner_a2.id,
            }
        )
        cls.alias = cls.env["crm.client.external.ref.alias"].create(
            {"partner_id": cls.client.id, "external_ref": "OLD-1", "company_id": cls.company_a.id}
        )
        cls.person = cls.Partner.create({"name": "Anna", "parent_id": cls.client.id, "company_id": cls.company_a.id})
        cls.scan = cls.env["crm.client.id.document"].create(
            {"partner_id": cls.person.id, "scan": base64.b64encode(b"%PDF-1.4 passport")}
        )
        cls.client.message_post(body="Confidential note", message_type="comment")
        cls.user_b = new_test_user(
            cls.env,
            login="crm_company_b",
            groups="base.group_user,crm_clients.group_client_manager,crm_clients.group_client_id_documents",
            company_id=cls.company_b.id,
            company_ids=[(6, 0, cls.company_b.ids)],
        )

    def test_lines_relations_aliases_and_scans(self):
        env = self.env(user=self.user_b)
        for model, record in (
            ("crm.client.email", self.client.email_ids[:1]),
            ("crm.client.phone", self.client.phone_ids[:1]),
            ("crm.client.relation", self.relation),
            ("crm.client.external.ref.alias", self.alias),
            ("crm.client.id.document", self.scan),
        ):
            with self.subTest(model=model):
                self.assertFalse(env[model].search([("id", "=", record.id)]))
                with self.assertRaises(AccessError):
                    env[model].browse(record.id).read(["display_name"])
        sides = env["crm.client.relation.side"].search([("relation_id", "=", self.relation.id)])
        self.assertFalse(sides)
        self.assertFalse(
            env["ir.attachment"].search([("res_model", "=", "crm.client.id.document"), ("res_field", "=", "scan")])
        )

    def test_timeline(self):
        env = self.env(user=self.user_b)
        self.assertFalse(env["crm.client.timeline"].search([("client_id", "=", self.client.id)]))
        with self.assertRaises(AccessError):
            self.client.with_user(self.user_b).client_timeline_read()
        # The same user, given company A, sees them.
        self.user_b.company_ids += self.company_a
        env = self.env(user=self.user_b, context={"allowed_company_ids": [self.company_b.id, self.company_a.id]})
        self.assertTrue(env["crm.client.email"].search([("partner_id", "=", self.client.id)]))
        self.assertTrue(env["crm.client.timeline"].search([("client_id", "=", self.client.id)]))

    def test_duplicates_and_merge(self):
        twin = self.create_client(name="Channels", company_id=self.company_a.id)
        groups = self.Partner.with_user(self.user_b).client_find_duplicates()
        self.assertFalse([g for g in groups if twin.id in g["partner_ids"]])
        with self.assertRaises(AccessError):
            self.Partner.with_user(self.user_b).client_merge([twin.id], self.client.id)


@tagged("post_install", "-at_install")
class TestIdDocumentScans(ChannelsCase):
    """A scan is reachable by the ID documents group only, on every path."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.person = cls.Partner.create({"name": "Jan Nowak", "parent_id": cls.client.id})
        cls.keeper = new_test_user(
            cls.env, login="crm_id_keeper", groups="base.group_user,crm_clients.group_client_id_documents"
        )
        cls.document = (
            cls.env["crm.client.id.document"]
            .with_user(cls.keeper)
            .create(
                {
                    "partner_id": cls.person.id,
                    "document_type": "passport",
                    "number": "ZS1234567",
                    "scan": base64.b64encode(b"%PDF-1.4 passport scan"),
                    "scan_name": "passport.pdf",
                }
            )
        )
        cls.attachment = cls.env["ir.attachment"].search(
            [("res_model", "=", "crm.client.id.document"), ("res_id", "=", cls.document.id), ("res_field", "=", "scan")]
        )

    def test_the_group_keeps_them(self):
        self.assertEqual(len(self.attachment), 1)
        document = self.document.with_user(self.keeper)
        self.assertEqual(base64.b64decode(document.scan), b"%PDF-1.4 passport scan")
        self.assertEqual(self.person.with_user(self.keeper).client_id_document_ids, self.document)

    def test_nobody_else_reaches_them(self):
        for user in (self.user, self.client_user, self.lock_manager, self.client_manager):
            with self.subTest(user=user.login):
                env = self.env(user=user)
                partner = self.person.with_user(user)
                # Not among the partner's documents, box, chatter or attachments.
                self.assertNotIn(self.attachment, partner.client_document_ids)
                self.assertFalse(
                    env["ir.attachment"].search([("res_model", "=", "res.partner"), ("res_id", "=", self.person.id)])
                )
                self.assertFalse(env["ir.attachment"].search([("id", "=", self.attachment.id)]))
                with self.assertRaises(AccessError):
                    env["ir.attachment"].browse(self.attachment.id).read(["datas"])
                with self.assertRaises(AccessError):
                    env["crm.client.id.document"].search([])
                with self.assertRaises(AccessError):
                    env["ir.attachment"].browse(self.attachment.id).write({"client_shared": True})
                with self.assertRaises(AccessError):
                    env["ir.attachment"].browse(self.attachment.id).write(
                        {"res_model": "res.partner", "res_id": self.person.id, "res_field": False}
                    )

    def test_earlier_scans_are_migrated(self):
        """Scans kept by 18.0.1.0.0 as attachments of the partner (a link table)."""
        old = self.env["ir.attachment"].create(
            {"name": "id-card.jpg", "raw": b"old scan", "res_model": "res.partner", "res_id": self.person.id}
        )
        cr = self.env.cr
        cr.execute("CREATE TABLE crm_clients_test_legacy_rel (partner_id int, attachment_id int)")
        cr.execute("INSERT INTO crm_clients_test_legacy_rel VALUES (%s, %s)", [self.person.id, old.id])
        self.assertEqual(self.env["crm.client.id.document"]._migrate_attachments("crm_clients_test_legacy_rel"), 1)
        migrated = self.person.client_id_document_ids - self.document
        self.assertEqual((migrated.scan_name, base64.b64decode(migrated.scan)), ("id-card.jpg", b"old scan"))
        self.assertNotIn(old, self.person.client_document_ids, "no longer one of the partner's documents")


@tagged("post_install", "-at_install")
class TestTimelineSetting(ChannelsCase):
    def test_jit_setting_is_restored(self):
        cr = self.env.cr
        cr.execute("SET LOCAL jit = on")
        self.client.client_timeline_read()
        cr.execute("SHOW jit")
        self.assertEqual(cr.fetchone()[0], "on", "the timeline's setting does not leak into the transaction")


@tagged("post_install", "-at_install")
class TestBoxAction(ChannelsCase):
    def test_unknown_box_is_a_clear_error(self):
        for key in ("nope", ["sale_order"], None):
            with self.subTest(key=key), self.assertRaisesRegex(UserError, "no client box"):
                self.client.with_context(client_box=key).action_client_box()
