from odoo import http
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install", "crm_clients_http")
class TestClientPortal(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.client = Partner.create({"name": "Portal Client", "is_company": True})
        cls.person = Partner.create(
            {"name": "Paula Portal", "parent_id": cls.client.id, "email": "paula@portal-client.example"}
        )
        cls.other = Partner.create({"name": "Other Client", "is_company": True})
        Attachment = cls.env["ir.attachment"]

        def document(partner, name, shared, **vals):
            return Attachment.create(
                {"name": name, "res_model": "res.partner", "res_id": partner.id, "client_shared": shared, **vals}
            )

        cls.shared = document(cls.client, "price-list.pdf", True, raw=b"%PDF-1.4 price list")
        cls.shared_link = document(cls.client, "Project folder", True, type="url", url="https://example.com/folder")
        cls.unshared = document(cls.client, "internal-margins.xlsx", False, raw=b"secret margins")
        cls.foreign = document(cls.other, "other-contract.pdf", True, raw=b"%PDF-1.4 other")
        # portal access for the contact person through Odoo's own wizard
        wizard = cls.env["portal.wizard"].with_context(active_ids=cls.person.ids).create({})
        wizard.user_ids.action_grant_access()
        cls.portal_user = cls.person.user_ids
        cls.portal_user.password = "portal-pass-1234"

    def test_the_wizard_gave_the_contact_portal_access(self):
        self.assertTrue(self.portal_user._is_portal())
        self.assertEqual(self.portal_user.partner_id.commercial_partner_id, self.client)
        self.assertTrue(self.client.is_client)

    def test_documents_page_lists_only_shared_documents_of_the_own_client(self):
        self.authenticate(self.portal_user.login, "portal-pass-1234")
        page = self.url_open("/my/documents")
        self.assertEqual(page.status_code, 200)
        self.assertIn("price-list.pdf", page.text)
        self.assertIn("Project folder", page.text)
        self.assertNotIn("internal-margins.xlsx", page.text)
        self.assertNotIn("other-contract.pdf", page.text)
        counters = self.make_jsonrpc_request("/my/counters", {"counters": ["client_document_count"]})
        self.assertEqual(counters["client_document_count"], 2)

    def test_download_checks_ownership_and_sharing(self):
        self.authenticate(self.portal_user.login, "portal-pass-1234")
        response = self.url_open(f"/my/documents/{self.shared.id}")
        self.assertEqual((response.status_code, response.content), (200, b"%PDF-1.4 price list"))
        link = self.url_open(f"/my/documents/{self.shared_link.id}", allow_redirects=False)
        self.assertEqual((link.status_code, link.headers["Location"]), (303, "https://example.com/folder"))
        for guessed in (self.unshared, self.foreign):
            self.assertEqual(self.url_open(f"/my/documents/{guessed.id}").status_code, 404, guessed.name)
            # Odoo's own attachment routes refuse portal users too
            self.assertIn(self.url_open(f"/web/content/{guessed.id}").status_code, (403, 404), guessed.name)

    def test_internal_users_and_visitors_get_nothing_foreign(self):
        self.assertEqual(self.url_open(f"/my/documents/{self.shared.id}", allow_redirects=False).status_code, 303)
        self.authenticate("admin", "admin")
        self.assertEqual(self.url_open(f"/my/documents/{self.shared.id}").status_code, 404, "admin is no client")


@tagged("post_install", "-at_install", "crm_clients_http")
class TestClientSignup(HttpCase):
    def setUp(self):
        super().setUp()
        self.env["ir.config_parameter"].sudo().set_param("auth_signup.invitation_scope", "b2c")

    def signup(self, email, name):
        self.authenticate(None, None)
        return self.url_open(
            "/web/signup",
            data={
                "login": email,
                "name": name,
                "password": "signup-pass-1234",
                "confirm_password": "signup-pass-1234",
                "csrf_token": http.Request.csrf_token(self),
            },
        )

    def test_signup_creates_a_new_client_with_its_contact(self):
        self.signup("olga@new-client.example", "Olga Nowa")
        user = self.env["res.users"].search([("login", "=", "olga@new-client.example")])
        self.assertTrue(user._is_portal())
        client = user.partner_id.parent_id
        self.assertTrue(client.is_client)
        self.assertEqual(client.name, "Olga Nowa")
        self.assertEqual(client.client_status_id, self.env.ref("crm_clients.client_status_new"))
        self.assertEqual(client.client_origin_id, self.env.ref("crm_clients_portal.utm_source_portal_signup"))
        self.assertFalse(user.partner_id.is_client, "the person is the client's contact")

    def test_signup_refused_when_the_email_belongs_to_a_client_contact(self):
        client = self.env["res.partner"].create({"name": "Known Client", "is_company": True})
        self.env["res.partner"].create(
            {"name": "Known Person", "parent_id": client.id, "email": "Known@Client.example"}
        )
        clients_before = self.env["res.partner"].search_count([("is_client", "=", True)])
        page = self.signup("known@client.example", "Somebody")
        self.assertIn("already belongs to a contact of one of our clients", page.text)
        self.assertFalse(self.env["res.users"].search([("login", "=", "known@client.example")]))
        self.assertEqual(self.env["res.partner"].search_count([("is_client", "=", True)]), clients_before)

    def test_signup_refused_for_a_second_email_line_of_a_client(self):
        client = self.env["res.partner"].create({"name": "Lined Client", "is_company": True})
        client.email_ids = [(0, 0, {"email": "office@lined.example"}), (0, 0, {"email": "boss@lined.example"})]
        page = self.signup("boss@lined.example", "Boss")
        self.assertIn("already belongs to a contact of one of our clients", page.text)
        self.assertFalse(self.env["res.users"].search([("login", "=", "boss@lined.example")]))
