"""The addons installed the way integrators install OCA addons (a stage of `make test`).

`make dist` builds one wheel per addon (tools/dist.sh); pip installs them into a fresh
virtualenv next to Odoo; a database is installed from them with an addons path holding
only Odoo's own addons (Odoo finds ours in the `odoo.addons` namespace of the
virtualenv), and Odoo's own test runner runs one test of each addon there.

Odoo is not a wheel on this machine but a source tree ($ODOO_SRC): the virtualenv gets a
distribution `odoo` made here that holds only a .pth to that tree, so that pip sees the
`odoo==18.0.*` every addon requires. The libraries of Odoo's requirements come from the
project's virtualenv (a .pth to its site-packages, as they would be installed next to
Odoo); which addon needs which library is checked on the wheels' metadata in
tests/test_packaging.py.

Run by tools/test.sh without pytest-odoo (`-p no:odoo`); the database is
$CRM_WHEELS_DB (default: $CRM_TEST_DB + "_wheels").
"""

import base64
import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ODOO_SRC = Path(os.environ.get("ODOO_SRC", "/opt/odoo"))
DATABASE = os.environ.get("CRM_WHEELS_DB") or os.environ.get("CRM_TEST_DB", "crm_clients_test") + "_wheels"
ADDONS = sorted(path.parent.name for path in ROOT.glob("crm_clients*/__manifest__.py"))

# One test per addon, run by Odoo's runner in the database installed from the wheels.
ONE_TEST = {
    "crm_clients": "TestPolishIds.test_valid_ids_are_normalized_to_digits",
    "crm_clients_account": "TestClientTypeFromInvoices.test_first_invoice_makes_a_buyer_first_bill_a_supplier",
    "crm_clients_brreg": "TestBrreg.test_update_name_addresses_form_industry_website",
    "crm_clients_gus": "TestGusSearch.test_search_by_nip_maps_a_legal_person",
    "crm_clients_mailchimp": "TestMailchimpPush.test_push_members_merge_fields_and_tags",
    "crm_clients_mf_whitelist": "TestWhitelist.test_status_accounts_and_company_data",
    "crm_clients_mf_whitelist_account": "TestWhitelistPaymentWarning.test_bill_warns_until_checked_and_for_accounts_off_the_list",
    "crm_clients_peppol": "TestPeppolCheck.test_registered_with_documents_and_invoice_capability",
    "crm_clients_peppol_account": "TestPeppolWithOdooAccessPoint.test_core_state_follows_our_checks",
    "crm_clients_peppol_edi": "TestPeppolWithOdooEInvoicing.test_core_rules_first_then_ours_fill_what_they_leave_empty",
    "crm_clients_portal": "TestClientPortal.test_documents_page_lists_only_shared_documents_of_the_own_client",
    "crm_clients_prh": "TestPrh.test_update_from_the_vat_number",
    "crm_clients_product": "TestGroupPricelist.test_own_else_group_else_odoo_chain",
    "crm_clients_sale": "TestSaleBillingEntity.test_new_quotation_proposes_the_default_entity",
    "crm_clients_vies": "TestVies.test_valid_with_name_address_and_consultation_number",
}


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def odoo_version():
    namespace = {}
    exec((ODOO_SRC / "odoo" / "release.py").read_text(), namespace)  # Odoo's own release file
    return namespace["series"]


def write_odoo_source_wheel(directory):
    """A wheel of the distribution `odoo` holding only a .pth to Odoo's source tree."""
    version = odoo_version()
    dist_info = f"odoo-{version}.dist-info"
    files = {
        "odoo_source_tree.pth": f"{ODOO_SRC}\n",
        f"{dist_info}/METADATA": f"Metadata-Version: 2.1\nName: odoo\nVersion: {version}\n"
        f"Summary: Odoo's source tree at {ODOO_SRC}, importable through a .pth\n",
        f"{dist_info}/WHEEL": "Wheel-Version: 1.0\nGenerator: crm_clients tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for name, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(text.encode())}")
    record.append(f"{dist_info}/RECORD,,")
    files[f"{dist_info}/RECORD"] = "\n".join(record) + "\n"
    path = directory / f"odoo-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as wheel:
        for name, text in files.items():
            wheel.writestr(name, text)
    return path


class Venv:
    def __init__(self, path, find_links):
        self.path = path
        self.python = path / "bin" / "python"
        self.find_links = find_links
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
        self.site = Path(self.run_python("import sysconfig; print(sysconfig.get_paths()['purelib'])").strip())
        # The libraries of Odoo's requirements, installed next to Odoo (the project's virtualenv).
        libraries = sysconfig.get_paths()["purelib"]
        (self.site / "odoo_requirements.pth").write_text(f"{libraries}\n")

    def run_python(self, code):
        return subprocess.run(
            [str(self.python), "-c", code], check=True, capture_output=True, text=True, cwd=self.path
        ).stdout

    def pip_install(self, *requirements):
        command = [sys.executable, "-m", "pip", "--python", str(self.python), "install", "--no-index"]
        for link in self.find_links:
            command += ["--find-links", str(link)]
        result = subprocess.run([*command, *requirements], capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def distributions(self):
        """Names of the distributions installed in the virtualenv itself."""
        code = (
            "import importlib.metadata as m, json, sys; "
            f"print(json.dumps([d.metadata['Name'] for d in m.distributions(path=[{str(self.site)!r}])]))"
        )
        return {canonical(name) for name in json.loads(self.run_python(code))}


@pytest.fixture(scope="module")
def wheels(tmp_path_factory):
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(["bash", str(ROOT / "tools" / "dist.sh"), str(dist)], check=True, capture_output=True)
    odoo = tmp_path_factory.mktemp("odoo")
    write_odoo_source_wheel(odoo)
    return [dist, odoo]


@pytest.fixture(scope="module")
def venv(tmp_path_factory, wheels):
    return Venv(tmp_path_factory.mktemp("venv") / "venv", wheels)


def test_make_dist_builds_one_wheel_per_addon_and_the_meta_distribution(wheels):
    names = {canonical(path.name.split("-")[0]) for path in wheels[0].glob("*.whl")}
    assert names == {canonical(f"odoo-addon-{addon}") for addon in ADDONS} | {"odoo-addons-crm-clients"}


def test_an_addon_brings_the_addons_it_depends_on_and_no_other(venv):
    venv.pip_install("odoo-addon-crm_clients_gus")
    assert venv.distributions() == {"odoo", "odoo-addon-crm-clients", "odoo-addon-crm-clients-gus"}
    # Odoo comes from its source tree, our addon from the wheel (not from this checkout).
    origins = venv.run_python(
        "import importlib.util as u; "
        "print(u.find_spec('odoo').origin); print(u.find_spec('odoo.addons.crm_clients_gus').origin)"
    ).split()
    assert origins == [
        str(ODOO_SRC / "odoo" / "__init__.py"),
        str(venv.site / "odoo/addons/crm_clients_gus/__init__.py"),
    ]


def test_the_meta_distribution_installs_every_addon(venv):
    venv.pip_install("odoo-addons-crm-clients")
    expected = {canonical(f"odoo-addon-{addon}") for addon in ADDONS}
    assert expected <= venv.distributions()
    assert not (venv.site / "odoo" / "__init__.py").exists(), "a wheel shipped Odoo's own package"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_database_installed_from_the_wheels_passes_one_test_per_addon(venv, tmp_path):
    venv.pip_install("odoo-addons-crm-clients")
    assert set(ONE_TEST) == set(ADDONS), "one test per addon: add the new addon's test to ONE_TEST"
    config = tmp_path / "odoo.conf"
    config.write_text(
        "[options]\n"
        f"addons_path = {ODOO_SRC / 'addons'}\n"
        f"data_dir = {tmp_path / 'data'}\n"
        f"db_host = {os.environ.get('PGHOST', '')}\n"
        f"db_port = {os.environ.get('PGPORT', '')}\n"
        f"db_user = {os.environ.get('PGUSER', '')}\n"
        "db_password = False\n"
        "http_interface = 127.0.0.1\n"
    )
    subprocess.run(["dropdb", "--if-exists", "--force", DATABASE], check=True)
    tags = ",".join(f"/{addon}:{test}" for addon, test in sorted(ONE_TEST.items()))
    log = tmp_path / "odoo.log"
    command = [str(venv.python), "-m", "odoo", "-c", str(config), "-d", DATABASE, "-i", ",".join(ADDONS)]
    command += ["--without-demo=all", "--test-tags", tags, "--stop-after-init", "--log-level=info"]
    command += [f"--http-port={free_port()}", f"--logfile={log}"]
    # Not from this checkout: a folder of its own, and no PYTHONPATH leading back here.
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    subprocess.run(command, cwd=tmp_path, env=env, timeout=1200, check=False)
    text = log.read_text(errors="replace")
    report = ROOT / ".local" / "logs" / "wheels-odoo.log"
    if report.parent.is_dir():
        report.write_text(text)
    paths = re.search(r"addons paths: \[(.*)\]", text)
    assert paths, text[-3000:]
    assert str(ROOT) not in paths.group(1) and str(venv.site / "odoo" / "addons") in paths.group(1)
    problems = re.findall(r"^.* (?:ERROR|CRITICAL) .*$", text, flags=re.MULTILINE)
    assert not problems, "\n".join(problems[:20])
    for addon, test in ONE_TEST.items():
        assert re.search(
            rf"odoo\.addons\.{addon}\.tests\.\S+: Starting {re.escape(test)} \.\.\.", text
        ), f"{addon}: {test} did not run"
    assert f"0 failed, 0 error(s) of {len(ONE_TEST)} tests" in text, text[-3000:]
