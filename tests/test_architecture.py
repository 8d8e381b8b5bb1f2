"""The shape rules of ARCHITECTURE.md and STYLE.md, checked on every run."""

from __future__ import annotations

import ast
import itertools
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


VIEW_FORM_AND_API = ("views", "forms", "api")


def views_forms_and_api_modules(root: Path) -> list[Path]:
    """Every view, form and API module under root: ``views.py``, ``forms.py``, ``api.py``, any
    ``*_views.py``, ``*_forms.py``, ``*_api.py``, and every module of a ``views/``, ``forms/`` or
    ``api/`` package."""
    return [
        path
        for path in sorted(root.rglob("*.py"))
        if path.stem in VIEW_FORM_AND_API
        or path.stem.endswith(tuple(f"_{kind}" for kind in VIEW_FORM_AND_API))
        or any(part in VIEW_FORM_AND_API for part in path.relative_to(root).parts[:-1])
    ]


def orm_uses_in_views_forms_and_api(root: Path) -> list[str]:
    return [
        f"{path.relative_to(root)}:{number}"
        for path in views_forms_and_api_modules(root)
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if re.search(r"\.objects\b", line)
    ]


def test_views_forms_and_api_never_touch_the_orm_directly():
    """Views, forms and APIs read through selectors and write through services."""
    assert orm_uses_in_views_forms_and_api(ROOT) == []


@pytest.mark.parametrize(
    "where",
    [
        "views.py",
        "api.py",
        "sessions/views.py",
        "sessions/chart_views.py",
        "sessions/device_api.py",
        "intake/consultation_forms.py",
        "sessions/views/board.py",
        "patients/forms/consent.py",
        "sessions/api/devices.py",
    ],
)
def test_the_orm_rule_reads_every_view_form_and_api_module(tmp_path, where):
    (tmp_path / where).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / where).write_text("rows = Patient.objects.all()\n")
    assert orm_uses_in_views_forms_and_api(tmp_path) == [f"{where}:1"]


@pytest.mark.parametrize("where", ["sessions/services/dose.py", "sessions/selectors/board.py", "demo/network.py"])
def test_the_orm_rule_leaves_services_and_selectors_alone(tmp_path, where):
    (tmp_path / where).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / where).write_text("rows = Patient.objects.all()\n")
    assert orm_uses_in_views_forms_and_api(tmp_path) == []


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


# The calls that write an audit entry, and the record steps that hand their action on to one.
AUDIT_WRITERS = frozenset(
    {
        "staff_view",
        "EntryFacts",
        "access_entries_write",
        "audit_change_record",
        "audit_change_since",
        "audit_event_record",
        "audit_event_alone",
        "close_out",
        "mark_entered_in_error",
    }
)


def audit_actions_spelled_as_strings(root: Path) -> list[str]:
    """Each place under ``root`` that spells an audit action as a string, not an AuditAction member.

    That is an audit writer called with ``action=`` a string or f-string, and any string literal
    equal to an action's value (passed on positionally, or picked in an expression); only
    ``audit/actions.py`` spells the values.
    """
    from ketaclinic.audit.actions import AuditAction

    values = {action.value for action in AuditAction}
    offenders = []
    for path in sorted(root.rglob("*.py")):
        if path.relative_to(root).parts == ("audit", "actions.py"):
            continue
        where = path.relative_to(root.parent)
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                callee = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                offenders += [
                    f"{where}:{node.lineno}: {callee}(action={ast.unparse(keyword.value)})"
                    for keyword in node.keywords
                    if callee in AUDIT_WRITERS
                    and keyword.arg == "action"
                    and isinstance(keyword.value, ast.Constant | ast.JoinedStr)
                ]
            elif isinstance(node, ast.Constant) and node.value in values:
                offenders.append(f"{where}:{node.lineno}: {node.value!r}")
    return offenders


def test_audit_actions_are_named_by_their_enum_never_spelled_as_strings():
    """Audit writers and staff views take an AuditAction; the stored strings live in audit/actions.py."""
    assert audit_actions_spelled_as_strings(ROOT) == []


@pytest.mark.parametrize(
    "line",
    [
        'staff_view(Perm.PATIENT_VIEW, action="patient.listed_again")',
        'audit_change_since(actor=actor, instance=dose, action=f"dose.{step}", before={})',
        'audit.services.audit_event_record(EntryFacts(kind="security", action="staff.signed_in", actor=user))',
        'record_change(link, link, "questionnaire_link.identity_confirmed", {})',
        'action = "consultation.amended" if signed else AuditAction.CONSULTATION_UPDATED',
    ],
)
def test_an_audit_action_spelled_as_a_string_is_found(tmp_path, line):
    root = tmp_path / "ketaclinic"
    (root / "sessions").mkdir(parents=True)
    (root / "sessions" / "views.py").write_text(f"{line}\n")
    assert audit_actions_spelled_as_strings(root)


@pytest.mark.parametrize(
    "line",
    [
        "staff_view(Perm.PATIENT_VIEW, action=AuditAction.PATIENT_LISTED)",
        "audit_change_since(actor=actor, instance=dose, action=_STEP_ACTIONS[step], before={})",
        'parser.add_argument("--seal", action="store_true")',
        'require(actor, Perm("patient.view"))',
    ],
)
def test_audit_actions_named_by_the_enum_pass(tmp_path, line):
    root = tmp_path / "ketaclinic"
    (root / "sessions").mkdir(parents=True)
    (root / "sessions" / "views.py").write_text(f"{line}\n")
    assert audit_actions_spelled_as_strings(root) == []


# --- the import picture between apps -----------------------------------------------------------


def imported_modules(node: ast.AST, package: list[str]) -> list[str]:
    """The modules an import statement names (``from a import b`` names ``a`` and ``a.b``), relative ones resolved."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        base = package[: len(package) - node.level + 1] if node.level else []
        module = ".".join([*base, node.module] if node.module else base)
        return [module] + [f"{module}.{alias.name}" for alias in node.names]
    return []


def app_imports(root: Path) -> dict[tuple[str, str], list[str]]:
    """(importing app, imported app) -> where each such import stands, for every module under root.

    An app is a package directly under root (``core`` is one); a module directly under root
    (``urls.py``, ``api.py``, ``http_errors.py``, ...) counts as an app of its own. Every import
    statement counts wherever it stands: at module level, inside a function, under ``if
    TYPE_CHECKING:``. A function-level import is how a cycle is deferred at run time and a
    TYPE_CHECKING one is how it is hidden from the interpreter; either way the two apps still need
    each other, so a cycle goes away only when code moves. Names in strings (``INSTALLED_APPS``,
    ``include("...urls")``, ``"app.Model"`` foreign keys) are not imports.
    """
    apps = {path.name for path in root.iterdir() if path.is_dir() and (path / "__init__.py").exists()}
    apps |= {path.stem for path in root.glob("*.py") if path.stem != "__init__"}
    found: dict[tuple[str, str], list[str]] = {}
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        source = relative.parts[0].removesuffix(".py")
        package = [root.name, *relative.parent.parts]
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            targets = {
                parts[1]
                for module in imported_modules(node, package)
                if len(parts := module.split(".")) > 1 and parts[0] == root.name
            }
            for target in sorted(targets & apps - {source}):
                found.setdefault((source, target), []).append(f"{relative}:{node.lineno}")
    return found


def import_cycles(imports: dict[tuple[str, str], list[str]]) -> list[list[str]]:
    """The shortest import cycle through each app that is on one, each cycle once, as ``[a, b, ..., a]``."""
    following: dict[str, set[str]] = {}
    for source, target in imports:
        following.setdefault(source, set()).add(target)
    cycles: set[tuple[str, ...]] = set()
    for start in sorted(following):
        paths, seen = [[start]], {start}
        while paths:
            path = paths.pop(0)
            for target in sorted(following.get(path[-1], ())):
                if target == start:
                    smallest = path.index(min(path))
                    cycles.add(tuple(path[smallest:] + path[:smallest]))
                    paths = []
                    break
                if target not in seen:
                    seen.add(target)
                    paths.append([*path, target])
    return [[*cycle, cycle[0]] for cycle in sorted(cycles)]


def cycle_report(cycles: list[list[str]], imports: dict[tuple[str, str], list[str]]) -> str:
    lines = []
    for cycle in cycles:
        lines.append(" -> ".join(cycle))
        for source, target in itertools.pairwise(cycle):
            where = imports[(source, target)]
            lines.append(f"    {source} -> {target}: {', '.join(where[:5])}{' ...' if len(where) > 5 else ''}")
    return "\n".join(lines)


def test_apps_import_one_another_without_cycles():
    """The import picture between apps is layered: no app imports, however indirectly, an app that imports it."""
    imports = app_imports(ROOT)
    cycles = import_cycles(imports)
    assert cycles == [], "import cycles between apps:\n" + cycle_report(cycles, imports)


def test_core_imports_no_app():
    """ketaclinic/core is the clinical brain underneath every app; it imports none of them."""
    assert {pair: where for pair, where in app_imports(ROOT).items() if pair[0] == "core"} == {}


def test_no_app_imports_the_demo():
    """Demo seeding sits on top: only ketaclinic/demo (and the tests) import ketaclinic.demo."""
    assert {pair: where for pair, where in app_imports(ROOT).items() if pair[1] == "demo"} == {}


CYCLE_THROUGH = {
    "a module-level import": "from ketaclinic.alpha.models import Thing\n",
    "an import inside a function": "def f():\n    from ketaclinic.alpha.models import Thing\n",
    "an import under TYPE_CHECKING": "import typing\nif typing.TYPE_CHECKING:\n    import ketaclinic.alpha\n",
    "a relative import": "from ..alpha import models\n",
    "a package import": "from ketaclinic import alpha\n",
}


@pytest.mark.parametrize("how", CYCLE_THROUGH)
def test_an_import_cycle_between_apps_is_found_and_named(tmp_path, how):
    root = tmp_path / "ketaclinic"
    for app in ("alpha", "beta", "gamma"):
        (root / app).mkdir(parents=True)
        (root / app / "__init__.py").write_text("")
    (root / "alpha" / "models.py").write_text("from ketaclinic.beta.services import act\n")
    (root / "beta" / "services.py").write_text("from ketaclinic.gamma import selectors\n")
    (root / "gamma" / "selectors.py").write_text(CYCLE_THROUGH[how])
    imports = app_imports(root)
    assert import_cycles(imports) == [["alpha", "beta", "gamma", "alpha"]]
    report = cycle_report(import_cycles(imports), imports)
    assert "alpha -> beta -> gamma -> alpha" in report
    assert "gamma -> alpha: gamma/selectors.py:" in report


def test_layered_apps_and_imports_within_one_app_are_no_cycle(tmp_path):
    root = tmp_path / "ketaclinic"
    for app in ("core", "alpha", "beta"):
        (root / app).mkdir(parents=True)
        (root / app / "__init__.py").write_text("")
    (root / "urls.py").write_text("from ketaclinic.beta import views\n")
    (root / "alpha" / "models.py").write_text("from ketaclinic.core import rules\nfrom . import services\n")
    (root / "beta" / "views.py").write_text("from ketaclinic.alpha.models import Thing\nfrom django.db import models\n")
    imports = app_imports(root)
    assert set(imports) == {("urls", "beta"), ("alpha", "core"), ("beta", "alpha")}
    assert import_cycles(imports) == []
