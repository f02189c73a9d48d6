from psycopg2 import IntegrityError

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools import mute_logger

from ..tools.internal import SYNC_FROM_PARTNER
from ..tools.internal import switch_on
from .common import CrmClientsCase


class ChannelsCase(CrmClientsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Email = cls.env["crm.client.email"]
        cls.Phone = cls.env["crm.client.phone"]
        cls.lock_manager = new_test_user(
            cls.env,
            login="crm_lock_manager",
            groups="base.group_user,base.group_partner_manager,crm_clients.group_client_lock_manager",
        )
        cls.user = new_test_user(
            cls.env,
            login="crm_channel_user",
            groups="base.group_user,base.group_partner_manager,crm_clients.group_client_user",
        )
        cls.client = cls.create_client(
            name="Channels",
            country_id=cls.poland.id,
            email="Biuro@Firma.PL",
            phone="22 123 45 67",
            mobile="601-234-567",
        )


@tagged("post_install", "-at_install")
class TestChannels(ChannelsCase):
    def test_partner_fields_become_lines(self):
        client = self.client
        self.assertEqual(client.email, "Biuro@Firma.PL", "the partner's own field stays as typed")
        self.assertEqual(client.email_ids.mapped("email"), ["biuro@firma.pl"])
        self.assertTrue(client.email_ids.is_primary)
        phone = client.phone_ids.filtered("is_primary")
        mobile = client.phone_ids.filtered("is_mobile")
        self.assertEqual(phone.number, "+48221234567")
        self.assertEqual(phone.number_display, "+48 22 123 45 67")
        self.assertEqual(mobile.number, "+48601234567")
        self.assertFalse(mobile.is_primary, "the mobile is a non-primary line")

    def test_phone_and_mobile_with_one_number_make_one_line(self):
        client = self.create_client(
            name="Same Number", country_id=self.poland.id, phone="22 777 88 99", mobile="+48 22 777 88 99"
        )
        self.assertEqual(client.phone_ids.mapped("number"), ["+48227778899"])
        self.assertTrue(client.phone_ids.is_primary)

    def test_writing_the_partner_writes_the_primary_line(self):
        self.client.email = "nowy@firma.pl"
        self.assertEqual(self.client.email_ids.mapped("email"), ["nowy@firma.pl"])
        self.client.phone = "+48 22 765 43 21"
        self.assertEqual(self.client.phone_ids.filtered("is_primary").number, "+48227654321")
        self.client.mobile = False
        self.assertFalse(self.client.phone_ids.filtered("is_mobile"))
        self.client.email = False
        self.assertFalse(self.client.email_ids)

    def test_writing_the_value_of_another_line_promotes_it(self):
        second = self.Email.create({"partner_id": self.client.id, "email": "faktury@firma.pl", "is_invoicing": True})
        self.assertFalse(second.is_primary)
        self.client.email = "FAKTURY@firma.pl"
        self.assertTrue(second.is_primary)
        self.assertEqual(len(self.client.email_ids), 2)

    def test_line_edits_write_the_partner(self):
        primary = self.client.email_ids
        primary.email = "Szef@Firma.pl"
        self.assertEqual(primary.email, "szef@firma.pl")
        self.assertEqual(self.client.email, "szef@firma.pl")
        new = self.Email.create({"partner_id": self.client.id, "email": "sekretariat@firma.pl", "is_primary": True})
        self.assertEqual(self.client.email, "sekretariat@firma.pl")
        self.assertFalse(primary.is_primary)
        new.unlink()
        self.assertTrue(primary.is_primary, "the next line becomes primary")
        self.assertEqual(self.client.email, "szef@firma.pl")
        self.client.phone_ids.filtered("is_mobile").number = "602 000 111"
        self.assertEqual(self.client.mobile, "+48602000111")

    def test_lines_given_with_the_partner(self):
        client = self.Partner.create(
            {
                "name": "Lines first",
                "country_id": self.poland.id,
                "email_ids": [
                    Command.create({"email": "a@firma.pl"}),
                    Command.create({"email": "b@firma.pl", "is_invoicing": True}),
                ],
                "phone_ids": [Command.create({"number": "+48 22 111 22 33 ext. 45", "is_whatsapp": True})],
            }
        )
        self.assertEqual(client.email, "a@firma.pl")
        self.assertEqual(client.email_ids.filtered("is_primary").email, "a@firma.pl")
        phone = client.phone_ids
        self.assertEqual((phone.number, phone.extension), ("+48221112233", "45"))
        self.assertEqual(client.phone, "+48221112233")
        self.assertEqual(phone.whatsapp_url, "https://wa.me/48221112233")

    def test_mirrored_lines_normalize_like_the_lines_themselves(self):
        # Lines mirrored at creation take core's email_normalized / phone_sanitized when
        # those are the same as the line's own normalization: every typing gives the line
        # its own normalization would give (extension, several addresses, no country,
        # a mobile, free text), in one batch.
        typed = [
            ({"email": "Jan Kowalski <Jan.Kowalski@Firma.PL>", "phone": "(22) 123-45-67"}, self.poland),
            ({"email": "a@firma.pl, b@firma.pl", "phone": "0048 22 123 45 68"}, self.poland),
            ({"email": "zoe@example.be", "phone": "+32 2 555 12 12"}, self.belgium),
            ({"email": "x@firma.pl", "phone": "22 123 45 69 ext. 12"}, self.poland),
            ({"email": "y@firma.pl", "phone": "22 123 45 70 x 7"}, self.poland),
            ({"email": "bad@", "phone": "123"}, self.poland),
            ({"email": "z@firma.pl", "phone": "22 123 45 71"}, self.env["res.country"]),
            ({"email": "w@firma.pl", "phone": "22 123 45 72", "mobile": "601 234 568"}, self.poland),
            ({"email": "v@firma.pl", "phone": "+48 22 123 45 73"}, self.belgium),
        ]
        clients = self.Partner.create(
            [{"name": f"Typed {i}", "country_id": country.id, **vals} for i, (vals, country) in enumerate(typed)]
        )
        mirroring = switch_on(SYNC_FROM_PARTNER)  # free text is kept, as when mirroring
        for client, (vals, _country) in zip(clients, typed, strict=True):
            for line, value in (
                (client.email_ids, vals["email"]),
                (client.phone_ids.filtered("is_primary"), vals["phone"]),
            ):
                expected = line.with_context(**mirroring)._channel_normalize(value, client)
                self.assertEqual((line[line._channel_value_field], line.is_valid), expected, f"{client.name}: {value}")
            phone = client.phone_ids.filtered("is_primary")
            extension = self.Phone.with_context(**mirroring)._phone_parse(vals["phone"], client)[2]
            self.assertEqual(phone.extension, extension, f"{client.name}: {vals['phone']}")
        self.assertEqual(clients[3].phone_ids.extension, "12")

    def test_free_text_is_kept_and_flagged(self):
        blank = self.create_client(email=" ", phone="  ")
        self.assertEqual(blank.email, " ")
        self.assertFalse(blank.email_ids or blank.phone_ids)
        client = self.create_client(email="notanemail", phone="call the reception")
        self.assertEqual(client.email, "notanemail")
        self.assertEqual(client.email_ids.email, "notanemail")
        self.assertFalse(client.email_ids.is_valid)
        self.assertFalse(client.phone_ids.is_valid)

    def test_direct_edits_are_validated(self):
        count = self.Email.search_count([])
        with self.assertRaisesRegex(ValidationError, "not a valid email"):
            self.Email.create({"partner_id": self.client.id, "email": "bad@"})
        with self.assertRaisesRegex(ValidationError, "not a valid phone number"):
            self.Phone.create({"partner_id": self.client.id, "number": "12"})
        with self.assertRaisesRegex(ValidationError, "not a valid email"):
            self.client.email_ids.email = "still bad"
        self.assertEqual(self.Email.search_count([]), count)
        self.assertEqual(self.client.email_ids.email, "biuro@firma.pl")

    def test_duplicate_line_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "biuro@firma.pl is already one of the emails of Channels"):
            self.Email.create({"partner_id": self.client.id, "email": "BIURO@firma.pl"})
        with self.assertRaisesRegex(ValidationError, "already one of the phones"):
            self.client.phone_ids.filtered("is_mobile").number = "+48 22 123 45 67"
        with self.assertRaisesRegex(ValidationError, "already"):
            self.Email.create(
                [
                    {"partner_id": self.client.id, "email": "x@firma.pl"},
                    {"partner_id": self.client.id, "email": "X@firma.pl"},
                ]
            )
        # The database refuses it too.
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.env.cr.savepoint():
            self.env.cr.execute(
                "INSERT INTO crm_client_email (partner_id, email) VALUES (%s, 'biuro@firma.pl')", [self.client.id]
            )
        with self.assertRaisesRegex(ValidationError, "primary"):
            self.Email.create(
                [
                    {"partner_id": self.client.id, "email": "x@firma.pl", "is_primary": True},
                    {"partner_id": self.client.id, "email": "y@firma.pl", "is_primary": True},
                ]
            )

    def test_search_by_any_email_or_phone_formatting(self):
        self.Email.create({"partner_id": self.client.id, "email": "zamowienia@firma.pl"})
        for domain in (
            [("email", "ilike", "ZAMOWIENIA@firma.pl")],
            [("email", "=", "biuro@firma.pl")],
            [("email", "ilike", "zamowienia@")],
            [("phone", "ilike", "+48 22 123-45-67")],
            [("phone", "=", "0048221234567")],
            [("phone", "ilike", "(22) 123 45 67")],
            [("mobile", "ilike", "601 234 567")],
            [("phone", "ilike", "601234")],
        ):
            self.assertIn(self.client, self.Partner.search(domain), domain)
        # Core's own matches are kept.
        self.assertIn(self.client, self.Partner.search([("email", "ilike", "Biuro@F")]))
        self.assertIn(self.client, self.Partner.search([("phone", "=", "22 123 45 67")]))

    def test_company_setting_requires_a_channel(self):
        self.env.company.crm_client_require_channel = True
        with self.assertRaisesRegex(ValidationError, "needs at least one email address or phone number"):
            self.create_client(name="Mute", company_id=self.env.company.id)
        client = self.create_client(name="Talks", email="talks@firma.pl", company_id=self.env.company.id)
        with self.assertRaisesRegex(ValidationError, "needs at least one"), self.env.cr.savepoint():
            client.email = False
        self.env.invalidate_all(flush=False)  # as the request's rolled-back transaction would
        self.assertEqual(client.email, "talks@firma.pl")
        # Contacts of a client are not clients: the rule does not apply to them.
        self.Partner.create({"name": "Person", "parent_id": client.id})
        self.env.company.crm_client_require_channel = False
        self.create_client(name="Mute")


@tagged("post_install", "-at_install")
class TestChannelLocking(ChannelsCase):
    """A locked line cannot be changed or deleted, by any path, until unlocked."""

    def setUp(self):
        super().setUp()
        self.line = self.client.email_ids
        self.line.with_user(self.lock_manager).action_lock()
        self.assertTrue(self.line.locked)

    def assertUnchanged(self):
        self.line.invalidate_recordset()
        self.client.invalidate_recordset()
        self.assertTrue(self.line.exists())
        self.assertEqual(self.line.email, "biuro@firma.pl")
        self.assertTrue(self.line.locked)
        self.assertEqual(self.client.email, "Biuro@Firma.PL")

    def test_lock_is_tracked_with_its_author(self):
        message = self.client.message_ids.filtered(lambda m: "locked" in (m.body or ""))[:1]
        self.assertIn("biuro@firma.pl", message.body)
        self.assertEqual(message.author_id, self.lock_manager.partner_id)

    def test_line_write(self):
        with self.assertRaisesRegex(UserError, "biuro@firma.pl of Channels is locked"):
            self.line.with_user(self.user).write({"email": "inny@firma.pl"})
        with self.assertRaisesRegex(UserError, "is locked"):
            self.line.write({"note": "changed"})  # even the superuser
        self.assertUnchanged()

    def test_line_unlink(self):
        with self.assertRaisesRegex(UserError, "is locked"):
            self.line.with_user(self.user).unlink()
        self.assertUnchanged()

    def test_partner_field_write(self):
        with self.assertRaisesRegex(UserError, "is locked"):
            self.client.with_user(self.user).write({"email": "inny@firma.pl", "name": "Renamed"})
        self.assertUnchanged()
        self.assertEqual(self.client.name, "Channels")
        # The same address, typed differently, is not a change.
        self.client.with_user(self.user).write({"email": "BIURO@firma.pl"})

    def test_partner_one2many_commands(self):
        with self.assertRaisesRegex(UserError, "is locked"):
            self.client.write({"email_ids": [Command.update(self.line.id, {"email": "inny@firma.pl"})]})
        with self.assertRaisesRegex(UserError, "is locked"):
            self.client.write({"email_ids": [Command.delete(self.line.id)]})
        with self.assertRaisesRegex(UserError, "is locked"):
            self.client.write({"email_ids": [Command.clear()]})
        self.assertUnchanged()

    def test_form_and_onchange(self):
        with self.assertRaisesRegex(UserError, "is locked"), Form(self.client.with_user(self.user)) as form:
            form.email = "inny@firma.pl"
        self.assertUnchanged()

    def test_import(self):
        xmlid = self.line.export_data(["id"])["datas"][0][0]
        result = self.Email.with_user(self.user).load(["id", "email"], [[xmlid, "inny@firma.pl"]])
        self.assertTrue(any("is locked" in m["message"] for m in result["messages"]), result["messages"])
        self.assertUnchanged()

    def test_partner_unlink(self):
        with self.assertRaisesRegex(UserError, "cannot be deleted"):
            self.client.with_user(self.user).unlink()
        self.assertUnchanged()

    def test_primary_cannot_move_away_from_a_locked_line(self):
        with self.assertRaisesRegex(UserError, "is locked"):
            self.Email.create({"partner_id": self.client.id, "email": "nowy@firma.pl", "is_primary": True})
        self.assertUnchanged()

    def test_only_lock_managers_lock_and_unlock(self):
        with self.assertRaises(AccessError):
            self.line.with_user(self.user).action_unlock()
        other = self.client.phone_ids[:1]
        with self.assertRaises(AccessError):
            other.with_user(self.user).action_lock()
        with self.assertRaises(AccessError):
            self.Email.with_user(self.user).create(
                {"partner_id": self.client.id, "email": "l@firma.pl", "locked": True}
            )
        self.assertUnchanged()

    def test_unlock_then_edit(self):
        self.line.with_user(self.lock_manager).action_unlock()
        self.assertFalse(self.line.locked)
        self.assertTrue(self.client.message_ids.filtered(lambda m: "unlocked" in (m.body or "")))
        self.line.with_user(self.user).email = "inny@firma.pl"
        self.assertEqual(self.client.email, "inny@firma.pl")

    def test_reordering_is_allowed(self):
        self.line.with_user(self.user).sequence = 99
        self.assertEqual(self.line.sequence, 99)
