from odoo.addons.crm_clients_peppol.tests import peppol_standin as standin
from odoo.addons.crm_clients_peppol.tests.test_peppol import PeppolCase
from odoo.tests import tagged


@tagged("post_install", "-at_install")
class TestPeppolWithOdooAccessPoint(PeppolCase):
    def test_core_state_follows_our_checks(self):
        registered = self.client(vat="5260251049", invoice_edi_format="ubl_bis3")
        unknown = self.client(vat="5252344078", invoice_edi_format="ubl_bis3")
        (registered | unknown).action_peppol_check()
        self.assertEqual(registered.peppol_verification_state, "valid")
        self.assertEqual(unknown.peppol_verification_state, "not_valid")
        self.assertIn("Peppol endpoint verification", registered.message_ids[0].body)

    def test_registered_without_the_billing_process_cannot_receive_this_format(self):
        participant = "9945:PL7251801126"
        self.smp.add(participant, [standin.ORDER])
        self.dns.register(participant, self.smp.url)
        partner = self.client(vat="7251801126")
        partner.action_peppol_check()
        self.assertEqual(partner.peppol_status, "registered")
        self.assertEqual(partner.peppol_verification_state, "not_valid_format")

    def test_an_error_leaves_core_state_alone(self):
        partner = self.client(vat="5260251049")
        partner.action_peppol_check()
        self.assertEqual(partner.peppol_verification_state, "valid")
        self.dns.drop = True
        partner.action_peppol_check()
        self.assertEqual(partner.peppol_status, "error")
        self.assertEqual(partner.peppol_verification_state, "valid")
