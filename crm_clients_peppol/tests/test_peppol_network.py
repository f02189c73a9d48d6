"""What a lookup may reach: SMP addresses from DNS answers, redirects and service group
references are checked (scheme, credentials, host, address actually connected to),
answers are capped and parsed without DTDs. The stand-ins listen on 127.0.0.1; the SMP
host names live under ``.invalid`` (no resolver but the stand-in DNS server knows them)."""

import tempfile

from odoo.tests import tagged

from ..tools import peppol
from . import peppol_standin as standin
from .test_peppol import PL_ID
from .test_peppol import PeppolCase

ALLOW = "crm_clients_peppol.allow_private_networks"


def valid_nips(count, seed=734000000):
    """Polish NIPs with a valid checksum, none of them registered anywhere yet."""
    nips = []
    while len(nips) < count:
        seed += 1
        digits = str(seed)
        check = sum(w * int(d) for w, d in zip((6, 5, 7, 2, 3, 4, 5, 6, 7), digits, strict=True)) % 11
        if check != 10:
            nips.append(digits + str(check))
    return nips


class NetworkCase(PeppolCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.nips = iter(valid_nips(200))
        cls.port = cls.smp.url.rsplit(":", 1)[1]

    def setUp(self):
        super().setUp()
        self.dns.calls.clear()

    def stand_in(self, cls=standin.Smp, **start):
        smp = cls()
        smp.start(**start)
        self.addCleanup(smp.stop)
        return smp

    def host(self, name, *addresses, then=None):
        self.dns.add_host(name, *addresses, then=then)
        self.addCleanup(self.dns.hosts.pop, name.lower(), None)

    def participant(self, url=None, legacy=None, smp=None, documents=(standin.INVOICE,)):
        """A new client registered on ``smp`` (our SMP by default), its NAPTR record
        pointing at ``url`` (or its legacy CNAME at ``legacy``)."""
        nip = next(self.nips)
        participant = f"9945:PL{nip}"
        (smp or self.smp).add(participant, documents)
        if legacy:
            self.dns.register_legacy(participant, legacy)
        else:
            self.dns.register(participant, url or self.smp.url)
        return self.client(vat=nip)

    def checked(self, url=None, **kwargs):
        partner = self.participant(url, **kwargs)
        partner.action_peppol_check()
        return partner

    def assertRefused(self, partner, *reasons, smps=()):
        self.assertEqual(partner.peppol_status, "error", partner.peppol_error)
        for reason in reasons:
            self.assertIn(reason, partner.peppol_error)
        for smp in (self.smp, *smps):
            self.assertEqual(smp.calls["requests"], 0, f"{smp.url} was asked nothing")


@tagged("post_install", "-at_install")
class TestPeppolSmpAddresses(NetworkCase):
    """Rules that hold even where private networks are allowed (as here)."""

    def test_only_http_and_https_smp_addresses(self):
        for url in (
            "file:///etc/passwd",
            f"ftp://127.0.0.1:{self.port}",
            f"gopher://127.0.0.1:{self.port}/_GET%20/",
            "ldap://127.0.0.1/",
            f"127.0.0.1:{self.port}",
        ):
            with self.subTest(url=url):
                partner = self.checked(url)
                self.assertRefused(partner, "is not an http or https address")

    def test_credentials_in_an_smp_address_are_refused(self):
        partner = self.checked(f"http://peppol:s3cret@127.0.0.1:{self.port}")
        self.assertRefused(partner, "carries credentials")
        self.assertNotIn("s3cret", partner.peppol_error, "the password is not repeated")

    def test_malformed_smp_addresses(self):
        for url in ("http://", "http://127.0.0.1:99999", "http://exa mple.test/"):
            with self.subTest(url=url):
                self.assertRefused(self.checked(url), "is malformed")

    def test_addresses_never_reached_even_on_private_networks(self):
        for url, address in (
            ("http://169.254.169.254/latest/meta-data", "169.254.169.254"),
            ("http://[fd00:ec2::254]/", "fd00:ec2::254"),
            ("http://100.100.100.200/", "100.100.100.200"),
            ("http://[fe80::1]/", "fe80::1"),
            ("http://224.0.0.1/", "224.0.0.1"),
            (f"http://0.0.0.0:{self.port}", "0.0.0.0"),  # Linux connects this to the local host
            (f"http://[::]:{self.port}", "::"),
        ):
            with self.subTest(url=url):
                partner = self.checked(url)
                self.assertRefused(partner, f"({address})", "never reached")

    def test_redirects_are_followed_a_few_times_each_hop_checked(self):
        moved = self.stand_in()
        moved.redirect = self.smp.url
        partner = self.checked(moved.url)
        self.assertEqual(partner.peppol_status, "registered", partner.peppol_error)
        self.assertEqual(partner.peppol_smp_url, moved.url)
        self.assertEqual(moved.calls["requests"], 1)
        self.assertEqual((self.smp.calls["service_group"], self.smp.calls["service_metadata"]), (1, 1))

        loop = self.stand_in()
        loop.redirect = loop.url
        partner = self.checked(loop.url)
        self.assertEqual(partner.peppol_status, "error")
        self.assertIn("redirected more than 3 times", partner.peppol_error)
        self.assertEqual(loop.calls["requests"], 4, "the first answer and three redirects, no more")

        victim = self.stand_in()
        for target, reason in (
            ("http://169.254.169.254", "(169.254.169.254)"),
            (f"http://0.0.0.0:{victim.url.rsplit(':', 1)[1]}", "(0.0.0.0)"),
            ("file://", "is not an http or https address"),
            (f"http://admin:pw@127.0.0.1:{victim.url.rsplit(':', 1)[1]}", "carries credentials"),
        ):
            with self.subTest(target=target):
                hop = self.stand_in()
                hop.redirect = target
                partner = self.checked(hop.url)
                self.assertEqual(partner.peppol_status, "error")
                self.assertIn(reason, partner.peppol_error)
                self.assertEqual(victim.calls["requests"], 0)

    def test_service_metadata_on_another_host_is_refused(self):
        victim = self.stand_in()
        for href_base in (
            victim.url,
            f"http://localhost:{self.port}",
            "http://169.254.169.254",
            "http://10.0.0.1",
        ):
            with self.subTest(href_base=href_base):
                self.setUp()
                self.smp.href_base = href_base
                partner = self.participant(smp=victim)
                self.smp.add(f"9945:{partner.peppol_endpoint}", [standin.INVOICE])
                partner.action_peppol_check()
                self.assertEqual(partner.peppol_status, "error")
                self.assertIn("not on the SMP's own host", partner.peppol_error)
                self.assertEqual(self.smp.calls["service_group"], 1)
                self.assertEqual(victim.calls["requests"], 0)

    def test_answers_larger_than_the_cap_are_refused(self):
        self.env["ir.config_parameter"].sudo().set_param("crm_clients_peppol.max_answer_bytes", "100000")
        partner = self.client(vat="5260251049")
        partner.action_peppol_check()
        self.assertEqual(partner.peppol_status, "registered", "an ordinary answer fits")
        self.smp.padding = 64 * 1024 * 1024
        for announced in (True, False):
            with self.subTest(announced=announced):
                self.smp.no_length = not announced
                self.smp.sent = 0
                partner.action_peppol_check()
                self.assertEqual(partner.peppol_status, "error")
                self.assertIn("more than 100000 bytes", partner.peppol_error)
                self.assertIn("The previous result (Registered", partner.peppol_error)
                self.assertEqual(len(partner.peppol_document_types), 3)
                self.assertLess(self.smp.sent, 32 * 1024 * 1024, "the rest of the answer was never read")

    def test_an_answer_must_arrive_in_full_in_time(self):
        self.env["ir.config_parameter"].sudo().set_param("crm_clients_peppol.timeout", "0.5")
        self.smp.drip = 0.25  # 16 bytes every 0.25 s: each read is in time, the whole is not
        partner = self.client(vat="5260251049")
        partner.action_peppol_check()
        self.assertEqual(partner.peppol_status, "error")
        self.assertIn("did not answer in full within 2 s", partner.peppol_error)

    def test_xml_with_a_dtd_is_refused_and_nothing_in_it_is_fetched(self):
        victim = self.stand_in()
        with tempfile.NamedTemporaryFile("w", suffix=".txt") as secret:
            secret.write("TOP-SECRET-VALUE")
            secret.flush()
            for doctype in (
                '<!DOCTYPE ns3:ServiceGroup [<!ENTITY x "expanded">]>',
                f'<!DOCTYPE ns3:ServiceGroup [<!ENTITY x SYSTEM "file://{secret.name}">]>',
                f'<!DOCTYPE ns3:ServiceGroup SYSTEM "{victim.url}/peppol.dtd">',
                f'<!DOCTYPE ns3:ServiceGroup [<!ENTITY % p SYSTEM "{victim.url}/p.dtd"> %p;]>',
            ):
                with self.subTest(doctype=doctype):
                    self.smp.doctype = doctype
                    partner = self.client(vat="5260251049")
                    partner.action_peppol_check()
                    self.assertEqual(partner.peppol_status, "error")
                    self.assertIn("service group with a DTD", partner.peppol_error)
                    self.assertNotIn("TOP-SECRET", str(partner.read()))
                    self.assertEqual(victim.calls["requests"], 0, "no DTD or entity is fetched")

    def test_address_kinds(self):
        kinds = {
            "public": ["8.8.8.8", "193.0.6.139", "2001:4860:4860::8888", "2a00:1450:4001:82b::200e"],
            "private": ["127.0.0.1", "127.8.9.10", "10.1.2.3", "172.16.0.1", "192.168.1.1", "100.64.0.1", "::1",
                        "fc00::1", "fd12:3456::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "2002:a00:1::1",
                        "64:ff9b::a00:1", "198.18.0.1", "192.0.2.1", "2001:db8::1", "fec0::1"],
            "never": ["169.254.169.254", "169.254.1.1", "fe80::1", "fd00:ec2::254", "100.100.100.200",
                      "224.0.0.1", "239.255.255.250", "ff02::1", "0.0.0.0", "::", "255.255.255.255",
                      "240.0.0.1", "::ffff:169.254.169.254", "2002:a9fe:a9fe::1", "64:ff9b::a9fe:a9fe"],
        }  # fmt: skip
        for kind, addresses in kinds.items():
            for address in addresses:
                with self.subTest(address=address):
                    self.assertEqual(peppol.address_kind(address), kind)


@tagged("post_install", "-at_install")
class TestPeppolPrivateNetworksOff(NetworkCase):
    """The default: only public addresses are reached."""

    def setUp(self):
        super().setUp()
        self.env["ir.config_parameter"].sudo().set_param(ALLOW, False)

    def test_a_dns_answer_to_a_private_address_is_refused_and_the_result_kept(self):
        params = self.env["ir.config_parameter"].sudo()
        partner = self.client(vat=PL_ID[1][2:])
        params.set_param(ALLOW, "True")
        partner.action_peppol_check()
        self.assertEqual(partner.peppol_status, "registered")
        params.set_param(ALLOW, False)
        self.smp.calls.clear()
        partner.action_peppol_check()
        self.assertRefused(partner, "(127.0.0.1)", "crm_clients_peppol.allow_private_networks")
        self.assertIn("The previous result (Registered", partner.peppol_error)
        self.assertEqual(partner.peppol_result_status, "registered")
        self.assertEqual(len(partner.peppol_document_types), 3)
        self.assertTrue(partner.peppol_can_receive_invoice)

    def test_every_private_or_local_answer_is_refused(self):
        self.host("smp.loopback.peppol.invalid", "127.0.0.1")
        self.host("smp.v6.peppol.invalid", "::1")
        self.host("smp.tenant.peppol.invalid", "10.0.0.5")
        cases = [
            ({"url": self.smp.url}, "(127.0.0.1)"),
            ({"url": "http://169.254.169.254/latest/meta-data"}, "(169.254.169.254)"),
            ({"url": "http://10.1.2.3"}, "(10.1.2.3)"),
            ({"url": "http://192.168.1.10:8080"}, "(192.168.1.10)"),
            ({"url": "http://172.16.0.1"}, "(172.16.0.1)"),
            ({"url": "http://100.64.0.1"}, "(100.64.0.1)"),
            ({"url": f"http://[::1]:{self.port}"}, "(::1)"),
            ({"url": f"http://[::ffff:127.0.0.1]:{self.port}"}, "(::ffff:127.0.0.1)"),
            ({"url": "http://[fc00::1]"}, "(fc00::1)"),
            ({"url": f"http://smp.loopback.peppol.invalid:{self.port}"}, "(127.0.0.1)"),
            ({"url": f"http://smp.v6.peppol.invalid:{self.port}"}, "(::1)"),
            ({"legacy": "smp.tenant.peppol.invalid"}, "(10.0.0.5)"),
            ({"legacy": "127.0.0.1"}, "(127.0.0.1)"),
        ]
        for where, address in cases:
            with self.subTest(**where):
                partner = self.checked(**where)
                self.assertRefused(partner, address, "refused")


@tagged("post_install", "-at_install")
class TestPeppolSmpHostNames(NetworkCase):
    """SMP host names are resolved by the configured DNS server (they exist nowhere else),
    once per run, and the address that answered and passed the checks is the one used."""

    def test_an_smp_host_name_is_resolved_by_the_configured_dns_server(self):
        url = f"http://smp.named.peppol.invalid:{self.port}"
        self.host("smp.named.peppol.invalid", "127.0.0.1")
        self.smp.href_base = url
        partners = self.participant(url) | self.participant(url)
        partners.action_peppol_check()
        self.assertEqual(partners.mapped("peppol_status"), ["registered"] * 2, partners.mapped("peppol_error"))
        self.assertEqual(partners.mapped("peppol_smp_url"), [url] * 2)
        self.assertTrue(all(partners.mapped("peppol_can_receive_invoice")))
        self.assertEqual(self.smp.host_headers, {f"smp.named.peppol.invalid:{self.port}": 4})
        self.assertEqual(self.dns.calls["A"], 1, "one resolution per host and run")

    def test_the_checked_address_is_the_one_connected_to(self):
        url = f"http://smp.rebinding.peppol.invalid:{self.port}"
        self.host("smp.rebinding.peppol.invalid", "127.0.0.1", then=["169.254.169.254"])
        self.smp.href_base = url
        partner = self.checked(url)
        self.assertEqual(partner.peppol_status, "registered", partner.peppol_error)
        self.assertEqual(self.smp.calls["requests"], 2)
        self.assertEqual(self.dns.calls["A"], 1)
        partner.action_peppol_check()  # a new run asks again: the name now points elsewhere
        self.assertEqual(partner.peppol_status, "error")
        self.assertIn("(169.254.169.254)", partner.peppol_error)
        self.assertEqual(self.smp.calls["requests"], 2)

    def test_an_unknown_smp_host_name(self):
        partner = self.checked("http://nowhere.peppol.invalid")
        self.assertEqual(partner.peppol_status, "error")
        self.assertIn("the SMP host name nowhere.peppol.invalid does not exist", partner.peppol_error)

    def test_https_smp_by_host_name_keeps_the_server_name_and_certificate_check(self):
        params = self.env["ir.config_parameter"].sudo()
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        ca_file, cert_file, key_file = standin.make_certificates(directory.name, "smp.tls.peppol.invalid")
        tls = self.stand_in(standin.TlsSmp, host_name="smp.tls.peppol.invalid", cert_file=cert_file, key_file=key_file)
        tls.href_base = tls.url
        self.host("smp.tls.peppol.invalid", "127.0.0.1")
        params.set_param("crm_clients_peppol.ca_bundle", ca_file)
        partner = self.checked(tls.url, smp=tls)
        self.assertEqual(partner.peppol_status, "registered", partner.peppol_error)
        self.assertTrue(partner.peppol_can_receive_invoice)
        self.assertEqual(dict(tls.server_names), {"smp.tls.peppol.invalid": 1}, "SNI names the SMP, one connection")
        self.assertEqual(tls.host_headers, {f"smp.tls.peppol.invalid:{tls.url.rsplit(':', 1)[1]}": 2})

        # The same address under a name the certificate does not carry.
        self.host("smp.other.peppol.invalid", "127.0.0.1")
        other_url = tls.url.replace("smp.tls.", "smp.other.")
        partner = self.checked(other_url, smp=tls)
        self.assertEqual(partner.peppol_status, "error")
        self.assertIn("failed the TLS check", partner.peppol_error)

        # Public CAs only: the stand-in's CA is not trusted.
        params.set_param("crm_clients_peppol.ca_bundle", False)
        partner = self.checked(tls.url, smp=tls)
        self.assertEqual(partner.peppol_status, "error")
        self.assertIn("failed the TLS check", partner.peppol_error)

        # No way back from https to plain http.
        params.set_param("crm_clients_peppol.ca_bundle", ca_file)
        tls.redirect = self.smp.url
        partner = self.checked(tls.url, smp=tls)
        self.assertEqual(partner.peppol_status, "error")
        self.assertIn("from https to http", partner.peppol_error)
        self.assertEqual(self.smp.calls["requests"], 0)
