from odoo.tests import tagged

from .common import KRS
from .common import NIP
from .common import PESEL
from .common import REGON_9
from .common import REGON_14
from .common import CrmClientsCase


@tagged("post_install", "-at_install")
class TestSearchIds(CrmClientsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.client = cls.create_client(name="Searchable", vat=NIP, country_id=cls.poland.id, regon=REGON_9, krs=KRS)
        cls.person = cls.create_client(name="Person", is_company=False, pesel=PESEL)
        # Stored the way core allows (prefix, free text): still found by its digits.
        cls.prefixed = cls.create_client(name="Prefixed")
        cls.env.cr.execute("UPDATE res_partner SET vat = 'PL7740001454' WHERE id = %s", [cls.prefixed.id])
        cls.prefixed.invalidate_recordset(["vat"])

    def assertFinds(self, domain, partner):
        self.assertIn(partner, self.Partner.search(domain), domain)

    def test_formatting_is_ignored(self):
        for value in ("526-104-08-28", "PL 5261040828", "5261040828", "pl526 104 0828"):
            self.assertFinds([("vat", "ilike", value)], self.client)
            self.assertFinds([("vat", "=", value)], self.client)
        self.assertFinds([("vat", "ilike", "774-000-14-54")], self.prefixed)
        self.assertFinds([("vat", "=", "774-000-14-54")], self.prefixed)
        self.assertFinds([("regon", "ilike", "012-100-784")], self.client)
        self.assertFinds([("krs", "=", "0000-028-860")], self.client)
        self.assertFinds([("pesel", "ilike", "440514 01359")], self.person)

    def test_a_whole_krs_or_pesel_is_looked_up_as_that_value(self):
        """A KRS or PESEL typed whole (with its formatting) is looked up as that value,
        through its btree index, not as a part of one through the trigram index (every
        KRS shares the trigrams of its leading zeros). A part is still found as a part,
        and a 9-digit REGON still finds the 14-digit REGONs of its local units."""
        for fname, typed, digits in (("krs", "0000-028-860", KRS), ("pesel", "440514 01359", PESEL)):
            sql = self.Partner._search([(fname, "ilike", typed)]).select()
            self.assertIn(digits, sql.params, fname)
            self.assertNotIn(f"%{digits}%", sql.params, fname)
        self.assertFinds([("krs", "ilike", "0000-028-860")], self.client)
        self.assertFinds([("krs", "like", "0000 028 860")], self.client)
        self.assertFinds([("krs", "ilike", "028-860")], self.client)
        self.assertFinds([("pesel", "ilike", "440514 01359")], self.person)
        self.assertFinds([("pesel", "ilike", "4405-14")], self.person)
        unit = self.create_client(name="Local unit", regon=REGON_14)
        self.assertFinds([("regon", "ilike", f"{REGON_14[:3]}-{REGON_14[3:6]}-{REGON_14[6:9]}")], unit)

    def test_core_matches_are_kept(self):
        free = self.Partner.with_context(no_vat_validation=True).create({"name": "Free", "vat": "AB-12/34"})
        self.assertFinds([("vat", "ilike", "AB-12")], free)
        self.assertFinds([("vat", "=", "AB-12/34")], free)
        # Negative operators are untouched.
        self.assertNotIn(self.client, self.Partner.search([("vat", "!=", NIP), ("id", "=", self.client.id)]))

    def test_name_search_and_nested_domains(self):
        self.assertIn(self.client.id, [r[0] for r in self.Partner.name_search("526-104-08-28")])
        contact = self.Partner.create({"name": "Employee of Searchable", "parent_id": self.client.id})
        self.assertFinds([("parent_id.vat", "ilike", "PL 526-104-08-28")], contact)
        self.assertFinds(
            ["|", ("name", "=", "nobody"), "&", ("is_client", "=", True), ("vat", "ilike", "526-104-08-28")],
            self.client,
        )

    def test_phone_search_answers_what_core_answers(self):
        """The condition on the number without separators added to core's (issue 20)
        never changes the answer: for each text typed, the partners found are those whose
        phone or mobile contains it, as core's condition alone finds them in SQL."""
        stored = [
            "+48 58 016 66 76",
            "+48580166676",
            "(058) 016-66-76",
            "058 016 66 76 ext. 12",
            "+48 22 555 66 77",
            "tel. 58/016/6676",
            "+48 58 0166 676",
            "+48 58\x1d016 66 76",  # a control character (a scanner's group separator)
            "058 016 66 76 \u212aom.",  # the Kelvin sign, "k" once lowered (ilike)
        ]
        partners = self.Partner.create([{"name": f"Phone {i}", "phone": phone} for i, phone in enumerate(stored)])
        partners[0].mobile = "+48 601 016 667"
        typed = (
            "+48 58 016 66 76",
            "58 016",
            "016-66",
            "016 66 76",
            "(058) 016",
            "ext. 12",
            "EXT. 1",
            "58_016",  # a wildcard: core's condition alone
            "58%76",
            "0166",
            "66",
            "601 016",
            "+4",
            "58\x1d016",  # Python's \s is PostgreSQL's \s on printable characters only
            "76 kom",
        )
        cr = self.env.cr
        for value in typed:
            for fname in ("phone", "mobile"):
                for operator in ("ilike", "like"):
                    # core's condition alone, in SQL
                    cr.execute(
                        f"SELECT id FROM res_partner WHERE id = ANY(%s) AND {fname} {operator} %s",
                        [partners.ids, f"%{value}%"],
                    )
                    core = {row[0] for row in cr.fetchall()}
                    # the condition as ours writes it
                    query = self.Partner._search([("id", "in", partners.ids)])
                    query.add_where(self.Partner._condition_to_sql(query.table, fname, operator, value, query))
                    cr.execute(query.select())
                    self.assertEqual({row[0] for row in cr.fetchall()}, core, f"{fname} {operator} {value!r}")
                    # a search finds them too (and the clients whose lines hold the number)
                    found = self.Partner.search([("id", "in", partners.ids), (fname, operator, value)])
                    self.assertLessEqual(core, set(found.ids), f"{fname} {operator} {value!r}")
        # The added condition is there (it is what the index serves), and only then.
        operators = ("like",) if self.env.registry.has_unaccent else ("like", "ilike")
        for operator in operators:
            sql = self.Partner._search([("phone", operator, "+48 58 016 66 76")]).select()
            self.assertIn("regexp_replace", sql.code)
            self.assertIn("%48580166676%", sql.params)
        sql = self.Partner._search([("phone", "ilike", "58_016")]).select()
        self.assertNotIn("regexp_replace", sql.code)

    def test_search_uses_an_index_on_100k_clients(self):
        cr = self.env.cr
        # Clone one client 100,000 times in SQL (every NOT NULL column another addon
        # may add is copied from the template row), with distinct identifiers.
        overrides = {
            "name": "'Bulk ' || n",
            "complete_name": "'Bulk ' || n",
            "vat": "lpad(n::text, 10, '0')",
            "regon": "lpad(n::text, 9, '0')",
            "pesel": "lpad(n::text, 11, '0')",
            "krs": "lpad(n::text, 10, '0')",
            "client_number": "'BULK' || n",
            "external_ref": "NULL",
            # formatted the way people type them: short groups every number shares
            "phone": "'+48 22 ' || to_char(n, 'FM000 00 00')",
            "mobile": "'+48 6' || to_char(n, 'FM00 000 000')",
        }
        cr.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'res_partner' AND column_name != 'id'"
        )
        columns = [row[0] for row in cr.fetchall()]
        select = ", ".join(overrides.get(c, f't."{c}"') for c in columns)
        cr.execute(
            f"""INSERT INTO res_partner ({", ".join(f'"{c}"' for c in columns)})
                SELECT {select} FROM res_partner t, generate_series(1, 100000) AS n WHERE t.id = %s""",
            [self.person.id],
        )
        # A client whose email and phone lines are found (the other clients have none).
        lined = self.create_client(name="Lined", email="lined@example.com", phone="+48 22 555 66 77")
        cr.execute("ANALYZE res_partner")
        for fname, value in (
            ("vat", "PL 526-104-08-28"),
            ("regon", "012-100-784"),
            ("pesel", "440514-01359"),
            ("krs", "0000-028-860"),
            # core's fields searched by name, email and phone (issue 20: a million clients)
            ("name", "Bulk 4242"),
            ("email", "Lined@Example.com"),
            ("phone", "+48 (22) 555-66-77"),
            ("mobile", "+48 22 555 66 77"),
        ):
            query = self.Partner._search([(fname, "ilike", value)])
            sql = query.select()
            cr.execute(SQL_EXPLAIN + sql.code, sql.params)
            plan = "\n".join(row[0] for row in cr.fetchall())
            self.assertNotIn("Seq Scan on res_partner", plan, f"{fname}:\n{plan}")
            if fname in ("phone", "mobile"):  # the number without separators, not its short groups
                self.assertIn(f"res_partner_{fname}_partial_gin_idx", plan, plan)
            if fname in ("pesel", "krs"):  # typed whole: that value, not a part of one
                self.assertIn(f"res_partner__{fname}_index", plan, plan)
        # what the plans find
        self.assertEqual(self.Partner.search([("name", "ilike", "Bulk 42424")]).mapped("name"), ["Bulk 42424"])
        self.assertEqual(self.Partner.search([("email", "ilike", "Lined@Example.com")]), lined)
        self.assertEqual(self.Partner.search([("phone", "ilike", "+48 (22) 555-66-77")]), lined)


SQL_EXPLAIN = "EXPLAIN "
