"""Imports only point down: workers -> labelapp -> simclr_core, and no module imports itself
back through others. Read from the source with ``ast`` (imports inside functions count
too), so nothing is imported to check it."""

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("benchmarks", "workers", "labelapp", "simclr_core")
# What each package must never import (a package is a top-level name).
FORBIDDEN = {
    "labelapp": {"workers", "benchmarks"},
    "workers": {"benchmarks"},
    "simclr_core": {"labelapp", "workers", "benchmarks", "django", "celery"},
}
# The training child runs without Django: it and its supervisor import neither framework.
FRAMEWORK_FREE = ("labelapp.learning.training_process", "labelapp.learning.supervisor")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    }


def imported_names(path: Path, module: str) -> Iterator[str]:
    """Every module name an import statement in the file names, relative ones resolved."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the project modules it imports (a name is cut back to the module it is in)."""
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        targets = graph.setdefault(module, set())
        for name in imported_names(path, module):
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name and name != module:
                targets.add(name)
    return graph


def find_circle(graph: dict[str, set[str]]) -> list[str] | None:
    """One circle of the graph (its nodes in order, the first repeated at the end), or None."""
    state: dict[str, str] = {}  # "open" while on the path, "done" once fully explored
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                return [*path[path.index(target) :], target]
            if target not in state and (circle := visit(target)):
                return circle
        path.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (circle := visit(node)):
            return circle
    return None


def package_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    packages: dict[str, set[str]] = {}
    for module, targets in graph.items():
        top = module.split(".")[0]
        packages.setdefault(top, set()).update(t.split(".")[0] for t in targets)
        packages[top].discard(top)
    return packages


def external_imports(module: str, modules: dict[str, Path]) -> set[str]:
    return {name.split(".")[0] for name in imported_names(modules[module], module) if name}


@pytest.fixture(scope="module")
def modules() -> dict[str, Path]:
    return project_modules()


def test_no_module_imports_itself_back(modules: dict[str, Path]) -> None:
    assert find_circle(import_graph(modules)) is None


def test_no_package_imports_itself_back(modules: dict[str, Path]) -> None:
    assert find_circle(package_graph(import_graph(modules))) is None


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_package_imports_nothing_above_it(modules: dict[str, Path], package: str) -> None:
    offending = {
        module: sorted(external_imports(module, modules) & FORBIDDEN[package])
        for module in modules
        if module.split(".")[0] == package
    }
    assert {module: names for module, names in offending.items() if names} == {}


@pytest.mark.parametrize("module", FRAMEWORK_FREE)
def test_the_training_child_needs_no_framework(modules: dict[str, Path], module: str) -> None:
    assert external_imports(module, modules) & {"django", "celery", "workers"} == set()


def test_the_check_sees_a_circle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}

    assert find_circle(graph) == ["a", "b", "c", "a"]
    assert find_circle({"a": {"b"}, "b": set()}) is None
