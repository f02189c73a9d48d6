from datetime import timedelta

from odoo.addons.crm_clients.tests.common import serve_registry
from odoo.tests import TransactionCase, tagged

from ..tools import whitelist
from .test_whitelist import ORLEN_NIP
from .test_whitelist import whitelist_api
from .whitelist_standin import subject

LISTED = "06160011271843983820000034"
NOT_LISTED = "16160011271234567890123456"


def valid_nips(count, start=100000000):
    """Valid NIPs (official weights)."""
    found, n = [], start
    while len(found) < count:
        digits = f"{n:09d}"
        check = sum(int(d) * w for d, w in zip(digits, (6, 5, 7, 2, 3, 4, 5, 6, 7), strict=True)) % 11
        if check < 10:
            found.append(digits + str(check))
        n += 1
    return found


def account_for(nip):
    """A 26-digit account made from a NIP (the register compares them as digits)."""
    return f"{int(nip) % 97:02d}10100055{nip}000000"


@tagged("post_install", "-at_install")
class TestWhitelistApi(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.api = serve_registry(cls, whitelist_api(), "crm_clients_mf_whitelist", cache_hours="0")
        cls.nips = valid_nips(64)
        for index, nip in enumerate(cls.nips):
            status = "unregistered" if index == 5 else "active"
            cls.api.add(subject(nip, f"DOSTAWCA {index} SP. Z O.O.", [account_for(nip)], status=status))
        cls.provider = cls.env["crm.client.registry.mf_whitelist"]
        cls.today = cls.api.day()  # the Ministry's (Poland's) today

    def setUp(self):
        super().setUp()
        self.api.faults.clear()
        self.api.calls.clear()
        self.api.requests.clear()
        self.api.used.clear()
        self.api.search_limit = 100

    def searches(self):
        return [request for request in self.api.requests if request[1].startswith("/api/search/nips/")]

    def test_many_nips_are_asked_thirty_per_request_for_the_payment_day(self):
        day = self.today - timedelta(days=10)
        pairs = [(nip, account_for(nip)) for nip in self.nips] + [(ORLEN_NIP, LISTED), (ORLEN_NIP, NOT_LISTED)]
        pairs.append((self.nips[1], NOT_LISTED))
        checks, problems = self.provider._whitelist_verify(pairs, day, use_api=True)
        searches = self.searches()
        self.assertEqual(len(searches), 3, "65 NIPs: 30 + 30 + 5")
        self.assertTrue(
            all(query["date"] == day.isoformat() for _method, _path, query in searches), "the payment's day"
        )
        self.assertEqual(checks[(ORLEN_NIP, LISTED)].result, "active")
        self.assertEqual(checks[(self.nips[1], NOT_LISTED)].result, "absent")
        self.assertEqual(checks[(self.nips[5], account_for(self.nips[5]))].result, "absent", "not a VAT payer")
        # ORLEN has virtual accounts, which the API does not list: not "absent", left to the flat file.
        self.assertEqual(list(problems), [(ORLEN_NIP, NOT_LISTED)])
        self.assertIn("only the flat file confirms", problems[(ORLEN_NIP, NOT_LISTED)])
        check = checks[(self.nips[0], account_for(self.nips[0]))]
        self.assertEqual((check.result, check.source, check.date), ("active", "search", day))
        self.assertRegex(check.request_id, r"^[0-9a-f]{5}-98jk[0-9a-f]{4}$")
        # Asked again: the recorded proofs answer; only the unanswered account is asked again.
        self.api.requests.clear()
        self.provider._whitelist_verify(pairs, day, use_api=True)
        self.assertEqual([path for _method, path, _query in self.api.requests], [f"/api/search/nips/{ORLEN_NIP}"])

    def test_a_future_payment_is_checked_for_today(self):
        checks, _problems = self.provider._whitelist_verify(
            [(ORLEN_NIP, LISTED)], self.today + timedelta(days=5), use_api=True
        )
        self.assertEqual(checks[(ORLEN_NIP, LISTED)].date, self.today)
        self.assertEqual(self.searches()[0][2]["date"], self.today.isoformat())

    def test_the_daily_limit_is_a_clear_message_never_not_on_the_list(self):
        self.api.search_limit = 2
        pairs = [(nip, account_for(nip)) for nip in self.nips]
        checks, problems = self.provider._whitelist_verify(pairs, self.today, use_api=True)
        self.assertEqual(len(checks), 60, "what the two allowed requests answered is kept")
        self.assertEqual(len(problems), 4)
        self.assertFalse([check for check in checks.values() if check.result == "absent" and check.nip != self.nips[5]])
        message = next(iter(problems.values()))
        self.assertIn("daily limit of requests is used up", message)
        self.assertIn("WL-191", message)
        self.assertEqual(len(self.searches()), 3, "the refused third request, and no more")

    def test_a_nip_the_ministry_refuses_is_a_problem_of_its_own(self):
        client = whitelist.Client(self.api.url)
        answers, request_id, _time = client.search_nips(["7740001455", ORLEN_NIP, "9999999982"], self.today)
        self.assertEqual(answers["7740001455"], ("WL-115", "Nieprawidłowy NIP."))
        self.assertEqual(answers[ORLEN_NIP]["nip"], ORLEN_NIP)
        self.assertIsNone(answers["9999999982"])
        self.assertTrue(request_id)

    def test_the_account_check_at_a_date(self):
        client = whitelist.Client(self.api.url)
        day = self.today - timedelta(days=3)
        assigned, request_id, request_time = client.check_account(ORLEN_NIP, LISTED, day)
        self.assertTrue(assigned)
        self.assertTrue(request_id and request_time)
        self.assertEqual(self.api.requests[-1][2]["date"], day.isoformat())
        self.assertFalse(client.check_account(ORLEN_NIP, NOT_LISTED, day)[0])
        with self.assertRaises(whitelist.WhitelistError) as caught:
            client.check_account(ORLEN_NIP, LISTED, self.today + timedelta(days=1))
        self.assertEqual((caught.exception.kind, caught.exception.code), ("api", "WL-103"))
        self.api.check_limit = 0
        with self.assertRaises(whitelist.WhitelistError) as caught:
            client.check_account(ORLEN_NIP, LISTED, day)
        self.assertEqual((caught.exception.kind, caught.exception.code), ("limit", "WL-191"))
        self.api.check_limit = 5000

    def test_a_selection_of_partners_is_updated_with_one_search_per_thirty(self):
        pl = self.env.ref("base.pl")
        partners = self.env["res.partner"].create(
            [
                {"name": f"Dostawca {i}", "is_company": True, "country_id": pl.id, "vat": nip}
                for i, nip in enumerate(self.nips[:40])
            ]
        )
        action = self.env.ref("crm_clients_mf_whitelist.action_server_mf_whitelist_update")
        result = action.with_context(active_model="res.partner", active_ids=partners.ids).run()
        self.assertIn("40 updated", result["params"]["message"])
        self.assertEqual(len(self.searches()), 2)
        self.assertEqual(self.api.calls["requests"], 2, "no request per partner")
        self.assertEqual(partners[0].mf_accounts, [account_for(self.nips[0])])
        self.assertEqual(partners[5].mf_vat_status, "unregistered")
