"""Duplicates stopped at the door: the warning of the client form while a new client is
typed, the duplicates client_upsert answers (_client_possible_duplicates, batched), and a
test import naming the rows that look like existing clients."""

import base64
import hashlib
import logging
import time

import psycopg2

from odoo import sql_db
from odoo.tests import Form, TransactionCase, new_test_user, tagged
from odoo.tools import SQL, mute_logger

from ..models.res_partner_duplicates import name_key_sql
from ..tools.pg import gin_flush_pending
from ..tools.pg import local_settings
from .common import NIP
from .common import NIP_2
from .common import CrmClientsCase


@tagged("post_install", "-at_install")
class TestDuplicateWarning(CrmClientsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.kowalski = cls.create_client(
            name="Kowalski Sp. z o.o.",
            vat=NIP,
            country_id=cls.poland.id,
            email="biuro@kowalski.pl",
            phone="+48 22 123 45 67",
        )
        cls.nowak = cls.create_client(name="Przedsiębiorstwo Handlowe Nowak", country_id=cls.poland.id)
        cls.archived = cls.create_client(name="Archived Twin Ltd", vat=NIP_2, active=False)
        cls.user = new_test_user(
            cls.env, login="dup_warning_user", groups="base.group_user,crm_clients.group_client_user"
        )

    def form(self, user=None):
        Partner = self.Partner.with_user(user or self.user)
        view = self.env.ref("crm_clients.view_partner_form_crm_client")
        return Form(Partner.with_context(default_is_company=True), view=view)

    def test_typing_a_tax_id_written_differently(self):
        form = self.form()
        form.name = "Brand New Company"
        self.assertFalse(form.client_possible_duplicate_ids)
        form.vat = "PL 526-104-08-28"
        self.assertEqual(form.client_possible_duplicate_ids[:], self.kowalski)
        self.assertIn("same tax ID", form.client_duplicate_warning)

    def test_typing_an_email_a_phone_or_a_similar_name(self):
        for field, value, reason in (
            ("email", "BIURO@Kowalski.pl", "same email"),
            ("phone", "22 123 45 67", "same phone"),
            ("name", "KOWALSKI spółka z o.o.", "similar name"),
            ("name", "Przedsiebiorstwo Handlowe Nowakk", "similar name"),
        ):
            with self.subTest(field=field, value=value):
                form = self.form()
                form.country_id = self.poland
                setattr(form, field, value)
                self.assertTrue(form.client_possible_duplicate_ids, value)
                self.assertIn(reason, form.client_duplicate_warning)
        form = self.form()
        form.name = "Zupełnie Inna Firma"
        self.assertFalse(form.client_possible_duplicate_ids)

    def test_only_new_clients_and_only_visible_active_clients(self):
        # Saved records, contacts and archived clients: no warning.
        self.assertFalse(self.kowalski.client_possible_duplicate_ids)
        form = self.form()
        form.vat = NIP_2
        self.assertFalse(form.client_possible_duplicate_ids, "an archived client is no duplicate")
        contact = Form(self.Partner.with_context(default_parent_id=self.nowak.id))
        contact.name = "Kowalski Sp. z o.o."
        self.assertFalse(contact.client_possible_duplicate_ids, "a contact person is no client")
        company_b = self.env["res.company"].create({"name": "Warning B"})
        hidden = self.create_client(name="Hidden Twin Sp. z o.o.", company_id=company_b.id)
        form = self.form()
        form.name = "Hidden Twin"
        self.assertFalse(form.client_possible_duplicate_ids, "another company's client is not shown")
        self.assertTrue(hidden.exists())

    def test_typing_writes_nothing_and_reads_indexes(self):
        form = self.form()
        form.name = "Kowalski"
        before = self.Partner.search_count([])
        form.vat = NIP
        self.assertEqual(form.client_possible_duplicate_ids[:], self.kowalski)
        self.assertEqual(self.Partner.search_count([]), before, "typing creates nothing")
        # The warning's own work (the rest of the form's onchange belongs to other fields).
        probe = {"key": 0, "exclude": 0, "vat": NIP, "name": "Kowalski", "emails": set(), "phones": set()}
        self.env.flush_all()
        # the lookup (and its settings, set and given back); the user's search of what it
        # found (rules, companies)
        with self.assertQueryCount(6):
            found = self.Partner.with_user(self.user)._client_duplicate_candidates([probe])
        self.assertEqual(set(found[0]), set(self.kowalski.ids))

    def test_the_lookup_uses_the_indexes(self):
        self.env.flush_all()
        self.env.cr.execute("SET LOCAL enable_seqscan = off")
        self.env.cr.execute(
            "EXPLAIN SELECT id FROM res_partner r WHERE "
            "regexp_replace(upper(regexp_replace(r.vat, '[^0-9A-Za-z]', '', 'g')), '^PL(?=[0-9])', '') = '5261040828' "
            "AND r.is_client AND r.vat IS NOT NULL"
        )
        self.assertIn("res_partner_crm_vat_key", "\n".join(row[0] for row in self.env.cr.fetchall()))

    def test_possible_duplicates_of_many_clients_at_once(self):
        new = self.Partner.create(
            [
                {"name": "Kowalski", "is_company": True},
                {"name": "Totally Unique Name", "is_company": True, "email": "biuro@kowalski.pl"},
                {"name": "Nobody Alike", "is_company": True},
                {"name": "Someone Else", "is_company": True, "vat": "5261040828"},
            ]
        )
        self.env.flush_all()
        # the partners, their lines, the lookup with its settings, the rights, the marked pairs
        with self.assertQueryCount(9):
            duplicates = new._client_possible_duplicates()
        self.assertEqual(duplicates[new[0].id], self.kowalski.ids)
        self.assertEqual(duplicates[new[1].id], self.kowalski.ids)
        self.assertEqual(duplicates[new[2].id], [])
        self.assertEqual(duplicates[new[3].id], self.kowalski.ids)
        many = self.Partner.create([{"name": f"Batch Client {i}", "is_company": True} for i in range(30)])
        self.env.flush_all()
        # The same few queries for 30 clients (no N+1), and five moving the name index's
        # pending entries into it first, in a savepoint under a lock timeout (see the
        # pending list tests below).
        with self.assertQueryCount(14):
            many._client_possible_duplicates()

    def test_the_lookup_gives_the_transaction_its_settings_back(self):
        """The lookup runs without JIT and with pg_trgm's threshold at the similarity names
        need (issue 20: JIT cost a second for 500 rows at a million clients); the rest of
        the transaction keeps its own values, also when a statement under them fails."""
        cr = self.env.cr
        cr.execute("SELECT set_config('jit', 'on', true), set_config('pg_trgm.similarity_threshold', '0.45', true)")
        probe = {"key": 0, "exclude": 0, "vat": None, "name": "Kowalsky", "emails": set(), "phones": set()}
        self.assertEqual(set(self.Partner._client_duplicate_candidates([probe])[0]), set(self.kowalski.ids))
        cr.execute("SELECT current_setting('jit'), current_setting('pg_trgm.similarity_threshold')")
        self.assertEqual(cr.fetchone(), ("on", "0.45"))
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(psycopg2.errors.DivisionByZero),
            cr.savepoint(),
            local_settings(cr, {"jit": "off"}),
        ):
            cr.execute("SELECT 1 / 0")
        cr.execute("SELECT current_setting('jit')")
        self.assertEqual(cr.fetchone(), ("on",))

    def test_a_name_too_generic_gives_only_its_equal_names(self):
        """A name that more than 200 clients resemble ("Apteka Centrum Zdrowia 12" among
        205 "Apteka Centrum Zdrowia <n>") says nothing: only its equal names are given,
        as client_find_duplicates skips such blocks. Each name reads at most 201 similar
        ones: without a bound the lookup grew with the square of the alike names (issue
        20: 500 new rows among 18,000 alike clients took more than 120 s)."""
        chain = self.Partner.create([{"name": f"Apteka Centrum Zdrowia {n}", "is_company": True} for n in range(205)])
        twin = self.create_client(name="APTEKA centrum zdrowia 12 Sp. z o.o.")
        few = self.Partner.create([{"name": f"Hurtownia Owoców Nowak {n}", "is_company": True} for n in range(5)])
        self.env.flush_all()

        def probe(key, name):
            return {"key": key, "exclude": 0, "vat": None, "name": name, "emails": set(), "phones": set()}

        found = self.Partner._client_duplicate_candidates(
            [
                probe(0, "Apteka Centrum Zdrowia 12"),
                probe(1, "Apteka Centrum Zdrowia 999"),
                probe(2, "Hurtownia Owoców Nowak 9"),
            ]
        )
        self.assertEqual(set(found[0]), {chain[12].id, twin.id})
        self.assertNotIn(1, found)
        self.assertEqual(set(found[2]), set(few.ids))  # five alike: similar names given
        [result] = self.Partner.client_upsert(
            [{"external_ref": "GENERIC-12", "name": "Apteka Centrum Zdrowia 12", "is_company": True}]
        )
        self.assertEqual(sorted(result["possible_duplicate_ids"]), sorted((chain[12] | twin).ids))
        form = self.form()  # the warning while a new client is typed, as a client user
        form.name = "Apteka Centrum Zdrowia 12"
        equal = chain[12] | twin | self.Partner.browse(result["id"])  # the one just upserted too
        self.assertEqual(set(form.client_possible_duplicate_ids[:].ids), set(equal.ids))
        # The import dialog's Test, as a client user who may create contacts (Odoo gives
        # employees Contact Creation): the generic row names nobody.
        importer = new_test_user(
            self.env,
            login="dup_warning_importer",
            groups="base.group_user,base.group_partner_manager,crm_clients.group_client_user",
        )
        wizard = (
            self.env["base_import.import"]
            .with_user(importer)
            .create(
                {
                    "res_model": "res.partner",
                    "file": b"name,is_company\nApteka Centrum Zdrowia 12,1\nApteka Centrum Zdrowia 999,1\n",
                    "file_type": "text/csv",
                }
            )
        )
        result = wizard.execute_import(
            ["name", "is_company"],
            ["name", "is_company"],
            {"quoting": '"', "separator": ",", "has_headers": True},
            dryrun=True,
        )
        rows = [m for m in result["messages"] if m["type"] == "warning" and "field" in m]
        self.assertEqual([(m["field"], m["rows"]["from"]) for m in rows], [("name", 0)], result["messages"])
        self.assertIn(twin.name, rows[0]["message"])
        self.assertEqual(rows[0]["message"].count("Apteka Centrum Zdrowia 12"), 2, rows[0]["message"])
        self.assertNotIn("Apteka Centrum Zdrowia 13", rows[0]["message"])

    def test_clients_the_user_cannot_see_never_make_a_name_generic(self):
        """Look-alikes of a company the user does not work in are not counted: they can
        neither silence the warning about a client the user can read nor tell that they
        exist."""
        other = self.env["res.company"].create({"name": "Other Pharmacies"})
        self.Partner.create(
            [
                {"name": f"Przychodnia Rodzinna Zdrowie {n}", "is_company": True, "company_id": other.id}
                for n in range(205)
            ]
        )
        mine = self.create_client(name="Przychodnia Rodzinna Zdrowie 5")
        self.env.flush_all()
        probe = {
            "key": 0,
            "exclude": 0,
            "vat": None,
            "name": "Przychodnia Rodzinna Zdrowe 5",
            "emails": set(),
            "phones": set(),
        }
        found = self.Partner.with_user(self.user)._client_duplicate_candidates([probe])
        self.assertEqual(set(found[0]), set(mine.ids))  # the typo still finds the user's client
        found = self.Partner._client_duplicate_candidates([probe])  # the superuser sees them all
        self.assertNotIn(0, found)

    def name_index_pages(self):
        """Pages of the name index a lookup of one name reads (EXPLAIN's buffers): its
        pending list (fastupdate) is read whole by every lookup. Only bitmap scans are
        left to the planner, and no other index serves the condition (which implies the
        name is set, as the partial index needs): right after an install, the index's
        own statistics made it prefer reading the primary key whole."""
        cr = self.env.cr
        with local_settings(cr, {"enable_seqscan": "off", "enable_indexscan": "off", "enable_indexonlyscan": "off"}):
            cr.execute(
                SQL(
                    "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) SELECT id FROM res_partner WHERE is_client AND %s %%%% %s",
                    name_key_sql(SQL.identifier("name")),
                    "zq",  # 3 trigrams: a few pages of the index itself, whatever its size
                )
            )
            [[plan]] = cr.fetchone()
        nodes, pages = [plan["Plan"]], None
        while nodes:
            node = nodes.pop()
            nodes += node.get("Plans", [])
            if node.get("Index Name") == "res_partner_crm_name_key_trgm":
                pages = node["Shared Hit Blocks"] + node["Shared Read Blocks"]
        self.assertIsNotNone(pages, f"the lookup does not use the name index: {plan}")
        return pages

    def start_with_a_clean_name_index(self):
        """Empty the name index's pending list; no autovacuum empties it behind the test's
        back (it takes the same lock). Returns the pages a lookup reads then."""
        self.env.cr.execute("LOCK TABLE res_partner IN SHARE UPDATE EXCLUSIVE MODE")
        gin_flush_pending(self.env.cr, "res_partner_crm_name_key_trgm")
        return self.name_index_pages()

    def test_a_lookup_of_many_names_first_empties_the_name_index_pending_list(self):
        """Rows written since the name index's last clean-up wait in its pending list,
        which every lookup reads whole: after an import, each new client of an upsert cost
        more than the one before (issue 20). A lookup of many names (an upsert's new
        clients) moves them into the index first; a lookup of one name (the form's
        warning) leaves that work to PostgreSQL."""
        clean = self.start_with_a_clean_name_index()
        words = [hashlib.md5(str(n).encode()).hexdigest() for n in range(400)]  # names not alike
        imported = self.Partner.create(
            [{"name": f"{word[:7]} {word[7:13]} Sp. z o.o.", "is_company": True} for word in words]
        )
        self.env.flush_all()
        waiting = self.name_index_pages()
        self.assertGreater(waiting, clean + 10)

        def probe(key, name):
            return {"key": key, "exclude": 0, "vat": None, "name": name, "emails": set(), "phones": set()}

        probes = [probe(n, f"{words[n][:7].upper()} {words[n][7:13]} spółka z o.o.") for n in range(18)] + [
            probe(18, f"{words[18][:7]} {words[18][7:12]}"),  # similar, not equal
            probe(19, "Kowalsky"),
        ]
        # One name at a time: the list stays, read by each lookup.
        alone = {p["key"]: set(self.Partner._client_duplicate_candidates([p])[p["key"]]) for p in probes}
        self.assertEqual(self.name_index_pages(), waiting)
        for n in range(19):
            self.assertEqual(alone[n], set(imported[n].ids))
        self.assertEqual(alone[19], set(self.kowalski.ids))
        # Twenty at once: emptied first, the same answers.
        found = self.Partner._client_duplicate_candidates(probes)
        self.assertEqual({key: set(ids) for key, ids in found.items()}, alone)
        self.assertLess(self.name_index_pages(), clean + (waiting - clean) / 4)

    def test_the_pending_list_is_left_where_the_transaction_may_not_clean_it(self):
        """Not the index's owner, a read-only transaction, no such index: nothing is done
        and nothing fails."""
        cr = self.env.cr
        clean = self.start_with_a_clean_name_index()
        self.Partner.create([{"name": f"Waiting Beta {n}", "is_company": True} for n in range(400)])
        self.env.flush_all()
        waiting = self.name_index_pages()
        self.assertGreater(waiting, clean + 10)
        for setup in (
            "CREATE ROLE crm_clients_test_not_owner NOLOGIN; SET LOCAL ROLE crm_clients_test_not_owner",
            "SET TRANSACTION READ ONLY",
        ):
            with self.subTest(setup=setup):
                cr.execute("SAVEPOINT crm_clients_guard")
                cr.execute(setup)
                gin_flush_pending(cr, "res_partner_crm_name_key_trgm")
                cr.execute("ROLLBACK TO SAVEPOINT crm_clients_guard")
                self.assertEqual(self.name_index_pages(), waiting)
        gin_flush_pending(cr, "res_partner_no_such_index")
        self.assertEqual(self.name_index_pages(), waiting)
        gin_flush_pending(cr, "res_partner_crm_name_key_trgm")
        self.assertLess(self.name_index_pages(), clean + (waiting - clean) / 4)


@tagged("post_install", "-at_install")
class TestPendingListCleanUpNeverHoldsTheCallerUp(TransactionCase):
    """No data of its own: this test's transaction holds no lock on the partner table's
    indexes, which another session below takes."""

    def test_the_clean_up_gives_up_after_100_ms_behind_another_session(self):
        """Another session holding the name index (here an ALTER INDEX not committed yet;
        another clean-up holds the list the same way) delays an upsert's lookup by 100 ms
        at most: the clean-up is given up, the caller's transaction goes on."""
        index, logger = "res_partner_crm_name_key_trgm", "odoo.addons.crm_clients.tools.pg"
        holder = sql_db.db_connect(self.env.cr.dbname).cursor()
        caller = sql_db.db_connect(self.env.cr.dbname).cursor()
        try:
            holder.execute("SET LOCAL lock_timeout = '5s'")
            holder.execute(SQL("ALTER INDEX %s SET (fastupdate = on)", SQL.identifier(index)))
            caller.execute("SET LOCAL statement_timeout = '3s'")  # waiting for ever fails, not hangs
            caller.execute("CREATE TEMP TABLE crm_clients_caller_work (n int) ON COMMIT DROP")
            caller.execute("INSERT INTO crm_clients_caller_work VALUES (1)")
            start = time.monotonic()
            # (logging.INFO: Odoo names level 25 "INFO" too.)
            with self.assertLogs(logger, logging.INFO) as logs:
                gin_flush_pending(caller, index)
            self.assertLess(time.monotonic() - start, 2)
            self.assertIn(f"The pending list of {index} is being cleaned up by another session", logs.output[0])
            # Only the clean-up was undone: what the caller did before is there, and its
            # own lock timeout is back.
            caller.execute("SELECT count(*), current_setting('lock_timeout') FROM crm_clients_caller_work")
            self.assertEqual(caller.fetchone(), (1, "0"))
            holder.rollback()
            with self.assertNoLogs(logger, logging.INFO):
                gin_flush_pending(caller, index)  # nobody else: done
        finally:
            for cr in (holder, caller):
                cr.rollback()
                cr.close()


@tagged("post_install", "-at_install")
class TestImportDuplicates(CrmClientsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.kowalski = cls.create_client(name="Kowalski Sp. z o.o.", vat=NIP, country_id=cls.poland.id)

    def import_file(self, dryrun):
        csv = "name,vat,is_company\nKowalski spółka z o.o.,PL5261040828,1\nSomebody New,,1\n"
        wizard = self.env["base_import.import"].create(
            {
                "res_model": "res.partner",
                "file": base64.b64decode(base64.b64encode(csv.encode())),
                "file_type": "text/csv",
            }
        )
        return wizard.execute_import(
            ["name", "vat", "is_company"],
            ["name", "vat", "is_company"],
            {"quoting": '"', "separator": ",", "has_headers": True},
            dryrun=dryrun,
        )

    def test_the_test_import_names_the_rows(self):
        result = self.import_file(dryrun=True)
        warnings = [m for m in result["messages"] if m["type"] == "warning"]
        self.assertIn("1 rows look like clients that already exist", warnings[0]["message"])
        self.assertEqual(len(warnings), 2, result["messages"])
        self.assertEqual((warnings[1]["field"], warnings[1]["rows"]["from"]), ("vat", 0))
        self.assertIn("Kowalski Sp. z o.o.", warnings[1]["message"])
        self.assertEqual(self.Partner.search_count([("name", "=", "Somebody New")]), 0, "a test imports nothing")

    def test_the_import_itself_is_not_stopped(self):
        result = self.import_file(dryrun=False)
        self.assertEqual(result["messages"], [])
        self.assertEqual(len(result["ids"]), 2)
