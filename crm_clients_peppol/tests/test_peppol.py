from datetime import timedelta

from odoo import fields
from odoo.tests import TransactionCase, tagged

from ..tools import peppol
from . import peppol_standin as standin

PL_ID = ("9945", "PL5260251049")
NO_ID = ("0192", "923609016")


class PeppolCase(TransactionCase):
    """A live DNS server answering like the SML and a live SMP, on 127.0.0.1."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dns = standin.SmlDns(zone="test")
        cls.dns_address = cls.dns.start()
        cls.addClassCleanup(cls.dns.stop)
        cls.smp = standin.Smp()
        cls.smp.start()
        cls.addClassCleanup(cls.smp.stop)
        cls.smp.add(":".join(PL_ID), [standin.INVOICE, standin.CREDIT_NOTE, standin.ORDER])
        cls.dns.register(":".join(PL_ID), cls.smp.url)
        params = cls.env["ir.config_parameter"].sudo()
        params.set_param("crm_clients_peppol.sml_zone", "test")
        params.set_param("crm_clients_peppol.dns_server", cls.dns_address)
        params.set_param("crm_clients_peppol.timeout", "1")
        # The stand-ins listen on 127.0.0.1: a private network, reached only when allowed.
        params.set_param("crm_clients_peppol.allow_private_networks", "True")

    def setUp(self):
        super().setUp()
        self.dns.calls.clear()
        self.dns.drop = self.dns.servfail = False
        self.smp.calls.clear()
        self.smp.host_headers.clear()
        self.smp.reset()

    def client(self, country="base.pl", **vals):
        return self.env["res.partner"].create(
            {"name": "Peppol Client", "is_company": True, "country_id": self.env.ref(country).id, **vals}
        )


@tagged("post_install", "-at_install")
class TestPeppolIdentifiers(PeppolCase):
    def test_every_scheme_is_derived_from_the_country_and_ids(self):
        cases = [
            (("PL", "5260251049", None, None), ("9945", "PL5260251049")),
            (("BE", "BE0477472701", "0477472701", None), ("0208", "0477472701")),
            (("BE", "BE0477472701", None, None), ("0208", "0477472701")),
            (("NL", "NL004495445B01", "17001910", None), ("0106", "17001910")),
            (("NL", "NL004495445B01", None, None), ("9944", "NL004495445B01")),
            (("DE", "DE123456788", None, None), ("9930", "DE123456788")),
            (("FR", "FR40303265045", "73282932000074", None), ("0009", "73282932000074")),
            (("IT", "IT00743110157", None, None), ("0211", "IT00743110157")),
            (("ES", "ESA13585625", None, None), ("9920", "ESA13585625")),
            (("NO", "NO923609016MVA", None, None), ("0192", "923609016")),
            (("FI", "FI20774740", "003720774740", None), ("0216", "003720774740")),
            (("FI", "FI20774740", None, None), ("0213", "FI20774740")),
            (("SE", "SE556036079301", None, None), ("0007", "5560360793")),
            (("DK", "DK13585628", None, None), ("0184", "13585628")),
            (("AT", "ATU13585627", None, None), ("9914", "ATU13585627")),
            (("US", None, None, "5901234123457"), ("0088", "5901234123457")),
            (("PL", "5260251048", None, None), (False, False)),
        ]
        for (country, vat, registry, gln), expected in cases:
            with self.subTest(country=country, vat=vat):
                self.assertEqual(peppol.derive(country, vat=vat, company_registry=registry, gln=gln), expected)

    def test_validation_per_scheme(self):
        for eas, endpoint in [PL_ID, NO_ID, ("0208", "0477472701"), ("0088", "5901234123457"), ("9930", "DE123456788")]:
            peppol.validate(eas, endpoint)
        for eas, endpoint in [("9945", "PL5260251048"), ("0192", "923609017"), ("0208", "3141592654"),
                              ("0088", "5901234123458"), ("9930", "123"), ("9945", "PL 526")]:  # fmt: skip
            with self.subTest(eas=eas, endpoint=endpoint), self.assertRaises(peppol.InvalidIdentifier):
                peppol.validate(eas, endpoint)

    def test_partner_identifier_is_derived_when_empty_and_editable(self):
        partner = self.client(vat="5260251049")
        self.assertEqual((partner.peppol_eas, partner.peppol_endpoint), PL_ID)
        norway = self.client(country="base.no", vat="NO923609016MVA")
        self.assertEqual((norway.peppol_eas, norway.peppol_endpoint), NO_ID)
        belgium = self.client(country="base.be", vat="BE0477472701", company_registry="0477472701")
        self.assertEqual((belgium.peppol_eas, belgium.peppol_endpoint), ("0208", "0477472701"))
        partner.write({"peppol_eas": "0088", "peppol_endpoint": "5901234123457"})
        partner.write({"street": "Nowa 1", "email": "biuro@example.pl"})
        self.assertEqual((partner.peppol_eas, partner.peppol_endpoint), ("0088", "5901234123457"), "edited: kept")

    def test_saving_a_client_never_looks_it_up(self):
        partner = self.client(vat="5260251049")
        partner.write({"name": "Renamed", "vat": "5252344078"})
        self.assertEqual(sum(self.dns.calls.values()), 0)
        self.assertEqual(partner.peppol_status, "unknown")


@tagged("post_install", "-at_install")
class TestPeppolCheck(PeppolCase):
    def test_registered_with_documents_and_invoice_capability(self):
        partner = self.client(vat="5260251049")
        partner.action_peppol_check()
        self.assertEqual(partner.peppol_status, "registered")
        self.assertEqual(partner.peppol_smp_url, self.smp.url)
        self.assertEqual(
            [d["name"] for d in partner.peppol_document_types],
            ["Invoice (BIS Billing 3.0)", "Credit Note (BIS Billing 3.0)", "Order (Peppol Order 3)"],
        )
        self.assertTrue(partner.peppol_can_receive_invoice)
        self.assertTrue(partner.peppol_checked_at)
        self.assertEqual(partner.peppol_zone, "test")
        self.assertEqual(self.dns.calls["NAPTR"], 1)
        self.assertEqual(self.dns.calls["CNAME"], 0, "no legacy lookup when NAPTR answers")
        self.assertIn(partner, self.env["res.partner"].search([("peppol_registered", "=", True)]))
        self.assertIn(partner, self.env["res.partner"].search([("peppol_can_receive_invoice", "=", True)]))

    def test_anchored_regexp_and_no_billing_process(self):
        participant = "0192:923609016"
        self.smp.add(participant, [standin.INVOICE])
        self.dns.register(participant, self.smp.url + "/", regexp_style="!^.*$!{}!")
        self.smp.process = "urn:fdc:peppol.eu:2017:poacc:selfbilling:01:1.0"
        try:
            partner = self.client(country="base.no", vat="NO923609016MVA")
            partner.action_peppol_check()
        finally:
            self.smp.process = peppol.BIS_BILLING_PROCESS
        self.assertEqual(partner.peppol_status, "registered")
        self.assertEqual(partner.peppol_smp_url, self.smp.url, "trailing slash stripped")
        self.assertFalse(partner.peppol_can_receive_invoice, "the invoice type, but not the billing process")

    def test_not_registered_in_the_sml_or_unknown_to_the_smp(self):
        partner = self.client(vat="5252344078")
        partner.action_peppol_check()
        self.assertEqual(partner.peppol_status, "not_registered")
        self.assertEqual(self.dns.calls["CNAME"], 1, "NAPTR had no answer: the legacy name was tried")
        ghost = "9945:PL7251801126"
        self.dns.register(ghost, self.smp.url)
        other = self.client(vat="7251801126")
        other.action_peppol_check()
        self.assertEqual(other.peppol_status, "not_registered")
        self.assertIn("SMP does not know", other.peppol_error)

    def test_legacy_cname_where_naptr_has_no_answer(self):
        """The CNAME's target is an SMP host name only the configured DNS server knows:
        it is resolved there, not by the system's resolver."""
        legacy_smp = standin.Smp()
        legacy_smp.start(port=80)  # the old scheme always spoke plain HTTP on port 80
        self.addCleanup(legacy_smp.stop)
        participant = "9945:PL7251801126"
        legacy_smp.add(participant, [standin.INVOICE, standin.XRECHNUNG])
        legacy_smp.href_base = "http://smp.legacy.peppol.invalid"
        self.dns.register_legacy(participant, "smp.legacy.peppol.invalid")
        self.dns.add_host("smp.legacy.peppol.invalid", "127.0.0.1")
        partner = self.client(vat="7251801126")
        partner.action_peppol_check()
        self.assertEqual(partner.peppol_status, "registered", partner.peppol_error)
        self.assertEqual(partner.peppol_smp_url, "http://smp.legacy.peppol.invalid")
        self.assertEqual(
            [d["name"] for d in partner.peppol_document_types], ["Invoice (BIS Billing 3.0)", "Invoice (XRechnung)"]
        )
        self.assertTrue(partner.peppol_can_receive_invoice)
        self.assertEqual((self.dns.calls["NAPTR"], self.dns.calls["CNAME"]), (1, 1))
        self.assertGreaterEqual(self.dns.calls["A"], 1, "the SMP host name was asked from the configured server")
        self.assertEqual((legacy_smp.calls["service_group"], legacy_smp.calls["service_metadata"]), (1, 1))
        self.assertEqual(legacy_smp.host_headers, {"smp.legacy.peppol.invalid": 2}, "the Host header names the SMP")

    def test_invalid_identifier_is_not_looked_up(self):
        partner = self.client(vat="5260251049")
        partner.write({"peppol_eas": "0208", "peppol_endpoint": "3141592654"})
        partner.action_peppol_check()
        self.assertEqual(partner.peppol_status, "invalid")
        self.assertIn("not a valid identifier for scheme 0208", partner.peppol_error)
        self.assertEqual(sum(self.dns.calls.values()), 0)

    def test_errors_keep_the_previous_result_and_say_so(self):
        partner = self.client(vat="5260251049")
        partner.action_peppol_check()
        self.assertEqual(partner.peppol_status, "registered")
        faults = {
            "DNS timeout": lambda: setattr(self.dns, "drop", True),
            "HTTP 503": lambda: setattr(self.smp, "status", 503),
            "not XML": lambda: setattr(self.smp, "malformed", True),
            "not 9945:PL5260251049": lambda: setattr(self.smp, "answer_for", "9945:PL5252344078"),
        }
        for reason, switch in faults.items():
            with self.subTest(reason=reason):
                self.setUp()
                switch()
                partner.action_peppol_check()
                self.assertEqual(partner.peppol_status, "error")
                self.assertIn(reason, partner.peppol_error)
                self.assertIn("The previous result (Registered", partner.peppol_error)
                self.assertTrue(partner.peppol_can_receive_invoice, "the previous result is kept beside the error")
                self.assertEqual(len(partner.peppol_document_types), 3)
        self.setUp()
        partner.action_peppol_check()
        self.assertEqual((partner.peppol_status, partner.peppol_error), ("registered", False))

    def test_zones_are_never_mixed(self):
        partner = self.client(vat="5260251049")
        partner.action_peppol_check()
        self.assertTrue(partner.peppol_registered)
        self.env["ir.config_parameter"].sudo().set_param("crm_clients_peppol.sml_zone", "production")
        try:
            partner.invalidate_recordset(["peppol_registered"])
            self.assertFalse(partner.peppol_registered, "a test-zone result says nothing about production")
            self.assertNotIn(partner, self.env["res.partner"].search([("peppol_registered", "=", True)]))
            due = self.env["res.partner"].search([("id", "=", partner.id)])
            self.assertIn(due, self.env["res.partner"].search([("peppol_zone", "!=", "production")]))
        finally:
            self.env["ir.config_parameter"].sudo().set_param("crm_clients_peppol.sml_zone", "test")

    def test_a_selection_is_checked_at_once(self):
        partners = self.client(vat="5260251049") | self.client(vat="5252344078")
        partners |= self.client(country="base.no", vat="NO923609016MVA")
        result = partners.action_peppol_check()
        self.assertEqual(result["params"]["type"], "info")
        self.assertEqual(partners.mapped("peppol_status"), ["registered", "not_registered", "not_registered"])

    def test_scheduled_recheck_takes_old_results_in_batches(self):
        partner_model = self.env["res.partner"]
        stale = self.client(vat="5260251049") | self.client(vat="5252344078")
        stale.action_peppol_check()
        stale.write({"peppol_checked_at": fields.Datetime.now() - timedelta(days=45)})
        fresh = self.client(country="base.no", vat="NO923609016MVA")
        fresh.action_peppol_check()
        others = partner_model.search([("peppol_eas", "!=", False)]) - stale - fresh
        others.write({"peppol_checked_at": fields.Datetime.now(), "peppol_zone": "test"})
        checked_before = fresh.peppol_checked_at
        self.assertEqual(partner_model._cron_peppol_recheck(batch_size=1), 1)
        self.assertEqual(partner_model._cron_peppol_recheck(batch_size=1), 0)
        self.assertTrue(all(p.peppol_checked_at > fields.Datetime.now() - timedelta(minutes=5) for p in stale))
        self.assertEqual(fresh.peppol_checked_at, checked_before)

    def test_access_rights(self):
        partner = self.client(vat="5260251049")
        portal = self.env["res.users"].create(
            {"name": "Portal", "login": "peppol-portal", "groups_id": [(6, 0, [self.env.ref("base.group_portal").id])]}
        )
        with self.assertRaises(Exception):  # noqa: B017 - AccessError
            partner.with_user(portal).action_peppol_check()
        self.assertEqual(partner.peppol_status, "unknown")


@tagged("post_install", "-at_install")
class TestPeppolIdentifierWarning(PeppolCase):
    def test_an_invalid_identifier_warns_while_typing_but_can_be_saved(self):
        from odoo.tests import Form

        partner = self.client(vat="5260251049")
        with Form(partner) as form:
            form.peppol_eas = "0208"
            form.peppol_endpoint = "3141592654"  # fails the Belgian checksum: a warning, not a refusal
        self.assertEqual((partner.peppol_eas, partner.peppol_endpoint), ("0208", "3141592654"))
        result = partner._onchange_peppol_identifier()
        self.assertIn("looks invalid", result["warning"]["message"])
        partner.peppol_endpoint = "0477472701"
        self.assertIsNone(partner._onchange_peppol_identifier())
