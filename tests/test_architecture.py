"""The shape rules of ARCHITECTURE.md and STYLE.md, checked on every run."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.url_map import all_url_patterns

ROOT = Path(__file__).resolve().parent.parent / "ketaclinic"
TESTS = Path(__file__).resolve().parent


def python_files(*parts: str) -> list[Path]:
    return sorted(path for path in ROOT.rglob("*.py") if any(part in path.parts or path.name == part for part in parts))


def test_core_imports_nothing_from_django():
    """ketaclinic/core is pure Python: no module there imports Django."""
    offenders = []
    for path in (ROOT / "core").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {name}" for name in names if name.split(".")[0] == "django"]
    assert offenders == []


@pytest.mark.parametrize("name", ["views.py", "forms.py", "api.py"])
def test_views_forms_and_api_never_touch_the_orm_directly(name):
    """Views, forms and APIs read through selectors and write through services."""
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in ROOT.rglob(name)
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if re.search(r"\.objects\b", line)
    ]
    assert offenders == []


def test_templates_never_touch_the_orm_directly():
    offenders = [str(path) for path in ROOT.rglob("*.html") if ".objects" in path.read_text()]
    assert offenders == []


def test_no_grab_bag_modules():
    """Modules are named for what they hold; no utils.py, helpers.py or common.py."""
    assert [p.name for p in ROOT.rglob("*.py") if p.name in {"utils.py", "helpers.py", "common.py"}] == []


def test_every_view_declares_who_may_use_it():
    """A new view cannot ship unprotected: it must declare a permission or be marked public."""
    undeclared = [
        name
        for name, pattern, _needs in all_url_patterns()
        if not (
            hasattr(pattern.callback, "required_perm")
            or getattr(pattern.callback, "is_public", False)
            or getattr(pattern.callback, "is_signed_in_only", False)
            or getattr(pattern.callback, "is_token_api", False)
        )
    ]
    assert undeclared == []


def test_the_routes_a_record_stores_are_the_routes_the_rules_know():
    """Consents, decisions and plans store core.dosing.Route values; the two lists must match."""
    from ketaclinic.core.dosing import Route
    from ketaclinic.patients.models import TreatmentRoute

    assert set(TreatmentRoute.values) == {route.value for route in Route}


def django_admin_uses(root: Path) -> list[str]:
    """Admin modules, and imports of django.contrib.admin, under ``root``."""
    found = [str(path.relative_to(root)) for path in root.rglob("admin.py")]
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            else:
                continue
            found += [f"{path.relative_to(root)}: {name}" for name in names if name.startswith("django.contrib.admin")]
    return found


def test_the_django_admin_is_not_used():
    """ADR 0004: reference data is edited through services behind the permission table, never the admin."""
    from django.apps import apps

    assert not apps.is_installed("django.contrib.admin")
    assert django_admin_uses(ROOT) == []
    assert [name for name, _pattern, _needs in all_url_patterns() if name.startswith("admin:")] == []


def imports_of_test_modules(root: Path) -> list[str]:
    """Each import, in a module under root, of a test_*.py or conftest.py module under root."""
    offenders = []
    for path in sorted(root.rglob("*.py")):
        package = [root.name, *path.relative_to(root).parent.parts]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = package[: len(package) - node.level + 1] if node.level else []
                module = ".".join([*base, node.module] if node.module else base)
                modules = [module] + [f"{module}.{alias.name}" for alias in node.names]
            else:
                continue
            offenders += [
                f"{path.relative_to(root.parent)}:{node.lineno}: {name}"
                for name in modules
                if name.split(".")[0] == root.name
                and (name.split(".")[-1].startswith("test_") or name.split(".")[-1] == "conftest")
            ]
    return offenders


def test_tests_share_fixtures_through_conftest_and_steps_not_test_modules():
    """Shared fixtures live in conftest.py and shared steps in steps modules; no test module or
    conftest.py is imported by another module under tests/."""
    assert imports_of_test_modules(TESTS) == []


@pytest.mark.parametrize(
    ("where", "line"),
    [
        ("sessions/test_flowsheet.py", "from tests.sessions.test_device_api import session"),
        ("sessions/test_flowsheet.py", "from tests.conftest import signed_in"),
        ("sessions/test_flowsheet.py", "from tests.sessions import test_rems"),
        ("sessions/test_flowsheet.py", "import tests.treatment.test_plans"),
        ("sessions/test_flowsheet.py", "from .test_checklist import ready"),
        ("sessions/test_flowsheet.py", "from ..conftest import signed_in"),
        ("browser/conftest.py", "from tests.sessions.conftest import esketamine"),
    ],
)
def test_an_import_of_a_test_module_or_conftest_is_found(tmp_path, where, line):
    """The check above reads absolute, relative and package imports alike."""
    root = tmp_path / "tests"
    (root / where).parent.mkdir(parents=True)
    (root / where).write_text(f"{line}\n")
    offenders = imports_of_test_modules(root)
    assert offenders, line
    assert all(offender.startswith(f"tests/{where}:1: ") for offender in offenders), offenders


@pytest.mark.parametrize(
    "line",
    [
        "from tests.sessions.steps import ready",
        "from tests.factories import PatientFactory",
        "from tests.steps import signed_in",
        "from ketaclinic.sessions.services.checklist import pre_session_check_record",
    ],
)
def test_steps_factories_and_the_code_under_test_may_be_imported(tmp_path, line):
    root = tmp_path / "tests"
    root.mkdir()
    (root / "test_example.py").write_text(f"{line}\n")
    assert imports_of_test_modules(root) == []
