"""Each addon's README.rst and static/description/index.html (what Odoo's Apps screen
shows) are generated from its readme/ fragments and manifest by tools/gen_readme.py, in
OCA's layout: regenerated here in a temporary folder, they must be the files in the
repository. After changing a fragment or the manifest's name, summary, authors,
maintainers, license or development status, run `python tools/gen_readme.py`."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ADDONS = sorted(path.parent for path in ROOT.glob("crm_clients*/__manifest__.py"))
FRAGMENTS = ("DESCRIPTION", "INSTALL", "CONFIGURE", "USAGE", "ROADMAP", "CONTRIBUTORS")


def generate(addons_dir, *args):
    return subprocess.run(
        [sys.executable, str(ROOT / "tools" / "gen_readme.py"), f"--addons-dir={addons_dir}", *args],
        check=False,
        capture_output=True,
        text=True,
    )


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    """Every addon's fragments and manifest alone, generated in a temporary folder."""
    work = tmp_path_factory.mktemp("readme")
    for addon in ADDONS:
        shutil.copytree(addon / "readme", work / addon.name / "readme")
        shutil.copy(addon / "__manifest__.py", work / addon.name)
    result = generate(work)
    assert result.returncode == 0, result.stderr
    return work


@pytest.mark.parametrize("addon", ADDONS, ids=lambda path: path.name)
def test_readme_and_apps_description_are_generated_from_the_fragments(addon, regenerated):
    for generated in ("README.rst", "static/description/index.html"):
        assert (addon / generated).exists(), f"{addon.name}/{generated} is missing: run tools/gen_readme.py"
        expected = (regenerated / addon.name / generated).read_text()
        assert (
            (addon / generated).read_text() == expected
        ), f"{addon.name}/{generated} is not what its readme/ fragments give: run tools/gen_readme.py"


@pytest.mark.parametrize("addon", ADDONS, ids=lambda path: path.name)
def test_every_addon_has_its_fragments(addon):
    """The manifest's own keys are checked by tests/test_packaging.py."""
    missing = [name for name in ("DESCRIPTION", "CONTRIBUTORS") if not (addon / "readme" / f"{name}.md").is_file()]
    assert not missing, f"{addon.name}: readme/{missing} missing"
    for name in FRAGMENTS:
        fragment = addon / "readme" / f"{name}.md"
        if fragment.exists():
            assert fragment.read_text().strip(), f"{addon.name}: readme/{name}.md is empty"


def test_the_generator_lays_the_readme_out_as_oca_and_reports_changes(tmp_path):
    """reStructuredText fragments are taken as they are; the sections follow OCA's
    order; an image of a fragment is served by Odoo from the addon; with
    --exit-non-zero-on-changes (the pre-commit hook) a stale file fails the commit."""
    addon = tmp_path / "crm_clients_example"
    (addon / "readme").mkdir(parents=True)
    (addon / "__manifest__.py").write_text(
        repr({"name": "Example", "summary": "An example", "author": "Us, Them", "maintainers": ["someone"]})
    )
    (addon / "readme" / "DESCRIPTION.rst").write_text("What it does.\n\n.. image:: ../static/description/shot.png\n")
    (addon / "readme" / "USAGE.rst").write_text("How to use it.\n")
    (addon / "readme" / "INSTALL.rst").write_text("How to install it.\n")
    (addon / "readme" / "CONTRIBUTORS.rst").write_text("- Someone <someone@example.com>\n")
    assert generate(tmp_path, "--exit-non-zero-on-changes").returncode == 1
    text = (addon / "README.rst").read_text()
    titles = [
        line
        for line, under in zip(text.splitlines(), text.splitlines()[1:], strict=False)
        if set(under) in ({"="}, {"-"})
    ]
    assert [title for title in titles if title.strip("=")] == [
        "Example", "Installation", "Usage", "Bug Tracker", "Credits", "Authors", "Contributors", "Maintainers",
    ]  # fmt: skip
    assert ".. image:: static/description/shot.png" in text and "- Them" in text and "|maintainer-someone|" in text
    html = (addon / "static" / "description" / "index.html").read_text()
    assert '<img alt="static/description/shot.png" src="/crm_clients_example/static/description/shot.png" />' in html
    assert "How to install it." in html and "<?xml" not in html
    # In step: nothing written, the hook passes.
    assert generate(tmp_path, "--exit-non-zero-on-changes").returncode == 0
    (addon / "readme" / "USAGE.rst").write_text("How to use it, better.\n")
    result = generate(tmp_path, "--exit-non-zero-on-changes")
    assert result.returncode == 1 and "README.rst" in result.stdout
    assert "How to use it, better." in (addon / "README.rst").read_text()
    # A fragment docutils cannot read is an error, not a broken Apps page.
    (addon / "readme" / "USAGE.rst").write_text("Title\n==\n\n`unclosed\n")
    assert generate(tmp_path).returncode != 0
