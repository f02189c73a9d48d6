"""One distribution per addon, built by `make dist` from its manifest the way OCA builds
them (whool): odoo-addon-<addon>, holding the whole addon in the odoo.addons namespace,
requiring Odoo 18, the crm_clients addons it depends on and only its own Python
libraries; a meta distribution requiring them all. tests/install/test_wheels.py installs
them into a fresh virtualenv and a database."""

import ast
import email.parser
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ADDONS = sorted(path.parent.name for path in ROOT.glob("crm_clients*/__manifest__.py"))
META = "odoo-addons-crm-clients"

# What each addon's own code imports beyond Odoo and its requirements, by distribution.
# crm_clients imports zeep only in tools/soap_registry.py, for crm_clients_gus and
# crm_clients_vies, which require it.
ZEEP_USERS = {"crm_clients_gus", "crm_clients_vies"}


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def manifest(addon):
    return ast.literal_eval((ROOT / addon / "__manifest__.py").read_text())


@pytest.fixture(scope="module")
def wheels(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(["bash", str(ROOT / "tools" / "dist.sh"), str(out)], check=True, capture_output=True)
    found = {}
    for path in out.glob("*.whl"):
        with zipfile.ZipFile(path) as wheel:
            [metadata_name] = [name for name in wheel.namelist() if name.endswith(".dist-info/METADATA")]
            metadata = email.parser.Parser().parsestr(wheel.read(metadata_name).decode())
            found[canonical(metadata["Name"])] = {
                "path": path,
                "metadata": metadata,
                "files": set(wheel.namelist()),
            }
    return found


def requires(wheels, name):
    return {
        canonical(re.split(r"[=<>!~ ;]", req, maxsplit=1)[0])
        for req in wheels[name]["metadata"].get_all("Requires-Dist") or []
    }


def closure(wheels, name):
    """The distributions installed with `name`: its requirements and theirs."""
    seen, todo = set(), [canonical(name)]
    while todo:
        current = todo.pop()
        for requirement in requires(wheels, current) if current in wheels else ():
            if requirement not in seen:
                seen.add(requirement)
                todo.append(requirement)
    return seen


def git_files(addon):
    """The files of the addon a commit would hold (tracked, and new files not ignored)."""
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "--", addon],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return {name for name in out if (ROOT / name).is_file() and not name.endswith("/pyproject.toml")}


def test_one_wheel_per_addon_named_and_versioned_from_its_manifest(wheels):
    expected = {canonical(f"odoo-addon-{addon}"): manifest(addon)["version"] for addon in ADDONS}
    assert {name: wheels[name]["metadata"]["Version"] for name in expected if name in wheels} == expected
    assert set(wheels) == set(expected) | {META}


@pytest.mark.parametrize("addon", ADDONS)
def test_the_wheel_holds_the_whole_addon_in_odoo_addons(wheels, addon):
    files = wheels[canonical(f"odoo-addon-{addon}")]["files"]
    missing = sorted(f"odoo/addons/{name}" for name in git_files(addon) if f"odoo/addons/{name}" not in files)
    assert not missing, f"left out of the wheel: {missing[:20]}"
    # Odoo's own namespace packages are never shipped, nor the build file.
    assert not {"odoo/__init__.py", "odoo/addons/__init__.py", f"odoo/addons/{addon}/pyproject.toml"} & files
    assert not [name for name in files if "__pycache__" in name]


@pytest.mark.parametrize("addon", ADDONS)
def test_requirements_are_odoo_the_addons_depended_on_and_the_manifest_libraries(wheels, addon):
    data = manifest(addon)
    ours = {canonical(f"odoo-addon-{dep}") for dep in data["depends"] if dep in ADDONS}
    libraries = {canonical(name) for name in data.get("external_dependencies", {}).get("python", [])}
    assert requires(wheels, canonical(f"odoo-addon-{addon}")) == {"odoo"} | ours | libraries


def test_each_addon_pulls_in_only_its_own_libraries(wheels):
    def libraries(addon):
        return {name for name in closure(wheels, f"odoo-addon-{addon}") if not name.startswith("odoo")}

    assert libraries("crm_clients") == {"phonenumbers", "python-stdnum", "requests"}
    for addon in ADDONS:
        has_zeep = "zeep" in libraries(addon)
        assert has_zeep == (addon in ZEEP_USERS), addon
        has_dns = "dnspython" in libraries(addon)
        assert has_dns == (addon.startswith("crm_clients_peppol")), addon
    # Every addon's version constraint on Odoo and on our addons is the 18.0 series.
    for addon in ADDONS:
        for requirement in wheels[canonical(f"odoo-addon-{addon}")]["metadata"].get_all("Requires-Dist"):
            if requirement.startswith("odoo"):
                assert requirement.endswith("==18.0.*"), requirement


def test_the_meta_distribution_requires_every_addon(wheels):
    assert requires(wheels, META) == {canonical(f"odoo-addon-{addon}") for addon in ADDONS}


STDLIB = set(sys.stdlib_module_names)
# Imported by our code and installed with Odoo itself (its requirements.txt).
WITH_ODOO = {"odoo", "psycopg2", "lxml", "werkzeug", "markupsafe", "dateutil", "pytz", "requests", "urllib3"}
# Top-level import name -> distribution, for the libraries the manifests declare.
DISTRIBUTION = {"stdnum": "python-stdnum", "dns": "dnspython", "zeep": "zeep", "phonenumbers": "phonenumbers"}
DISTRIBUTION |= {"certifi": "certifi", "requests": "requests", "urllib3": "urllib3"}


@pytest.mark.parametrize("addon", ADDONS)
def test_every_library_the_addon_imports_is_declared(addon):
    """What the addon's code (not its tests) imports is Python's, Odoo's, or declared in
    its manifest or the manifest of an addon it depends on."""
    declared, todo = set(), [addon]
    while todo:
        current = todo.pop()
        data = manifest(current)
        declared |= {canonical(name) for name in data.get("external_dependencies", {}).get("python", [])}
        todo += [dep for dep in data["depends"] if dep in ADDONS]
    undeclared = set()
    for path in (ROOT / addon).rglob("*.py"):
        if "tests" in path.relative_to(ROOT / addon).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top in STDLIB or (top in WITH_ODOO and top not in DISTRIBUTION):
                    continue
                distribution = DISTRIBUTION.get(top, top)
                if distribution not in declared and not (addon == "crm_clients" and top == "zeep"):
                    undeclared.add(f"{path.relative_to(ROOT)}: {name}")
    assert not undeclared, sorted(undeclared)


# The previous release of the addons (tools/test_upgrade.sh upgrades a database made with it).
PREVIOUS_RELEASE = "d6d76a9"
# Generated from the manifest and readme/ (tools/gen_readme.py): no change of the addon.
GENERATED = ("README.rst", "static/description/index.html", "pyproject.toml")


def version_tuple(version):
    return tuple(int(part) for part in version.split("."))


@pytest.mark.parametrize("addon", ADDONS)
def test_an_addon_changed_since_the_previous_release_has_a_higher_version(addon):
    """Odoo runs an addon's migrations/ and `-u` integrators see only on a new version."""

    def git(*args):
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)

    old = git("show", f"{PREVIOUS_RELEASE}:{addon}/__manifest__.py")
    if old.returncode:
        assert (
            git("cat-file", "-e", f"{PREVIOUS_RELEASE}^{{commit}}").returncode == 0
        ), f"{PREVIOUS_RELEASE} is not in this clone: fetch the history (git fetch --unshallow)"
        return  # a new addon: any version
    changed = git("diff", "--name-only", PREVIOUS_RELEASE, "--", addon).stdout.split()
    changed += git("ls-files", "--others", "--exclude-standard", "--", addon).stdout.split()
    changed = [name for name in changed if not name.endswith(GENERATED)]
    previous = ast.literal_eval(old.stdout)["version"]
    current = manifest(addon)["version"]
    if changed:
        assert version_tuple(current) > version_tuple(
            previous
        ), f"{addon} changed since {PREVIOUS_RELEASE} ({changed[:5]}...): bump its version {previous}"
    else:
        assert version_tuple(current) >= version_tuple(previous)


@pytest.mark.parametrize("addon", ADDONS)
def test_the_manifest_carries_what_the_apps_screen_and_oca_tooling_read(addon):
    data = manifest(addon)
    for key in ("name", "summary", "version", "category", "website", "author", "maintainers", "license"):
        assert data.get(key), f"{addon}: no {key} in the manifest"
    assert data["development_status"] in {"Alpha", "Beta", "Production/Stable", "Mature"}
    assert re.fullmatch(r"18\.0\.\d+\.\d+\.\d+", data["version"]), data["version"]
    assert data["website"].startswith("https://"), data["website"]
    assert data["license"] in {"LGPL-3", "AGPL-3", "GPL-3", "OPL-1", "Other proprietary"}
    for image in data.get("images", []):
        assert (ROOT / addon / image).is_file(), f"{addon}: manifest image {image} is missing"
    assert (ROOT / addon / "static" / "description" / "icon.png").is_file()
    assert set(data.get("external_dependencies", {})) <= {"python", "bin"}


def test_the_dev_requirements_keep_odoo_pins():
    """tools/requirements-dev.txt installs nothing that moves a library Odoo pins (polib
    1.1.1 was replaced by 1.2 through OCA's pre-commit hooks): the virtualenv of
    tools/bootstrap.sh has exactly Odoo's pinned versions, and no broken requirement."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version

    from packaging.requirements import Requirement

    odoo_requirements = Path(os.environ.get("ODOO_SRC", "/opt/odoo")) / "requirements.txt"
    moved = []
    for text in odoo_requirements.read_text().splitlines():
        line = text.split("#")[0].strip()
        if not line:
            continue
        requirement = Requirement(line)
        if requirement.marker and not requirement.marker.evaluate():
            continue
        pins = [spec.version for spec in requirement.specifier if spec.operator == "=="]
        try:
            installed = version(requirement.name)
        except PackageNotFoundError:
            continue
        if pins and installed != pins[0]:
            moved.append(f"{requirement.name} {installed} instead of {pins[0]}")
    assert not moved, moved
    check = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stdout
    dev = [line.split("#")[0].strip() for line in (ROOT / "tools" / "requirements-dev.txt").read_text().splitlines()]
    assert not [line for line in dev if "pre-commit" in line or "pre_commit" in line], dev
