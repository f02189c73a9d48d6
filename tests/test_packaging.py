"""`pip install .` must install every addon, whole, into the odoo.addons namespace."""

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGED = {
    ".py",
    ".xml",
    ".csv",
    ".js",
    ".scss",
    ".css",
    ".png",
    ".svg",
    ".po",
    ".pot",
    ".md",
    ".rst",
    ".wsdl",
    ".xsd",
    ".json",
}


def addon_files():
    for manifest in sorted(ROOT.glob("crm_clients*/__manifest__.py")):
        addon = manifest.parent
        for path in addon.rglob("*"):
            if path.is_file() and path.suffix in PACKAGED and "__pycache__" not in path.parts:
                yield f"odoo/addons/{path.relative_to(ROOT)}"


def test_wheel_holds_every_addon_file(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        cwd=tmp_path,
    )
    [wheel] = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = set(addon_files())
    assert expected, "no addon found"
    missing = sorted(expected - names)
    assert not missing, f"setup.cfg leaves out: {missing[:20]}"
    assert "odoo/addons/crm_clients/__manifest__.py" in names
    # Odoo's own namespace packages must not be shipped (no odoo/__init__.py).
    assert "odoo/__init__.py" not in names and "odoo/addons/__init__.py" not in names
