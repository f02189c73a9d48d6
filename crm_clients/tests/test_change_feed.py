"""The change feed in the database: what the triggers write for each kind of change
(ORM, SQL, merges, Odoo's merge wizard), retention, bad cursors, rights, and reading on a
read-only transaction. A feed reader only sees finished transactions, and a test runs
in one transaction: the rows this transaction wrote are read from the table here; the
feed itself, across real commits, is tested over XML-RPC and HTTP in
tests/test_xmlrpc_changes.py."""

from odoo import api
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from ..models.crm_client_change import ChangeCursorExpired
from ..models.crm_client_change import ChangeCursorInvalid
from ..models.crm_client_change import ChangeLimitInvalid
from .common import CrmClientsCase


@tagged("post_install", "-at_install")
class TestChangeFeedRecording(CrmClientsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.client = cls.create_client(name="Feed Client", external_ref="FEED-1", email="feed@client.pl")
        cls.contact = cls.Partner.create({"name": "Feed Person", "parent_id": cls.client.id})
        cls.other = cls.create_client(name="Feed Other", external_ref="FEED-2")
        cls.entity = cls.Partner.create(
            {"name": "Feed Entity Ltd", "parent_id": cls.client.id, "is_billing_entity": True, "vat": "5261040828"}
        )
        # Made yesterday, in another transaction: what this test does to them is news.
        cls.env.flush_all()
        cls.env.cr.execute(
            "UPDATE res_partner SET create_date = create_date - interval '1 day' WHERE id IN %s",
            [tuple((cls.client | cls.contact | cls.other | cls.entity).ids)],
        )
        cls.env.invalidate_all()

    def rows(self):
        """What the feed will say of this transaction's changes (the reader's own code on
        the rows this transaction wrote): [(id, kind, fields, into_id)]."""
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT xact, id, partner_id, kind, fields, into_id, company_id, external_ref, at FROM crm_client_change "
            "WHERE xact = crm_client_change_xact() AND id > %s ORDER BY id",
            [self.mark],
        )
        changes = self.Partner._client_changes_visible(self.env.cr.fetchall())
        return [(c["id"], c["kind"], c["fields"], c.get("into_id")) for c in changes]

    def raw_rows(self):
        """The rows this transaction wrote: [(id, kind, fields)]."""
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT partner_id, kind, fields FROM crm_client_change WHERE xact = crm_client_change_xact() AND id > %s "
            "ORDER BY id",
            [self.mark],
        )
        return [(pid, kind, sorted(names or [])) for pid, kind, names in self.env.cr.fetchall()]

    def setUp(self):
        super().setUp()
        self.env.flush_all()
        self.env.cr.execute("SELECT coalesce(max(id), 0) FROM crm_client_change")
        self.mark = self.env.cr.fetchone()[0]

    def test_a_new_client_is_one_created_row(self):
        partner = self.create_client(
            name="Brand New",
            email="new@client.pl",
            phone="+48 22 111 22 33",
            child_ids=[(0, 0, {"name": "Its Person", "email": "person@client.pl"})],
            category_id=[(0, 0, {"name": "Feed tag"})],
        )
        partner.write({"city": "Kraków"})  # the same transaction: still just "created"
        self.assertEqual(self.rows(), [(partner.id, "created", [], None)])

    def test_field_changes_name_the_fields(self):
        self.client.write({"name": "Feed Client Renamed", "city": "Gdańsk"})
        # The contact's address follows the client's (child_ids); the computed columns
        # that follow (complete_name, the contacts' company name) are not named.
        self.assertEqual(self.rows(), [(self.client.id, "updated", ["child_ids", "city", "name"], None)])

    def test_a_users_partner_is_no_client(self):
        user = new_test_user(self.env, login="feed_new_employee", groups="base.group_user")
        self.assertIn((user.partner_id.id, "created", []), self.raw_rows())
        self.assertEqual(self.rows(), [])

    def test_archive_and_restore(self):
        self.other.action_archive()
        self.assertEqual(self.rows(), [(self.other.id, "archived", ["active"], None)])
        self.other.action_unarchive()
        # One change per client and transaction: the last state.
        self.assertEqual(self.rows(), [(self.other.id, "restored", ["active"], None)])
        kinds = [kind for _pid, kind, _names in self.raw_rows()]
        self.assertEqual(kinds, ["archived", "restored"])

    def test_contacts_lines_relations_and_tags_are_changes_of_their_client(self):
        self.contact.write({"function": "Buyer"})
        self.assertEqual(self.raw_rows(), [(self.client.id, "updated", ["child_ids.function"])])
        self.assertEqual(self.rows(), [(self.client.id, "updated", ["child_ids"], None)])
        self.mark = self.rows_mark()
        self.env["crm.client.phone"].create({"partner_id": self.client.id, "number": "+48 22 555 66 77"})
        # The first phone line is the primary one: the client's phone field follows.
        self.assertEqual(self.rows(), [(self.client.id, "updated", ["phone", "phone_ids"], None)])
        self.mark = self.rows_mark()
        self.client.email_ids.write({"note": "orders"})
        self.assertEqual(self.rows(), [(self.client.id, "updated", ["email_ids"], None)])
        self.mark = self.rows_mark()
        self.entity.write({"street": "ul. Nowa 1"})
        self.assertEqual(self.rows(), [(self.client.id, "updated", ["billing_entity_ids"], None)])
        self.mark = self.rows_mark()
        self.env["crm.client.relation"].create(
            {
                "left_partner_id": self.client.id,
                "type_id": self.env.ref("crm_clients.relation_type_partner").id,
                "right_partner_id": self.other.id,
            }
        )
        self.assertCountEqual(
            self.rows(),
            [
                (self.client.id, "updated", ["client_relation_ids"], None),
                (self.other.id, "updated", ["client_relation_ids"], None),
            ],
        )
        self.mark = self.rows_mark()
        self.other.category_id = [(0, 0, {"name": "Feed VIP"})]
        self.assertEqual(self.rows(), [(self.other.id, "updated", ["category_id"], None)])
        self.mark = self.rows_mark()
        self.contact.unlink()
        self.assertEqual(self.rows(), [(self.client.id, "updated", ["child_ids"], None)])

    def test_a_new_contact_with_email_and_phone_is_a_change_of_its_client(self):
        # The lines mirrored from a new contact's (or billing entity's) email and phone are
        # part of its client's change, as the contact itself is.
        self.Partner.create(
            [
                {"name": "New Person", "parent_id": self.client.id, "email": "np@client.pl", "phone": "22 111 22 44"},
                {"name": "Other Person", "parent_id": self.other.id, "mobile": "+48 601 111 222"},
            ]
        )
        self.assertCountEqual(
            self.rows(),
            [(self.client.id, "updated", ["child_ids"], None), (self.other.id, "updated", ["child_ids"], None)],
        )
        self.mark = self.rows_mark()
        self.Partner.create(
            {"name": "New Entity", "parent_id": self.client.id, "is_billing_entity": True, "email": "inv@client.pl"}
        )
        self.assertEqual(self.rows(), [(self.client.id, "updated", ["billing_entity_ids"], None)])
        # The feed is on again after those creates; off stays off (as while installing).
        self.mark = self.rows_mark()
        self.other.write({"city": "Gdańsk"})
        self.assertEqual(self.rows(), [(self.other.id, "updated", ["city"], None)])
        self.env.cr.execute("SELECT set_config('crm_clients.change_feed', 'off', true)")
        self.create_client(name="Unseen", email="unseen@client.pl", phone="22 111 22 55")
        self.env.flush_all()
        self.env.cr.execute("SELECT current_setting('crm_clients.change_feed')")
        self.assertEqual(self.env.cr.fetchone()[0], "off")

    def rows_mark(self):
        self.env.flush_all()
        self.env.cr.execute("SELECT max(id) FROM crm_client_change")
        return self.env.cr.fetchone()[0]

    def test_writes_in_sql_are_caught(self):
        self.env.flush_all()
        self.env.cr.execute("UPDATE res_partner SET website = 'https://feed.example' WHERE id = %s", [self.other.id])
        self.env.cr.execute("DELETE FROM crm_client_email WHERE partner_id = %s", [self.client.id])
        self.assertEqual(
            self.rows(),
            [(self.other.id, "updated", ["website"], None), (self.client.id, "updated", ["email_ids"], None)],
        )

    def test_only_computed_or_technical_columns_is_no_row(self):
        self.env.flush_all()
        self.env.cr.execute("UPDATE res_partner SET write_date = now() WHERE id = %s", [self.other.id])
        self.assertEqual(self.rows(), [])

    def test_deleting_a_client(self):
        company = self.other.company_id.id or None
        self.other.unlink()
        self.assertEqual(self.rows(), [(self.other.id, "deleted", [], None)])
        self.env.cr.execute(
            "SELECT company_id, external_ref FROM crm_client_change WHERE id > %s AND kind = 'deleted'", [self.mark]
        )
        self.assertEqual(self.env.cr.fetchone(), (company, "FEED-2"))

    def test_client_merge_says_merged_not_deleted(self):
        self.Partner.client_merge([self.other.id], self.client.id)
        rows = self.rows()
        self.assertIn((self.other.id, "merged", [], self.client.id), rows)
        self.assertNotIn("deleted", [kind for _pid, kind, _names, _into in rows])
        self.env.cr.execute("SELECT external_ref FROM crm_client_change WHERE id > %s AND kind = 'merged'", [self.mark])
        self.assertEqual(self.env.cr.fetchone(), ("FEED-2",))

    def test_odoo_merge_wizard_says_merged_not_deleted(self):
        wizard = (
            self.env["base.partner.merge.automatic.wizard"]
            .with_context(active_model="res.partner", active_ids=(self.client | self.other).ids)
            .create({"dst_partner_id": self.client.id})
        )
        wizard.action_merge()
        rows = self.rows()
        self.assertIn((self.other.id, "merged", [], self.client.id), rows)
        self.assertNotIn("deleted", [kind for _pid, kind, _names, _into in rows])

    def test_the_feed_objects_can_be_dropped(self):
        """What the uninstall hook calls: no trigger or function of the feed remains on
        core's tables (rolled back with the test)."""
        self.env["crm.client.change"]._feed_drop_sql_objects()
        self.env.cr.execute(
            "SELECT tgname FROM pg_trigger WHERE tgname LIKE 'crm_client_change%%' "
            "UNION ALL SELECT proname FROM pg_proc WHERE proname LIKE 'crm_client_change%%'"
        )
        self.assertEqual(self.env.cr.fetchall(), [])
        self.other.write({"name": "Still writable"})  # core's table works without them


@tagged("post_install", "-at_install")
class TestChangeFeedReading(CrmClientsCase):
    def test_bad_cursor_and_limit_are_clear_errors(self):
        for cursor in ("nonsense", "12", "1.2.3", 42, ["1.2"], "-1.5"):
            with self.assertRaises(ChangeCursorInvalid) as caught:
                self.Partner.client_changes(cursor)
            self.assertIn("is not a cursor of the client change feed", str(caught.exception))
        for limit in (0, -1, 10_001, "10", 1.5, True):
            with self.assertRaises(ChangeLimitInvalid):
                self.Partner.client_changes(False, limit)

    def test_a_cursor_from_the_future_is_refused(self):
        with self.assertRaises(ChangeCursorExpired) as caught:
            self.Partner.client_changes("999999999999.1")
        self.assertIn("Start again from a full read", str(caught.exception))

    def test_portal_and_public_users_get_nothing(self):
        portal = new_test_user(self.env, login="feed_portal_user", groups="base.group_portal")
        public = self.env.ref("base.public_user")
        for user in (portal, public):
            with self.assertRaises(AccessError):
                self.Partner.with_user(user).client_changes()

    def test_an_employee_reads_the_feed(self):
        answer = self.Partner.with_user(self.employee).client_changes(limit=5)
        self.assertEqual(set(answer), {"changes", "cursor", "more"})
        self.assertIsInstance(answer["cursor"], str)

    def test_retention_prunes_a_prefix_and_refuses_older_cursors(self):
        """Entries of long-finished transactions older than the retention are removed by
        the scheduled action; a cursor before them is refused, the new start is not."""
        cr = self.env.cr
        self.env["ir.config_parameter"].sudo().set_param("crm_clients.change_feed_retention_days", "7")
        cr.execute(
            """
            INSERT INTO crm_client_change (xact, partner_id, kind, at) VALUES
                (3, %(id)s, 'updated', now() - interval '20 days'),
                (4, %(id)s, 'updated', now() - interval '10 days')
            RETURNING id
            """,
            {"id": self.env.ref("base.main_partner").id},
        )
        first, second = (row_id for (row_id,) in cr.fetchall())
        cr.execute("SELECT xact, id FROM crm_client_change WHERE xact < 3 ORDER BY xact, id LIMIT 1")
        older = cr.fetchone()
        self.env["crm.client.change"]._cron_prune()
        cr.execute("SELECT xact, id, kind FROM crm_client_change ORDER BY xact, id LIMIT 1")
        self.assertEqual(cr.fetchone(), (4, second, "pruned"))
        for cursor in (f"3.{first}", *([f"{older[0]}.{older[1]}"] if older else [])):
            with self.assertRaises(ChangeCursorExpired) as caught:
                self.Partner.client_changes(cursor)
            self.assertIn("older than the changes kept (7 days)", str(caught.exception))
        start = self.Partner.client_changes(limit=1)["cursor"]
        self.assertGreaterEqual(tuple(map(int, start.split("."))), (4, second))
        self.Partner.client_changes(f"4.{second}")  # the prune point itself is fine

    def test_reading_writes_nothing(self):
        """The feed is read on a read-only transaction (a replica) as on the primary."""
        admin = self.env.ref("base.user_admin")  # committed: the other transaction sees it
        with self.registry.cursor() as cr:
            cr.execute("SET TRANSACTION READ ONLY")
            env = api.Environment(cr, admin.id, {})
            answer = env["res.partner"].client_changes(limit=3)
            env["res.partner"].client_changes(answer["cursor"], limit=3)
            with self.assertRaises(ChangeCursorInvalid):
                env["res.partner"].client_changes("not a cursor")
        self.assertIn("cursor", answer)

    def test_errors_are_user_errors(self):
        self.assertTrue(issubclass(ChangeCursorExpired, UserError))
        with self.assertRaises(UserError):
            self.Partner.client_changes("x")

    def test_old_transactions_are_read_in_order(self):
        """Rows of finished transactions come in (transaction, row) order, one change per
        client and transaction; a cursor gives what follows it, exactly once."""
        cr = self.env.cr
        partners = self.Partner.search([("is_client", "=", True)], limit=2)
        if len(partners) < 2:
            partners |= self.create_client(name="Old A") | self.create_client(name="Old B")
            self.env.flush_all()
        a, b = partners[:2].ids
        cr.execute("SELECT coalesce(max(xact), 0) FROM crm_client_change WHERE xact < 100")
        base = cr.fetchone()[0]
        # Transactions 11..13 (long finished); 12's rows were written before 11's.
        cr.execute(
            """
            INSERT INTO crm_client_change (xact, partner_id, kind, fields) VALUES
                (%(t2)s, %(b)s, 'updated', '{name}'), (%(t2)s, %(b)s, 'updated', '{city}'),
                (%(t1)s, %(a)s, 'updated', '{name}'), (%(t3)s, %(a)s, 'archived', '{active}')
            """,
            {"t1": base + 11, "t2": base + 12, "t3": base + 13, "a": a, "b": b},
        )
        start = f"{base + 10}.0"
        seen = []
        cursor = start
        while True:
            page = self.Partner.client_changes(cursor, limit=2)
            seen += [(c["id"], c["kind"], c["fields"]) for c in page["changes"]]
            cursor = page["cursor"]
            if not page["more"] or int(cursor.split(".")[0]) > base + 13:
                break
        ours = [change for change in seen if change[0] in (a, b)][:3]
        self.assertEqual(
            ours, [(a, "updated", ["name"]), (b, "updated", ["city", "name"]), (a, "archived", ["active"])]
        )
