from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestTranslationsLoaded(TransactionCase):
    """The shipped pl.po / es.po load into Odoo and reach the user: a model name, the tabs of
    the client form and a server message."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for lang in ("pl_PL", "es_ES"):
            cls.env["res.lang"]._activate_lang(lang)
        cls.env["ir.module.module"].search([("name", "=", "crm_clients")])._update_translations(["pl_PL", "es_ES"])

    def test_model_form_and_messages(self):
        view = self.env.ref("crm_clients.view_partner_form_crm_client")
        for lang, model_name, tabs, message in (
            ("pl_PL", "Wpis osi czasu klienta", ("Szczegóły", "Oś czasu", "Ustawienia"), "Wybierz szablon."),
            (
                "es_ES",
                "Entrada de la línea de tiempo del cliente",
                ("Detalles", "Línea de tiempo", "Ajustes"),
                "Elija una plantilla.",
            ),
        ):
            env = self.env(context={"lang": lang})
            self.assertEqual(env["ir.model"]._get("crm.client.timeline").name, model_name)
            arch = env["res.partner"].get_views([(view.id, "form")])["views"]["form"]["arch"]
            for tab in tabs:
                self.assertIn(f'string="{tab}"', arch, lang)
            self.assertEqual(env._("Choose a template."), message)
