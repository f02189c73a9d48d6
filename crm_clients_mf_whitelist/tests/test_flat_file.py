import hashlib
import io
from datetime import date
from datetime import timedelta

from odoo.addons.crm_clients.tests.common import serve_registry
from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, new_test_user, tagged

from ..tools import flatfile
from .test_whitelist import DATA
from .test_whitelist import ORLEN_NIP
from .test_whitelist import whitelist_api
from .test_whitelist import zone_on_another_day
from .whitelist_standin import subject

LISTED = "06160011271843983820000034"  # one of ORLEN's 236 accounts
NOT_LISTED = "16160011271234567890123456"
EXEMPT_NIP, EXEMPT_ACCOUNT = "5260250274", "12101010100075912221000000"
VIRTUAL_NIP = "9512345675"
MASK = "XX10100055YYYXXXXXXXXXXXXX"  # bank 10100055: 3 digits identify the taxpayer
VIRTUAL = "27101000551230000000000001"  # one of its virtual accounts
VIRTUAL_OTHER = "83101000551234567890123456"  # another one (same taxpayer digits "123")
VIRTUAL_STRANGER = "55101000559990000000000001"  # the same bank, another taxpayer


def flat_file_api(**options):
    api = whitelist_api(**options)
    api.add(subject(EXEMPT_NIP, "ZWOLNIONY SP. Z O.O.", [EXEMPT_ACCOUNT], status="exempt"))
    api.add(subject(VIRTUAL_NIP, "WIRTUALNE KONTA S.A.", [], virtual=True), virtual=[(MASK, VIRTUAL)])
    return api


class FlatFileCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.api = serve_registry(cls, flat_file_api(filler=300), "crm_clients_mf_whitelist", cache_hours="0")
        cls.params = cls.env["ir.config_parameter"].sudo()
        cls.params.set_param("crm_clients_mf_whitelist.flat_file_url", f"{cls.api.base_url}/pliki/{{date}}.7z")
        cls.provider = cls.env["crm.client.registry.mf_whitelist"]
        cls.Files = cls.env["crm.client.whitelist.file"]
        cls.today = cls.api.day()  # the Ministry's (Poland's) today

    def setUp(self):
        super().setUp()
        self.api.faults.clear()
        self.api.calls.clear()
        self.api.requests.clear()
        self.api.archives.clear()

    def api_requests(self):
        return sum(count for key, count in self.api.calls.items() if key.startswith("GET /api/"))


@tagged("post_install", "-at_install")
class TestFlatFile(FlatFileCase):
    def test_loaded_by_the_scheduled_action_then_payments_are_checked_offline(self):
        cron = self.env.ref("crm_clients_mf_whitelist.ir_cron_whitelist_flat_file")
        # Poland's file (published at Polish midnight), whatever the cron user's time zone.
        cron.user_id.tz = zone_on_another_day(self.today)
        self.Files.with_user(cron.user_id)._cron_whitelist_load()
        loaded = self.Files.search([("date", "=", self.today)])
        self.assertEqual(loaded.transformations, 5000)
        self.assertEqual(loaded.active_count, 236 + 1 + 300, "ORLEN's accounts, the virtual range, the others")
        self.assertEqual((loaded.exempt_count, loaded.masks), (1 + 30, [MASK]))
        archive = self.api.archive(self.today)
        self.assertEqual(loaded.archive_sha512, hashlib.sha512(archive).hexdigest())
        self.assertEqual(self.api.calls[f"GET /pliki/{self.today:%Y%m%d}.7z"], 1)

        pairs = [
            (ORLEN_NIP, LISTED),
            (ORLEN_NIP, NOT_LISTED),
            (EXEMPT_NIP, EXEMPT_ACCOUNT),
            (VIRTUAL_NIP, VIRTUAL),
            (VIRTUAL_NIP, VIRTUAL_OTHER),
            (VIRTUAL_NIP, VIRTUAL_STRANGER),
            (ORLEN_NIP, EXEMPT_ACCOUNT),
        ]
        checks, problems = self.provider._whitelist_verify(pairs, self.today)
        self.assertFalse(problems)
        results = {pair: (check.result, check.source, check.mask) for pair, check in checks.items()}
        self.assertEqual(
            results,
            {
                (ORLEN_NIP, LISTED): ("active", "file", False),
                (ORLEN_NIP, NOT_LISTED): ("absent", "file", False),
                (EXEMPT_NIP, EXEMPT_ACCOUNT): ("exempt", "file", False),
                (VIRTUAL_NIP, VIRTUAL): ("active", "file", MASK),
                (VIRTUAL_NIP, VIRTUAL_OTHER): ("active", "file", MASK),
                (VIRTUAL_NIP, VIRTUAL_STRANGER): ("absent", "file", False),
                (ORLEN_NIP, EXEMPT_ACCOUNT): ("absent", "file", False),
            },
        )
        self.assertTrue(all(check.file_sha512 == loaded.archive_sha512 for check in checks.values()))
        self.assertEqual(self.api_requests(), 0, "no API request")
        # Asked again: the recorded checks answer, nothing is computed or created again.
        again, _problems = self.provider._whitelist_verify(pairs, self.today)
        self.assertEqual(set(again.values()), set(checks.values()))

    def test_a_day_without_its_file_is_not_checked_offline(self):
        self.Files._whitelist_load()
        yesterday = self.today - timedelta(days=1)
        checks, problems = self.provider._whitelist_verify([(ORLEN_NIP, LISTED)], yesterday)
        self.assertFalse(checks)
        self.assertIn(f"no flat file is loaded for {yesterday}", problems[(ORLEN_NIP, LISTED)])
        self.assertEqual(self.api_requests(), 0, "not asked without use_api")

    def test_the_json_document_is_read_as_well(self):
        self.params.set_param("crm_clients_mf_whitelist.flat_file_url", f"{self.api.base_url}/pliki/{{date}}.json")
        loaded = self.Files._whitelist_load()
        self.assertEqual(loaded.active_count, 537)
        checks, _problems = self.provider._whitelist_verify([(ORLEN_NIP, LISTED)], self.today)
        self.assertEqual(checks[(ORLEN_NIP, LISTED)].result, "active")

    def test_an_archive_made_by_7zip_is_read(self):
        """data/flat-file.20260924.7zip.7z: a document built by the specification (5000
        rounds), packed by 7-Zip 26.02 (`7zz a -t7z`: LZMA2, LZMA-compressed header)."""
        day = date(2026, 9, 24)
        self.api.archives[day] = (DATA / "flat-file.20260924.7zip.7z").read_bytes()
        loaded = self.Files._whitelist_load(day)
        self.assertEqual((loaded.active_count, loaded.exempt_count, loaded.mask_count), (44, 1, 2))
        answers = loaded._whitelist_lookup(
            {
                (ORLEN_NIP, LISTED),
                (ORLEN_NIP, NOT_LISTED),
                ("5252344078", "61109010140000071219812874"),
                (VIRTUAL_NIP, VIRTUAL_OTHER),
            }  # fmt: skip
        )
        self.assertEqual(answers[(ORLEN_NIP, LISTED)], ("active", None))
        self.assertEqual(answers[(ORLEN_NIP, NOT_LISTED)], (False, None))
        self.assertEqual(answers[("5252344078", "61109010140000071219812874")], ("exempt", None))
        self.assertEqual(answers[(VIRTUAL_NIP, VIRTUAL_OTHER)], ("active", MASK))

    def test_damaged_or_wrong_files_are_refused_and_nothing_is_kept(self):
        archive = self.api.archive(self.today)
        for name, data, message in (
            ("truncated", archive[: len(archive) // 2], "cannot be read"),
            ("crc", archive[:-120] + bytes([archive[-120] ^ 0xFF]) + archive[-119:], "cannot be read"),
            ("not json", b"<html>Przerwa techniczna</html>", "cannot be read"),
        ):
            with self.subTest(name=name):
                self.api.archives[self.today] = data
                with self.env.cr.savepoint(), self.assertRaises(UserError) as caught:
                    self.Files._whitelist_load()
                self.assertIn(message, str(caught.exception))
                self.assertFalse(self.Files.search([]))
        other = self.today - timedelta(days=1)
        self.api.archives[self.today] = self.api.archive(other)
        with self.env.cr.savepoint(), self.assertRaises(UserError) as caught:
            self.Files._whitelist_load()
        self.assertIn(f"is the one of {other:%Y%m%d}", str(caught.exception))
        self.api.archives.clear()
        self.params.set_param("crm_clients_mf_whitelist.flat_file_url", f"{self.api.base_url}/pliki/{{date}}.zip")
        with self.env.cr.savepoint(), self.assertRaises(UserError) as caught:
            self.Files._whitelist_load()
        self.assertIn("could not be downloaded", str(caught.exception))
        self.assertIn("HTTP 404", str(caught.exception))

    def test_the_download_is_streamed_and_bounded(self):
        self.params.set_param("crm_clients_mf_whitelist.flat_file_max_mb", "0.01")
        with self.assertRaises(UserError) as caught:
            self.Files._whitelist_load()
        self.assertIn("larger than 10485 bytes", str(caught.exception))

    def test_older_files_are_removed_after_the_kept_days(self):
        self.params.set_param("crm_clients_mf_whitelist.flat_file_days", "2")
        for days in (3, 2, 1, 0):
            self.Files._whitelist_load(self.today - timedelta(days=days))
        loaded = self.Files.search([])
        self.assertEqual(loaded.mapped("date"), [self.today, self.today - timedelta(days=1)])
        attachments = self.env["ir.attachment"].sudo().search([("res_model", "=", "crm.client.whitelist.file")])
        self.assertEqual(attachments, loaded.index_attachment_id, "the older indexes went with their files")

    def test_only_administrators_load_files_and_nobody_writes_a_proof(self):
        employee = new_test_user(self.env, login="wl_employee", groups="base.group_user,crm_clients.group_client_user")
        with self.assertRaises(AccessError):
            self.Files.with_user(employee)._whitelist_load()
        with self.assertRaises(AccessError):
            self.env["crm.client.whitelist.check"].with_user(employee).create(
                {"nip": ORLEN_NIP, "account": NOT_LISTED, "date": self.today, "result": "active", "source": "file"}
            )
        self.Files._whitelist_load()
        checks, _problems = self.provider.with_user(employee)._whitelist_verify([(ORLEN_NIP, LISTED)], self.today)
        check = checks[(ORLEN_NIP, LISTED)]
        with self.assertRaises(AccessError):
            check.with_user(employee).write({"result": "absent"})
        with self.assertRaises(AccessError):
            check.with_user(employee).unlink()

    def test_flat_file_tools(self):
        self.assertEqual(flatfile.masked(VIRTUAL, MASK), "XX10100055123XXXXXXXXXXXXX")
        self.assertFalse(flatfile.mask_applies("27102000551230000000000001", MASK), "another bank")
        # The chain is SHA-512 over the previous round's lowercase hex, 5000 rounds.
        value = b"20260924" + ORLEN_NIP.encode() + LISTED.encode()
        for _round in range(5000):
            value = hashlib.sha512(value).hexdigest().encode()
        self.assertEqual(flatfile.chain("20260924", ORLEN_NIP, LISTED, 5000), value.decode())
        # A document cut anywhere streams the same.
        document = self.api.document(self.today)
        whole = io.BytesIO()
        header = flatfile.build_index([document], whole)
        for size in (1, 7, 129, 4096):
            with self.subTest(size=size):
                out = io.BytesIO()
                self.assertEqual(
                    flatfile.build_index((document[i : i + size] for i in range(0, len(document), size)), out), header
                )
                self.assertEqual(out.getvalue(), whole.getvalue())
        out = io.BytesIO()
        flatfile.write_archive(out, "x.json", [document])
        name, chunks = flatfile.open_archive(out)
        self.assertEqual((name, b"".join(chunks)), ("x.json", document))
