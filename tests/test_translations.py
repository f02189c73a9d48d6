"""Every addon ships complete Polish and Spanish translations: each term of its template
(.pot) is translated, the translation differs from the English text, and keeps the
placeholders and HTML tags of the original. msgfmt must accept every file."""

import pathlib
import re
import shutil
import subprocess

import polib
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
ADDONS = sorted(path.parent.parent for path in ROOT.glob("crm_clients*/i18n/*.pot"))
LANGS = ("pl", "es")
PLACEHOLDER = re.compile(r"%\([a-z_]+\)s|%s|\{\{.*?\}\}|<[a-zA-Z/][^>]*>")


def test_every_addon_has_a_template():
    addons = sorted(path for path in ROOT.glob("crm_clients*") if (path / "__manifest__.py").exists())
    assert addons == ADDONS


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("addon", ADDONS, ids=lambda path: path.name)
def test_complete_translation(addon, lang):
    template = polib.pofile(str(addon / "i18n" / f"{addon.name}.pot"))
    catalog = polib.pofile(str(addon / "i18n" / f"{lang}.po"))
    translated = {entry.msgid: entry.msgstr for entry in catalog}
    problems = []
    for entry in template:
        msgstr = translated.get(entry.msgid, "")
        if not msgstr:
            problems.append(f"untranslated: {entry.msgid!r}")
        elif msgstr == entry.msgid:
            problems.append(f"copies its msgid: {entry.msgid!r}")
        elif sorted(PLACEHOLDER.findall(msgstr)) != sorted(PLACEHOLDER.findall(entry.msgid)):
            problems.append(f"placeholders differ: {entry.msgid!r} -> {msgstr!r}")
    assert not problems, "\n".join(problems)


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
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr
