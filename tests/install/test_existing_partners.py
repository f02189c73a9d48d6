"""crm_clients installed into a database that already held partners (tools/test.sh makes
it: `base,contacts`, a second company, partners by SQL, then `-i crm_clients`).

Nothing here creates the partners it checks: they are the ones that existed before the
install (tests/install/existing_partners.py; ``KNOWN`` ones by name), and
``crm_clients_test_partners_before`` holds what they held then.
"""

from odoo.addons.crm_clients.tools import polish_ids
from odoo.addons.crm_clients.tools.internal import SYNC_FROM_PARTNER
from odoo.addons.crm_clients.tools.internal import switch_on
from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged

from .existing_partners import KNOWN


@tagged("post_install", "-at_install")
class TestExistingPartners(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Partner = cls.env["res.partner"].with_context(active_test=False)
        cls.cr.execute("SELECT to_regclass('crm_clients_test_partners_before') IS NOT NULL")
        assert cls.cr.fetchone()[0], "run on the database tools/test.sh builds for the install stage"
        cls.known = {partner.name: partner for partner in cls.Partner.search([("name", "in", [k[0] for k in KNOWN])])}

    def partner(self, name):
        return self.known[name]

    def query(self, sql, params=None):
        self.env.flush_all()
        self.env.cr.execute(sql, params)
        return self.env.cr.fetchall()

    # ---- Lines ----

    def test_every_existing_email_and_phone_has_its_line(self):
        (count,) = self.query("SELECT count(*) FROM crm_clients_test_partners_before")[0]
        self.assertGreater(count, 3000)
        missing = self.query(
            """
            SELECT b.id, b.email, b.phone, b.mobile FROM crm_clients_test_partners_before b
             WHERE (btrim(b.email) <> '' AND NOT EXISTS (
                        SELECT 1 FROM crm_client_email e WHERE e.partner_id = b.id AND e.is_primary))
                OR (btrim(b.phone) <> '' AND NOT EXISTS (
                        SELECT 1 FROM crm_client_phone l WHERE l.partner_id = b.id AND l.is_primary))
            """
        )
        self.assertEqual(missing, [])
        # A mobile has its own line, unless it is the phone's number typed again.
        Phone = self.env["crm.client.phone"].with_context(**switch_on(SYNC_FROM_PARTNER))
        with_mobile = self.Partner.browse(
            row[0] for row in self.query("SELECT id FROM crm_clients_test_partners_before WHERE btrim(mobile) <> ''")
        )
        self.assertGreater(len(with_mobile), 500)
        for partner in with_mobile:
            number = Phone._channel_normalize(partner.mobile, partner)[0]
            line = partner.phone_ids.filtered(lambda line, n=number: line.number == n)
            self.assertTrue(line.is_mobile or (line.is_primary and Phone._channel_same(partner.phone, number, partner)))
        # An unparsable value is kept as typed and flagged, as for a new partner.
        (invalid_emails, invalid_phones) = self.query(
            """SELECT (SELECT count(*) FROM crm_client_email WHERE NOT is_valid),
                      (SELECT count(*) FROM crm_client_phone WHERE NOT is_valid)"""
        )[0]
        self.assertGreater(invalid_emails, 10)
        self.assertGreater(invalid_phones, 10)

    def test_lines_are_those_of_a_new_partner(self):
        known = self.partner("Known Phone Sp. z o.o.")
        self.assertEqual(known.phone_ids.mapped("number"), ["+48221000311"])
        self.assertTrue(known.phone_ids.is_primary and known.phone_ids.is_valid)
        self.assertEqual(known.email_ids.email, "biuro@known-phone.example")
        contact = self.partner("Known Contact")
        self.assertEqual(contact.phone_ids.mapped("number"), ["+48601234567"])
        self.assertTrue(contact.phone_ids.is_mobile)
        self.assertFalse(contact.phone_ids.is_primary)
        bad = self.partner("Bad Email Person")
        self.assertEqual(bad.email_ids.email, "jan.kowalski(at)example.pl")
        self.assertFalse(bad.email_ids.is_valid)
        self.assertEqual(bad.phone_ids.number, "brak telefonu")
        self.assertFalse(bad.phone_ids.is_valid)
        # The same number typed in both fields is one line, the primary one.
        same = self.partner("Same Number Person")
        self.assertEqual(same.phone_ids.mapped("number"), ["+48227778899"])
        self.assertTrue(same.phone_ids.is_primary)
        # A new partner with the same values gets the same lines.
        twin = self.env["res.partner"].create({"name": "Twin", "phone": "+48 22 100 03 11", "email": "jan(at)x.pl"})
        self.assertEqual(twin.phone_ids.number, known.phone_ids.number)
        self.assertFalse(twin.email_ids.is_valid)

    def test_partner_fields_are_left_as_typed(self):
        changed = self.query(
            """
            SELECT b.id FROM crm_clients_test_partners_before b JOIN res_partner p ON p.id = b.id
             WHERE p.email IS DISTINCT FROM b.email OR p.phone IS DISTINCT FROM b.phone
                OR p.mobile IS DISTINCT FROM b.mobile
            """
        )
        self.assertEqual(changed, [])

    def test_lines_of_existing_partners_can_be_locked(self):
        line = self.partner("Known Phone Sp. z o.o.").phone_ids
        line.action_lock()
        self.assertTrue(line.locked)

    # ---- Search and duplicates ----

    def test_search_by_any_format(self):
        known = self.partner("Known Phone Sp. z o.o.")
        for typed in ("48221000311", "+48221000311", "22 100 03 11", "(22) 100-03-11", "0048 22 100 03 11"):
            with self.subTest(typed=typed):
                self.assertIn(known, self.env["res.partner"].search([("phone", "ilike", typed)]))
        dup_one, dup_two = self.partner("Dup Email One"), self.partner("Dup Email Two")
        found = self.env["res.partner"].search([("email", "ilike", "SALES@dup-example.COM")])
        self.assertEqual(found & (dup_one | dup_two), dup_one | dup_two)
        # Generated partners too: one in each typed format, found by its digits.
        rows = self.query(
            """SELECT DISTINCT ON (regexp_replace(b.phone, '[0-9]', '', 'g')) b.id, l.number
                 FROM crm_clients_test_partners_before b
                 JOIN crm_client_phone l ON l.partner_id = b.id AND l.is_primary AND l.is_valid
                WHERE b.phone IS NOT NULL"""
        )
        self.assertGreater(len(rows), 8)
        for partner_id, number in rows:
            with self.subTest(number=number):
                found = self.env["res.partner"].search([("phone", "ilike", number.lstrip("+"))])
                self.assertIn(partner_id, found.ids)

    def test_duplicates_by_email_phone_and_tax_id(self):
        groups = self.env["res.partner"].client_find_duplicates()
        by_reason = {}
        for group in groups:
            by_reason.setdefault(group["reason"], {})[group["key"]] = set(group["partner_ids"])
        emails = {self.partner("Dup Email One").id, self.partner("Dup Email Two").id}
        phones = {self.partner("Dup Phone One").id, self.partner("Dup Phone Two").id}
        nips = {self.partner("Shared Nip One").id, self.partner("Shared Nip Two").id}
        self.assertEqual(by_reason["email"].get("sales@dup-example.com"), emails)
        self.assertEqual(by_reason["phone"].get("+48225556677"), phones)
        self.assertEqual(by_reason["vat"].get("5261040828"), nips)

    # ---- Identifiers, numbers, statuses ----

    def test_valid_tax_ids_are_normalized_and_invalid_ones_kept(self):
        self.assertEqual(self.partner("Formatted Nip").vat, "1977600566")
        self.assertEqual(self.partner("Shared Nip One").vat, "5261040828")
        self.assertEqual(self.partner("Bad Nip Sp. z o.o.").vat, "526-104-08-29")
        self.assertEqual(self.partner("German GmbH").vat, "DE123456789")
        found = self.env["res.partner"].search([("vat", "ilike", "PL 197-760-05-66")])
        self.assertIn(self.partner("Formatted Nip"), found)
        # Every tax ID that changed is the normalized copy of what was typed.
        for typed, stored in self.query(
            """SELECT b.vat, p.vat FROM crm_clients_test_partners_before b JOIN res_partner p ON p.id = b.id
                WHERE p.vat IS DISTINCT FROM b.vat"""
        ):
            self.assertEqual(polish_ids.normalize_nip(typed), stored)

    def test_clients_numbered_in_creation_order_with_default_status(self):
        rows = self.query(
            """SELECT id, client_number, client_status_id FROM res_partner
                WHERE is_client AND id IN (SELECT id FROM crm_clients_test_partners_before) ORDER BY id"""
        )
        self.assertGreater(len(rows), 1000)
        numbers = [number for _id, number, _status in rows]
        self.assertNotIn(None, numbers)
        self.assertEqual(numbers, sorted(numbers))
        self.assertEqual(len(set(numbers)), len(numbers))
        default = self.env["crm.client.status"]._get_default_status()
        self.assertEqual({status for _id, _number, status in rows}, {default.id})
        contact = self.partner("Known Contact")
        self.assertFalse(contact.client_number)
        self.assertEqual(contact.client_status_id, default)

    def test_running_again_adds_nothing(self):
        counts = self.query(
            """SELECT (SELECT count(*) FROM crm_client_email), (SELECT count(*) FROM crm_client_phone),
                      (SELECT count(client_number) FROM res_partner), (SELECT count(*) FROM crm_client_data_quality)"""
        )
        stats = self.env["res.partner"]._client_install_existing_partners()
        self.assertEqual((stats["emails"], stats["phones"], stats["ids"]), (0, 0, 0))
        self.assertEqual(
            self.query(
                """SELECT (SELECT count(*) FROM crm_client_email), (SELECT count(*) FROM crm_client_phone),
                          (SELECT count(client_number) FROM res_partner),
                          (SELECT count(*) FROM crm_client_data_quality)"""
            ),
            counts,
        )


@tagged("post_install", "-at_install")
class TestDataQualityReport(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.second_company = cls.env["res.company"].search([("name", "=", "Second Company")])
        cls.first_company = cls.env.ref("base.main_company")
        cls.manager = new_test_user(
            cls.env,
            login="quality_manager",
            groups="crm_clients.group_client_manager",
            company_id=cls.first_company.id,
            company_ids=[cls.first_company.id],
        )
        cls.second_manager = new_test_user(
            cls.env,
            login="quality_manager_2",
            groups="crm_clients.group_client_manager",
            company_id=cls.second_company.id,
            company_ids=[cls.second_company.id],
        )
        cls.user = new_test_user(cls.env, login="quality_user", groups="crm_clients.group_client_user")
        cls.Report = cls.env["crm.client.data.quality"]

        def named(name):
            return Partner.search([("name", "=", name)])

        cls.bad_nip = named("Bad Nip Sp. z o.o.")
        cls.second_client = named("Second Company Client")
        cls.shared = named("Shared Nip One") | named("Shared Nip Two")
        cls.formatted = named("Formatted Nip")
        cls.bad_email = named("Bad Email Person")

    def findings(self, partners, user=None):
        Report = self.Report.with_user(user) if user else self.Report
        return Report.search([("partner_id", "in", partners.ids)])

    def test_what_install_found(self):
        nip = self.findings(self.bad_nip)
        self.assertEqual(nip.mapped(lambda f: (f.kind, f.problem, f.field_name, f.value)), [
            ("nip", "checksum", "vat", "526-104-08-29"),
        ])  # fmt: skip
        shared = self.findings(self.shared).filtered(lambda f: f.problem == "shared")
        self.assertEqual(shared.partner_id, self.shared)
        self.assertEqual(set(shared.mapped("normalized_value")), {"5261040828"})
        reformatted = self.findings(self.formatted)
        self.assertEqual(reformatted.mapped(lambda f: (f.problem, f.value, f.normalized_value)), [
            ("reformatted", "PL 197-760-05-66", "1977600566"),
        ])  # fmt: skip
        bad = self.findings(self.bad_email)
        self.assertEqual(
            sorted(bad.mapped(lambda f: (f.kind, f.problem, f.value))),
            [("email", "not_email", "jan.kowalski(at)example.pl"), ("phone", "unparsable", "brak telefonu")],
        )

    def test_every_invalid_polish_tax_id_is_reported(self):
        self.env.cr.execute(
            """SELECT p.id, p.vat, c.code FROM res_partner p LEFT JOIN res_country c ON c.id = p.country_id
                WHERE p.vat IS NOT NULL AND p.id IN (SELECT id FROM crm_clients_test_partners_before)"""
        )
        invalid = set()
        for partner_id, vat, code in self.env.cr.fetchall():
            if polish_ids.looks_polish_vat(vat) or (code == "PL" and polish_ids.nip_digits(vat) is not None):
                try:
                    polish_ids.normalize_nip(vat)
                except polish_ids.InvalidIdentifier:
                    invalid.add(partner_id)
        self.assertGreater(len(invalid), 5)
        reported = set(self.Report.search([("kind", "=", "nip"), ("problem", "!=", "reformatted")]).partner_id.ids)
        self.assertEqual(reported, invalid)

    def test_list_filters_and_groups(self):
        action = self.env.ref("crm_clients.crm_client_data_quality_action")
        self.assertEqual(action.res_model, "crm.client.data.quality")
        views = self.Report.with_user(self.manager).get_views([(False, "list"), (False, "search")])
        self.assertIn('name="action_refresh"', views["views"]["list"]["arch"])
        for name in ("problems", "tax_ids", "shared", "emails", "phones", "group_kind", "group_problem"):
            self.assertIn(f'name="{name}"', views["views"]["search"]["arch"])
        groups = self.Report.with_user(self.manager).read_group(
            [("problem", "!=", "reformatted")], ["kind"], ["kind", "problem"], lazy=False
        )
        found = {(group["kind"], group["problem"]) for group in groups}
        self.assertLessEqual(
            {("nip", "checksum"), ("vat", "shared"), ("email", "not_email"), ("phone", "unparsable")}, found
        )
        menu = self.env.ref("crm_clients.menu_crm_client_data_quality")
        self.assertIn(menu, self.env["ir.ui.menu"].with_user(self.manager).search([("id", "=", menu.id)]))
        self.assertNotIn(menu, self.env["ir.ui.menu"].with_user(self.user).search([("id", "=", menu.id)]))

    def test_rows_follow_their_partners_company(self):
        self.assertTrue(self.findings(self.second_client))
        self.assertFalse(self.findings(self.second_client, self.manager))
        self.assertTrue(self.findings(self.second_client, self.second_manager))
        self.assertFalse(self.findings(self.bad_nip | self.formatted, self.second_manager).partner_id.company_id)
        # The partner moves to the other company: its findings follow it.
        self.second_client.company_id = self.first_company
        self.assertTrue(self.findings(self.second_client, self.manager))
        self.assertFalse(self.findings(self.second_client, self.second_manager))

    def test_only_client_managers_read_and_refresh(self):
        with self.assertRaises(AccessError):
            self.Report.with_user(self.user).search([])
        with self.assertRaises(AccessError):
            self.Report.with_user(self.user).action_refresh()
        findings = self.findings(self.bad_nip, self.manager)
        with self.assertRaises(AccessError):
            findings.write({"value": "fixed"})
        with self.assertRaises(AccessError):
            findings.unlink()
        with self.assertRaises(AccessError):
            self.Report.with_user(self.manager).create({"partner_id": self.bad_nip.id, "kind": "nip"})

    def test_refresh_after_fixing(self):
        self.bad_nip.vat = "5261040828"
        self.bad_email.email = "jan.kowalski@example.pl"
        self.Report.with_user(self.manager).action_refresh()
        self.assertEqual(self.findings(self.bad_nip).mapped("problem"), ["shared"])
        self.assertEqual(self.findings(self.bad_email).mapped("kind"), ["phone"])
        # Reformatting notes stay; the now shared NIP is reported on all three.
        self.assertTrue(self.findings(self.formatted))
        self.assertEqual(
            self.Report.search([("problem", "=", "shared"), ("normalized_value", "=", "5261040828")]).partner_id,
            self.shared | self.bad_nip,
        )
        # The second company's findings were out of the manager's sight: untouched.
        self.assertTrue(self.findings(self.second_client))

    def test_sharing_across_companies_reveals_nothing(self):
        # Each company has its own partner with one tax ID: neither company's report may
        # say the other company has it.
        Partner = self.env["res.partner"]
        one = Partner.create({"name": "First Twin", "vat": "1061530632", "company_id": self.first_company.id})
        two = Partner.create({"name": "Second Twin", "vat": "1061530632", "company_id": self.second_company.id})
        self.Report._client_quality_rebuild()
        self.assertFalse(self.findings(one | two))
        self.Report.with_user(self.manager).action_refresh()
        self.Report.with_user(self.second_manager).action_refresh()
        self.assertFalse(self.findings(one | two))
        # A partner of no company has it too: each company's partner is reported (every
        # company sees what it shares with), not the shared one (that would tell one
        # company about the other's).
        shared = Partner.create({"name": "Shared Twin", "vat": "PL 106-153-06-32"})
        self.Report.with_user(self.manager).action_refresh()
        self.assertEqual(self.findings(one | two | shared).partner_id, one)
        self.Report.with_user(self.second_manager).action_refresh()
        self.assertEqual(self.findings(one | two | shared).partner_id, one | two)
