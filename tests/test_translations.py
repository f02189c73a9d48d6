"""Every addon ships complete Polish and Spanish translations, in Odoo's own words.

- Each term of an addon's template (.pot) is translated and keeps the placeholders and HTML
  tags of the original. A translation equal to the English text is refused, unless the term
  reads the same in both languages (the reviewed list below, or core's own translation).
  msgfmt accepts every file.
- A term that Odoo core translates too, in the addons we depend on (directly or not), gets
  core's translation: one vocabulary per screen. (JavaScript terms are global in the web
  client: a different translation would even replace core's.)
- Records of core stay core's: the model names of the models we inherit, core's fields and
  selection values that an addon of ours redefines. Odoo's export puts them in our templates
  (every addon defining or inheriting one gets an external id on the same record), and
  loading a translation of ours would change what Odoo shows, or not, depending on the load
  order. Our catalogs leave them empty. A record that is ours until a core addon we do not
  depend on defines it too (crm_clients_peppol's ``peppol_eas`` / ``peppol_endpoint`` and
  ``account_edi_ubl_cii``) gets exactly core's translation, and only the terms we define.
- Odoo 18 has no plural forms (no ngettext behind ``_``, ``env._`` or ``_t``; its PO reader
  takes ``msgstr`` only): a count is never followed by a word that would have to agree with
  it ("2 wpisów"); translations say "Wpisy: %(count)s" or "... (%(count)s)".

New entries merged by tools/i18n.sh arrive empty: test_complete_translation lists them
until they are translated; those naming only core's records are expected to stay empty.
"""

import ast
import functools
import os
import pathlib
import re
import shutil
import subprocess

import polib
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
ODOO_SRC = pathlib.Path(os.environ.get("ODOO_SRC", "/opt/odoo"))
CORE_PATHS = (ODOO_SRC / "addons", ODOO_SRC / "odoo" / "addons")
ADDONS = sorted(path.parent.parent for path in ROOT.glob("crm_clients*/i18n/*.pot"))
OURS = frozenset(path.parent.name for path in ROOT.glob("crm_clients*/__manifest__.py"))
LANGS = ("pl", "es")
PLACEHOLDER = re.compile(r"%\([a-z_]+\)s|%s|\{\{.*?\}\}|<[a-zA-Z/][^>]*>")
# Records every addon defining or inheriting them shares (one record, an external id per addon).
SHARED = re.compile(r"model:(ir\.model(?:\.fields(?:\.selection)?)?),(\w+):(\w+)\.(\S+)$")
# A placeholder holding a number of things, and the word after it in a translation.
COUNT = re.compile(r"%\((?:count|\w+_count|done|changed|failed|sent|errors|registered)\)s(?= ?(\w+))")

# Reviewed: terms that read the same in English and in the language (and any address).
URL = re.compile(r"https?://\S+")
SAME_IN_BOTH = {
    "pl": {
        "Administrator",
        "GUS",
        "KRS",
        "Mailchimp",
        "PEPPOL",
        "PESEL",
        "REGON",
        "VIES",
        "VIP",
        "Webhook",
    },
    "es": {
        "GUS",
        "KRS",
        "Mailchimp",
        "PEPPOL",
        "PESEL",
        "REGON",
        "Roles",
        "VIES",
        "VIP",
        "Webhook",
    },
}
# Reviewed: where core's translation cannot be ours (another meaning of the same English
# word, or a mistake of core's catalog), with the reason.
NOT_CORE_WORDING = {
    "pl": {
        "Open": "core: 'Otwarta', the state of a thread; ours: the button that opens a document",
        "Run": "core: 'Uruchom', the verb; ours: a background merge run (Przebieg)",
        "Test": "core (base_import): the button testing an import; ours: the test environment / zone",
    },
    "es": {
        "Invoicing": "core (base): the app 'Facturación / Contabilidad'; ours: an address used for invoicing",
        "France SIRENE": "core (account_edi_ubl_cii): 'Francia - SIRET', the other French identifier",
        "Run": "core: 'Ejecutar', the verb; ours: a background merge run (Ejecución)",
        "Test": "core (base_import): 'Probar', the button testing an import; ours: the test environment / zone",
    },
}


def find_addon(name):
    for base in (ROOT, *CORE_PATHS):
        if (base / name / "__manifest__.py").exists():
            return base / name
    raise LookupError(f"addon {name!r} is neither ours nor in {ODOO_SRC}")


@functools.cache
def depends(name):
    manifest = ast.literal_eval((find_addon(name) / "__manifest__.py").read_text())
    return tuple(manifest.get("depends") or ([] if name == "base" else ["base"]))


@functools.cache
def closure(addon):
    """The addons ``addon`` depends on, directly or not (core's and ours)."""
    seen, todo = set(), list(depends(addon))
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(depends(name))
    return frozenset(seen)


@functools.cache
def template(addon):
    return polib.pofile(str(addon / "i18n" / f"{addon.name}.pot"))


@functools.cache
def catalog(addon, lang):
    return polib.pofile(str(addon / "i18n" / f"{lang}.po"))


@functools.cache
def translations(module, lang):
    """{msgid: msgstr} of the translated entries of an addon's catalog (core's or ours)."""
    path = next(
        (base / module / "i18n" / f"{lang}.po" for base in (ROOT, *CORE_PATHS) if (base / module).is_dir()), None
    )
    if not path or not path.exists():
        return {}
    return {e.msgid: e.msgstr for e in polib.pofile(str(path)) if e.msgstr and not e.fuzzy and not e.obsolete}


@functools.cache
def shared_records():
    """{(model, field, name): {addon: msgid}}: the shared records (model names, field labels
    and helps, selection labels) each addon's template names, core's and ours."""
    records = {}
    templates = [pot for base in CORE_PATHS for pot in sorted(base.glob("*/i18n/*.pot"))]
    for pot in [*templates, *(addon / "i18n" / f"{addon.name}.pot" for addon in ADDONS)]:
        module = pot.parent.parent.name
        if pot.stem != module:
            continue
        for entry in polib.pofile(str(pot)):
            for occurrence, _line in entry.occurrences:
                match = SHARED.match(occurrence)
                if match and match[3] == module:
                    records.setdefault((match[1], match[2], match[4]), {})[module] = entry.msgid
    return records


@functools.cache
def source_text(addon):
    """The addon's own code and data, where the terms it defines are written."""
    return "\n".join(
        path.read_text(encoding="utf-8", errors="replace")
        for pattern in ("**/*.py", "**/*.xml", "**/*.js", "**/*.csv")
        for path in addon.glob(pattern)
        if "tests" not in path.relative_to(addon).parts
    )


def other_owners(addon, entry):
    """[(occurrence, {other addon: msgid})] for the entry's occurrences naming a shared
    record that another addon defines too."""
    owners = []
    for occurrence, _line in entry.occurrences:
        match = SHARED.match(occurrence)
        found = match and shared_records().get((match[1], match[2], match[4]), {})
        if others := {module: msgid for module, msgid in (found or {}).items() if module != addon.name}:
            owners.append((occurrence, others))
    return owners


def kind(addon, entry):
    """What the entry is: "ours"; "theirs", a term of records that an addon we depend on
    defines (left to that addon: core's records, or crm_clients' in a bridge); or "shared",
    also naming records another addon defines (that addon's translation of them)."""
    owners = other_owners(addon, entry)
    if not owners:
        return "ours"
    if len(owners) < len(entry.occurrences):
        return "shared"
    if any(closure(addon.name) & found.keys() for _occurrence, found in owners):
        return "theirs"
    # Ours until a core addon we do not depend on defines the same record: we translate
    # what our code defines (the same text as core's), never a text only core's defines.
    return "shared" if entry.msgid in source_text(addon) else "theirs"


def expected_wordings(addon, entry, lang):
    """{translation: [where]} that the entry's translation must be one of: the other
    owners' translations of the records it names, else core's translations of its words."""
    wordings = {}
    for occurrence, found in other_owners(addon, entry):
        for module, msgid in found.items():
            if msgid == entry.msgid and (msgstr := translations(module, lang).get(msgid)):
                wordings.setdefault(msgstr, []).append(f"{module} ({occurrence})")
    if wordings:
        return wordings
    for module in sorted(closure(addon.name) - OURS):
        if msgstr := translations(module, lang).get(entry.msgid):
            wordings.setdefault(msgstr, []).append(module)
    return wordings


def reads_the_same(addon, entry, lang):
    return (
        entry.msgid in SAME_IN_BOTH[lang]
        or URL.fullmatch(entry.msgid)
        or entry.msgid in expected_wordings(addon, entry, lang)
    )


def test_every_addon_has_a_template():
    addons = sorted(path for path in ROOT.glob("crm_clients*") if (path / "__manifest__.py").exists())
    assert addons == ADDONS


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("addon", ADDONS, ids=lambda path: path.name)
def test_complete_translation(addon, lang):
    translated = {entry.msgid: entry.msgstr for entry in catalog(addon, lang) if not entry.obsolete}
    problems = []
    for entry in template(addon):
        if kind(addon, entry) == "theirs":
            continue  # test_records_left_to_their_addon
        msgstr = translated.get(entry.msgid, "")
        if not msgstr:
            problems.append(f"untranslated: {entry.msgid!r}")
        elif msgstr == entry.msgid and not reads_the_same(addon, entry, lang):
            problems.append(f"copies its msgid: {entry.msgid!r}")
        elif sorted(PLACEHOLDER.findall(msgstr)) != sorted(PLACEHOLDER.findall(entry.msgid)):
            problems.append(f"placeholders differ: {entry.msgid!r} -> {msgstr!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("addon", ADDONS, ids=lambda path: path.name)
def test_records_left_to_their_addon(addon, lang):
    """A term naming only records of an addon we depend on (an inherited model's name, a core
    field we redefine...) is left to it: its translation stays, whatever the load order."""
    in_template = {entry.msgid: entry for entry in template(addon)}
    problems = [
        f"translates the records {[occurrence for occurrence, _line in entry.occurrences]}: {entry.msgid!r} -> {entry.msgstr!r}"
        for entry in catalog(addon, lang)
        if entry.msgstr and not entry.obsolete and kind(addon, in_template.get(entry.msgid, entry)) == "theirs"
    ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("addon", ADDONS, ids=lambda path: path.name)
def test_same_wording_as_core(addon, lang):
    """A term core translates too keeps core's translation (a record of core: that record's)."""
    problems = []
    for entry in catalog(addon, lang):
        if not entry.msgstr or entry.obsolete or entry.msgid in NOT_CORE_WORDING[lang]:
            continue
        wordings = expected_wordings(addon, entry, lang)
        if wordings and entry.msgstr not in wordings:
            problems.append(f"{entry.msgid!r}: ours {entry.msgstr!r}, core {wordings}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lang", LANGS)
def test_same_in_both_is_still_needed(lang):
    """Each reviewed term reads the same in a catalog of ours, and core does not say so already."""
    used = {
        entry.msgid
        for addon in ADDONS
        for entry in catalog(addon, lang)
        if entry.msgid in SAME_IN_BOTH[lang]
        and entry.msgstr == entry.msgid
        and entry.msgid not in expected_wordings(addon, entry, lang)
    }
    assert used == SAME_IN_BOTH[lang]


@pytest.mark.parametrize("lang", LANGS)
def test_exceptions_are_still_needed(lang):
    """Each reviewed exception still names a term of ours that core translates otherwise."""
    needed = {
        entry.msgid
        for addon in ADDONS
        for entry in catalog(addon, lang)
        if entry.msgid in NOT_CORE_WORDING[lang]
        and entry.msgstr
        and (wordings := expected_wordings(addon, entry, lang))
        and entry.msgstr not in wordings
    }
    assert needed == set(NOT_CORE_WORDING[lang])


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("addon", ADDONS, ids=lambda path: path.name)
def test_counts_need_no_plural_form(addon, lang):
    """Odoo has no plural forms: a translation never puts a word after a count."""
    problems = [
        f"{entry.msgid!r} -> {entry.msgstr!r}"
        for entry in catalog(addon, lang)
        if not entry.obsolete and COUNT.search(entry.msgstr)
    ]
    assert not problems, "\n".join(problems)


def test_count_rule_catches_a_declined_count():
    """The rule of test_counts_need_no_plural_form, on the wording the review found."""
    assert COUNT.search("%(count)s wpisów")[1] == "wpisów"
    assert COUNT.search("%(count)s clientes actualizados")[1] == "clientes"
    for fine in (
        "Wpisy: %(count)s",
        "Klienci (%(count)s) zostaną połączeni",
        "nie %(count)s.",
        "%(count)s, zmienionych",
    ):
        assert not COUNT.search(fine), fine


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("addon", ADDONS, ids=lambda path: path.name)
def test_msgfmt_accepts(addon, lang):
    assert shutil.which("msgfmt"), "msgfmt (Debian's gettext, installed by tools/bootstrap.sh) is missing"
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(addon / "i18n" / f"{lang}.po")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "fuzzy" not in result.stderr, result.stderr


@pytest.mark.parametrize(
    "path",
    sorted(p for p in ROOT.glob("crm_clients*/**/*.py") if "/tests/" not in p.as_posix()),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_odoo_can_extract_the_terms_of_every_file(path):
    """Odoo's export reads each file with babel, as here; one call it cannot read (an
    f-string among the arguments of ``_``: babel evaluates it) loses every term of the
    whole file from the template, silently."""
    from babel.messages import extract

    with path.open("rb") as source:
        terms = list(extract.extract("python", source, keywords={"_": None, "_lt": None}))
    assert all(isinstance(term[1], (str, tuple)) for term in terms)
