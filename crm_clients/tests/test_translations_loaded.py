import importlib.util
from pathlib import Path

from odoo.exceptions import UserError, ValidationError
from odoo.tests import TransactionCase, tagged

LANGS = ["pl_PL", "es_ES"]
SHARED_RECORDS = {
    "ir.model": ("ir_model", ["name"]),
    "ir.model.fields": ("ir_model_fields", ["field_description", "help"]),
    "ir.model.fields.selection": ("ir_model_fields_selection", ["name"]),
}


def post_migrate_18_0_1_1_0():
    """crm_clients/migrations/18.0.1.1.0/post-migrate.py, as Odoo runs it."""
    path = Path(__file__).resolve().parents[1] / "migrations" / "18.0.1.1.0" / "post-migrate.py"
    spec = importlib.util.spec_from_file_location("crm_clients_post_migrate_18_0_1_1_0", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@tagged("post_install", "-at_install")
class TestTranslationsLoaded(TransactionCase):
    """The shipped pl.po / es.po load into Odoo and reach the user: a model name, the tabs of
    the client form and a server message; and they leave core's records alone."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for lang in LANGS:
            cls.env["res.lang"]._activate_lang(lang)
        cls.env["ir.module.module"].search([("name", "=", "crm_clients")])._update_translations(LANGS)

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

    def test_channel_messages_are_whole_sentences(self):
        """Each kind of line words its own messages ("Linie E-mail" came from a kind glued
        into a shared sentence)."""
        client = self.env["res.partner"].create({"name": "Kanały SA", "is_company": True})
        emails = self.env["crm.client.email"].create(
            [{"partner_id": client.id, "email": f"{name}@kanaly.pl"} for name in ("biuro", "faktury")]
        )
        phones = self.env["crm.client.phone"].create(
            [{"partner_id": client.id, "number": number} for number in ("+48221000100", "+48221000200")]
        )
        for lang, email_message, phone_message in (
            (
                "pl_PL",
                "Tylko jeden adres e-mail kontaktu może być główny.",
                "Tylko jeden numer telefonu kontaktu może być główny.",
            ),
            (
                "es_ES",
                "Solo una dirección de correo electrónico por contacto puede ser la principal.",
                "Solo un número de teléfono por contacto puede ser el principal.",
            ),
        ):
            with self.assertRaises(ValidationError) as caught:
                emails.with_context(lang=lang).write({"is_primary": True})
            self.assertEqual(caught.exception.args[0], email_message)
            with self.assertRaises(ValidationError) as caught:
                phones.with_context(lang=lang).write({"is_primary": True})
            self.assertEqual(caught.exception.args[0], phone_message)
        emails[0].with_context(lang="pl_PL").write({"locked": True})
        with self.assertRaises(UserError) as caught:
            emails[0].with_context(lang="pl_PL").write({"email": "nowy@kanaly.pl"})
        self.assertEqual(
            caught.exception.args[0],
            "Adres e-mail biuro@kanaly.pl kontaktu Kanały SA jest zablokowany: nie można go zmienić "
            "ani usunąć. Najpierw poproś menedżera blokad o jego odblokowanie.",
        )
        with self.assertRaises(ValidationError) as caught:
            self.env["crm.client.email"].with_context(lang="es_ES").create(
                {"partner_id": client.id, "email": "faktury@kanaly.pl"}
            )
        self.assertEqual(
            caught.exception.args[0], "faktury@kanaly.pl ya es uno de los correos electrónicos de Kanały SA."
        )

    def test_business_partner_relation_type(self):
        """The relation type is not the field label "Partner" ("Kontrahent" / "Contacto")."""
        partner_type = self.env.ref("crm_clients.relation_type_partner")
        field = self.env["ir.model.fields"]._get("crm.client.relation", "left_partner_id")
        for lang, name, label in (
            ("pl_PL", "Partner biznesowy", "Kontrahent"),
            ("es_ES", "Socio comercial", "Contacto"),
        ):
            self.assertEqual(partner_type.with_context(lang=lang).name, name)
            self.assertEqual(partner_type.with_context(lang=lang).name_inverse, name)
            self.assertEqual(field.with_context(lang=lang).field_description, label)

    def test_migration_renames_the_partner_relation_type(self):
        """A database from before 18.0.1.1.0 (the noupdate record still "Partner") gets
        "Business Partner" and its translations; what its users renamed or translated stays."""
        migration = post_migrate_18_0_1_1_0()
        partner_type = self.env.ref("crm_clients.relation_type_partner")
        modules = self.env["ir.module.module"].search([("name", "=", "crm_clients")])

        def set_names(names):
            self.env.flush_all()
            self.env.cr.execute(
                "UPDATE crm_client_relation_type SET name = %s, name_inverse = %s WHERE id = %s",
                [names, names, partner_type.id],
            )
            self.env.invalidate_all()

        set_names('{"en_US": "Partner", "pl_PL": "Kontrahent", "es_ES": "Contacto", "fr_FR": "Associé"}')
        migration.rename_partner_relation_type(self.env.cr)
        modules._update_translations(LANGS)  # what Odoo does right after the post-migrate scripts
        for lang, name in (("en_US", "Business Partner"), ("pl_PL", "Partner biznesowy"), ("es_ES", "Socio comercial")):
            self.assertEqual(partner_type.with_context(lang=lang).name, name)
            self.assertEqual(partner_type.with_context(lang=lang).name_inverse, name)
        self.env.cr.execute("SELECT name->>'fr_FR' FROM crm_client_relation_type WHERE id = %s", [partner_type.id])
        self.assertEqual(self.env.cr.fetchone()[0], "Associé")  # its users' own translation

        # Renamed by its users: theirs.
        set_names('{"en_US": "Associate", "pl_PL": "Kontrahent"}')
        migration.rename_partner_relation_type(self.env.cr)
        modules._update_translations(LANGS)
        self.assertEqual(partner_type.name, "Associate")
        self.assertEqual(partner_type.with_context(lang="pl_PL").name, "Kontrahent")

    def test_our_catalogs_leave_core_records_alone(self):
        """Our addons inherit core's models and fields, so Odoo's export names core's records
        (model names, field labels, selection values) in our catalogs. Loading our catalogs,
        even overwriting, changes none of core's translations of them."""
        cr = self.env.cr
        cr.execute(
            r"""SELECT DISTINCT core.module
                  FROM ir_model_data ours
                  JOIN ir_model_data core ON core.model = ours.model AND core.res_id = ours.res_id
                 WHERE ours.module LIKE 'crm\_clients%%' AND core.module NOT LIKE 'crm\_clients%%'
                   AND ours.model IN %s""",
            [tuple(SHARED_RECORDS)],
        )
        core_modules = [module for (module,) in cr.fetchall()]
        self.assertIn("base", core_modules)
        Module = self.env["ir.module.module"]
        installed = Module.search([("state", "=", "installed")])
        Module._load_module_terms(installed.filtered(lambda m: m.name in core_modules).mapped("name"), LANGS, True)
        before = self._core_translations()
        self.assertTrue(any("pl_PL" in values for values in before.values()))

        ours = installed.filtered(lambda module: module.name.startswith("crm_clients"))
        Module._load_module_terms(ours.mapped("name"), LANGS, overwrite=True)

        after = self._core_translations()
        changed = {
            (key, lang): (value, after[key].get(lang))
            for key, values in before.items()
            for lang, value in values.items()
            if after[key].get(lang) != value
        }
        # Reviewed in tests/test_translations.py (NOT_CORE_WORDING): core's es.po calls the
        # EAS code 0002 "Francia - SIRET", the name of 0009 (its es_419.po says SIRENE).
        sirene = self.env["ir.model.fields.selection"].search(
            [("field_id.model", "=", "res.partner"), ("field_id.name", "=", "peppol_eas"), ("value", "=", "0002")]
        )
        changed.pop((("ir_model_fields_selection", sirene.id, "name"), "es_ES"), None)
        self.assertEqual(changed, {})

    def _core_translations(self):
        """{(table, id, column): {lang: value}} of the shared records core defines, in the
        languages core translates them to."""
        cr = self.env.cr
        self.env.flush_all()
        translations = {}
        for model, (table, columns) in SHARED_RECORDS.items():
            for column in columns:
                cr.execute(
                    rf"""SELECT t.id, t.{column}
                           FROM {table} t
                          WHERE t.{column} IS NOT NULL
                            AND EXISTS (SELECT 1 FROM ir_model_data d
                                         WHERE d.model = %s AND d.res_id = t.id AND d.module LIKE 'crm\_clients%%')
                            AND EXISTS (SELECT 1 FROM ir_model_data d
                                         WHERE d.model = %s AND d.res_id = t.id AND d.module NOT LIKE 'crm\_clients%%')""",
                    [model, model],
                )
                for record_id, values in cr.fetchall():
                    translations[table, record_id, column] = {lang: values[lang] for lang in LANGS if lang in values}
        return translations
