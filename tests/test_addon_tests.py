"""Our addons' tests run with Odoo's own runner (tools/test.sh: `odoo-bin --test-tags
/<addon>,... --stop-after-init` on installed databases), which runs only what it finds:
the modules that the addon's tests/__init__.py imports, and, without `-i`/`-u`, only the
post_install tests. A test module left out of __init__.py, or a class left at_install,
would never run and nothing would say so: these checks say so."""

import ast
import importlib
import inspect
import unittest
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEST_DIRS = sorted(path.parent / "tests" for path in ROOT.glob("crm_clients*/__manifest__.py"))
TEST_FILES = sorted(path for folder in TEST_DIRS for path in folder.glob("test_*.py"))


def test_every_addon_has_tests():
    missing = [folder.parent.name for folder in TEST_DIRS if not any(folder.glob("test_*.py"))]
    assert not missing, f"addons without a test module: {missing}"


@pytest.mark.parametrize("path", TEST_FILES, ids=lambda path: f"{path.parent.parent.name}/{path.stem}")
def test_imported_by_the_tests_package(path):
    package = ast.parse((path.parent / "__init__.py").read_text())
    imported = {
        alias.name
        for node in package.body
        if isinstance(node, ast.ImportFrom) and node.level == 1 and not node.module
        for alias in node.names
    }
    assert path.stem in imported, f"add `from . import {path.stem}` to {path.parent}/__init__.py"


@pytest.mark.parametrize("path", TEST_FILES, ids=lambda path: f"{path.parent.parent.name}/{path.stem}")
def test_classes_are_post_install(path):
    module = importlib.import_module(f"odoo.addons.{path.parent.parent.name}.tests.{path.stem}")
    classes = [
        cls
        for _name, cls in inspect.getmembers(module, inspect.isclass)
        if cls.__module__ == module.__name__
        and issubclass(cls, unittest.TestCase)
        and unittest.defaultTestLoader.getTestCaseNames(cls)
    ]
    assert classes, f"{path} holds no test class"
    for cls in classes:
        assert "post_install" in cls.test_tags and "at_install" not in cls.test_tags, (
            f'{cls.__qualname__}: tag it @tagged("post_install", "-at_install"), the runner '
            "of tools/test.sh does not install the addons again"
        )
