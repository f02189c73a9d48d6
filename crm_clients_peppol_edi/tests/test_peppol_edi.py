from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestPeppolWithOdooEInvoicing(TransactionCase):
    """Odoo's e-invoicing (account_edi_ubl_cii) and crm_clients_peppol both compute
    peppol_eas / peppol_endpoint: core's rules run first, ours fill what they leave empty."""

    def client(self, country, **vals):
        return self.env["res.partner"].create(
            {"name": "EDI Client", "is_company": True, "country_id": self.env.ref(country).id, **vals}
        )

    def test_core_rules_first_then_ours_fill_what_they_leave_empty(self):
        # Core's rule for Norway reads l10n_no's field, absent here: the endpoint is ours.
        norway = self.client("base.no", company_registry="923609016")
        self.assertEqual((norway.peppol_eas, norway.peppol_endpoint), ("0192", "923609016"))
        # Core's scheme for Poland is the VAT number, which PEPPOL wants with its prefix.
        poland = self.client("base.pl", vat="5260251049")
        self.assertEqual((poland.peppol_eas, poland.peppol_endpoint), ("9945", "PL5260251049"))
        # Core has no rule for a GLN: ours gives scheme 0088.
        gln = self.client("base.us", barcode="5790000435968")
        self.assertEqual((gln.peppol_eas, gln.peppol_endpoint), ("0088", "5790000435968"))

    def test_a_scheme_chosen_by_the_user_is_kept(self):
        belgium = self.client("base.be", vat="BE0477472701", peppol_eas="9925", peppol_endpoint="BE0477472701")
        self.assertEqual((belgium.peppol_eas, belgium.peppol_endpoint), ("9925", "BE0477472701"))
