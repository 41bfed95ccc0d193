"""The house has floors: each app imports only the apps below it, and no modules import in a circle.

Read from the code's own import statements (module-level and inside functions alike), so a new
import that runs back up a floor, or a function-level import that hides a circle, fails here.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# From the ground up; an app imports only the apps on floors below its own. Apps sharing a floor
# import neither each other: portal and qualifications at the ground, portfolios and competence
# above them, home and privacy at the top.
FLOORS = [
    {"qualifications", "portal"},
    {"portfolios", "competence"},
    {"assessment"},
    {"iqa"},
    {"certification"},
    {"eqa"},
    {"home", "privacy", "api"},
]
APPS = sorted(app for floor in FLOORS for app in floor)


def floor_of(app: str) -> int:
    return next(number for number, floor in enumerate(FLOORS) if app in floor)


def modules() -> dict[str, Path]:
    found = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The project modules a file imports, by their dotted names."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            # `from iqa import pages` imports the module iqa.pages.
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in names if name in known}


def graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imports_of(path, set(found)) - {name} for name, path in found.items()}


def app_of(module: str) -> str:
    return module.split(".")[0]


def test_each_app_imports_only_the_apps_below_it():
    wrong = []
    for module, imported in graph().items():
        here = app_of(module)
        for other in map(app_of, imported):
            if other != here and floor_of(other) >= floor_of(here):
                wrong.append(f"{module} imports {other}")
    assert wrong == []


def test_every_app_of_the_project_is_on_a_floor(settings):
    """A new app left off FLOORS would be checked by nothing above."""
    ours = {app for app in settings.INSTALLED_APPS if (ROOT / app / "apps.py").exists()}
    assert ours == set(APPS)


def test_no_modules_import_each_other_in_a_circle():
    edges = graph()
    # A package's __init__ importing its own modules is how a package offers them, not a circle.
    for module, imported in edges.items():
        edges[module] = {m for m in imported if not module.startswith(f"{m}.")}
    circles = []
    state: dict[str, str] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for other in sorted(edges[module]):
            if state.get(other) == "open":
                circles.append(" -> ".join([*path[path.index(other) :], other]))
            elif other not in state:
                visit(other, [*path, other])
        state[module] = "done"

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])
    assert circles == []


@pytest.mark.parametrize(
    ("importer", "imported", "allowed"),
    [
        ("privacy", "certification", True),
        ("privacy", "home", False),
        ("home", "privacy", False),
        ("portal", "qualifications", False),
        ("certification", "privacy", False),
    ],
)
def test_an_app_may_import_only_from_the_floors_below_it(importer, imported, allowed):
    assert (floor_of(imported) < floor_of(importer)) is allowed


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from home.todo import todo_for\n", {"home.todo"}),
        ("def f():\n    from iqa import pages\n", {"iqa", "iqa.pages"}),
        ("import portal.models\n", {"portal.models"}),
    ],
)
def test_the_import_reader_sees_module_and_function_level_imports(tmp_path, source, expected):
    path = tmp_path / "example.py"
    path.write_text(source)
    known = {"home.todo", "iqa", "iqa.pages", "portal.models"}
    assert imports_of(path, known) == expected
