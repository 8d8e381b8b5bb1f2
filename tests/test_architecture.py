"""The shape rules of ARCHITECTURE.md and STYLE.md, checked on every run."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

ROOT = Path(__file__).resolve().parent.parent / "ketaclinic"


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


def all_url_patterns(
    resolver: URLResolver | None = None, prefix: str = "", converters: tuple[str, ...] = ()
) -> list[tuple[str, URLPattern, tuple[str, ...]]]:
    """Every named URL with the path converters it needs, its parents' included."""
    resolver = resolver or get_resolver()
    found = []
    for pattern in resolver.url_patterns:
        needs = converters + tuple(pattern.pattern.converters)
        if isinstance(pattern, URLResolver):
            namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            found += all_url_patterns(pattern, namespace, needs)
        else:
            found.append((f"{prefix}{pattern.name}", pattern, needs))
    return found


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
