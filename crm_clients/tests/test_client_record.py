from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from ..tools.internal import SKIP_CLIENT_DEFAULTS
from ..tools.internal import switch_on
from .common import NIP
from .common import CrmClientsCase


@tagged("post_install", "-at_install")
class TestClientRecord(CrmClientsCase):
    def test_new_client_gets_number_and_default_status(self):
        first, second = self.Partner.create([{"name": "Alpha"}, {"name": "Beta", "is_company": True}])
        self.assertTrue(first.is_client)
        self.assertTrue(first.client_number and second.client_number)
        self.assertNotEqual(first.client_number, second.client_number)
        self.assertEqual(first.client_status_id, self.status_new)
        self.assertEqual(second.client_status_id, self.status_new)
        sequence = self.env.ref("crm_clients.seq_client_number")
        self.assertTrue(first.client_number.startswith(sequence.prefix))
        self.assertEqual(len(first.client_number), len(sequence.prefix) + sequence.padding)

    def test_number_follows_the_configured_sequence(self):
        sequence = self.env.ref("crm_clients.seq_client_number")
        sequence.write({"prefix": "KL/%(year)s/", "padding": 4, "number_next_actual": 500})
        client = self.create_client()
        self.assertRegex(client.client_number, r"^KL/\d{4}/0500$")

    def test_number_is_read_only_and_not_copied(self):
        client = self.create_client(external_ref="X-1")
        copy = client.copy()
        self.assertTrue(copy.client_number)
        self.assertNotEqual(copy.client_number, client.client_number)
        self.assertFalse(copy.external_ref)
        self.assertTrue(self.Partner._fields["client_number"].readonly)

    def test_explicit_status_is_kept(self):
        client = self.create_client(client_status_id=self.status_vip.id)
        self.assertEqual(client.client_status_id, self.status_vip)

    def test_contacts_are_not_clients_and_show_their_clients_values(self):
        client = self.create_client(
            client_status_id=self.status_vip.id, priority="3", is_buyer=True, is_workshop=True, regon="012100784"
        )
        contact = self.Partner.create({"name": "Person", "parent_id": client.id})
        self.assertFalse(contact.is_client)
        self.assertFalse(contact.client_number)
        self.assertEqual(contact.client_status_id, self.status_vip)
        self.assertEqual(contact.priority, "3")
        self.assertTrue(contact.is_buyer and contact.is_workshop)
        self.assertEqual(contact.regon, "012100784")
        client.write({"client_status_id": self.status_active.id, "priority": "1", "is_supplier": True})
        self.assertEqual(contact.client_status_id, self.status_active)
        self.assertEqual(contact.priority, "1")
        self.assertTrue(contact.is_supplier)

    def test_detached_contact_becomes_a_client(self):
        client = self.create_client()
        contact = self.Partner.create({"name": "Person", "parent_id": client.id})
        self.assertFalse(contact.client_number)
        contact.parent_id = False
        self.assertTrue(contact.is_client)
        self.assertTrue(contact.client_number)
        self.assertTrue(contact.client_status_id)

    def test_users_and_companies_partners_are_not_clients(self):
        user = self.env["res.users"].create({"name": "Employee", "login": "employee_not_client"})
        self.assertFalse(user.partner_id.is_client)
        self.assertFalse(user.partner_id.client_number)
        portal = self.env["res.users"].create(
            {
                "name": "Portal",
                "login": "portal_not_client",
                "groups_id": [(6, 0, [self.env.ref("base.group_portal").id])],
            }
        )
        self.assertFalse(portal.partner_id.is_client)
        company = self.env["res.company"].create({"name": "Second Company"})
        self.assertFalse(company.partner_id.is_client)
        self.assertFalse(company.partner_id.client_number)
        # A client that is later given a user stops being a client.
        client = self.create_client(name="Future User", is_company=False)
        self.assertTrue(client.is_client)
        self.env["res.users"].create({"name": "Future User", "login": "future", "partner_id": client.id})
        self.assertFalse(client.is_client)

    def test_clients_menu_shows_exactly_the_clients(self):
        action = self.env.ref("crm_clients.action_crm_clients")
        client = self.create_client()
        contact = self.Partner.create({"name": "Person", "parent_id": client.id})
        found = self.Partner.search(safe_eval(action.domain))
        self.assertIn(client, found)
        self.assertNotIn(contact, found)
        self.assertNotIn(self.env.user.partner_id, found)
        self.assertNotIn(self.env.company.partner_id, found)

    def test_archive_and_restore_keep_history(self):
        client = self.create_client()
        client.message_post(body="Visited the client")
        client.action_archive()
        self.assertFalse(client.active)
        self.assertNotIn(client, self.Partner.search([("is_client", "=", True)]))
        self.assertIn(client, self.Partner.with_context(active_test=False).search([("is_client", "=", True)]))
        client.action_unarchive()
        self.assertTrue(client.active)
        self.assertTrue(any("Visited the client" in body for body in client.message_ids.mapped("body")))

    def test_status_change_is_tracked(self):
        client = self.create_client()
        self.env.flush_all()
        self.env.cr.flush()  # created in an earlier request
        client.client_status_id = self.status_vip
        self.env.flush_all()
        self.env.cr.flush()  # tracking values are written when the transaction is flushed
        tracking = client.message_ids.tracking_value_ids.filtered(lambda t: t.field_id.name == "client_status_id")
        self.assertEqual(tracking.old_value_char, self.status_new.name)
        self.assertEqual(tracking.new_value_char, self.status_vip.name)

    def test_legal_name_is_printed_on_documents(self):
        client = self.create_client(
            name="Kowalski", legal_name="Kowalski i Synowie Sp. z o.o.", vat=NIP, country_id=self.poland.id
        )
        html = self.env["ir.qweb.field.contact"].value_to_html(client, {"fields": ["name", "address"]})
        self.assertIn("Kowalski i Synowie Sp. z o.o.", str(html))
        plain = self.create_client(name="Plain Name")
        html = self.env["ir.qweb.field.contact"].value_to_html(plain, {"fields": ["name"]})
        self.assertIn("Plain Name", str(html))
        # The display name elsewhere is unchanged.
        self.assertEqual(client.display_name, "Kowalski")

    def test_existing_partners_become_clients_on_install(self):
        from ..hooks import post_init_hook

        # A partner made before the install: created without the defaults (our own switch)
        legacy = self.Partner.with_context(**switch_on(SKIP_CLIENT_DEFAULTS)).create({"name": "Legacy"})
        self.assertTrue(legacy.is_client)
        self.assertFalse(legacy.client_number)
        post_init_hook(self.env)
        self.assertTrue(legacy.client_number)
        self.assertEqual(legacy.client_status_id, self.status_new)
