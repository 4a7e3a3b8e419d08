"""The package's import graph: no cycles, and imports run down the layers only.

Layers, bottom up: core, batteries, testing, tooling (see
docs/explanation/design.md). Every import counts, also one inside a function;
only imports under ``if TYPE_CHECKING:`` are left out, as they never run.
The public re-export modules at the top (``microasgi.testclient``, ...) sit
above every layer.
"""

from __future__ import annotations

import ast
from pathlib import Path

import microasgi

PACKAGE = Path(microasgi.__file__).parent
LAYERS = ["core", "batteries", "testing", "tooling"]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node, skipping the bodies of ``if TYPE_CHECKING:`` blocks."""
    found: list[ast.AST] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        found.append(node)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))
    return found


def imported_modules(path: Path, modules: set[str]) -> set[str]:
    """The package modules ``path`` imports (a ``from pkg import mod`` names mod)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in runtime_nodes(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {module for module in found if module in modules and module != name}


def import_graph() -> dict[str, set[str]]:
    paths = sorted(PACKAGE.rglob("*.py"))
    modules = {module_name(path) for path in paths}
    return {module_name(path): imported_modules(path, modules) for path in paths}


def layer_of(module: str) -> int | None:
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in LAYERS:
        return LAYERS.index(parts[1])
    return None  # the package itself and its public re-export modules


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    visiting: list[str] = []
    done: set[str] = set()

    def visit(module: str) -> list[str] | None:
        if module in visiting:
            return [*visiting[visiting.index(module) :], module]
        if module in done:
            return None
        visiting.append(module)
        for imported in sorted(graph[module]):
            cycle = visit(imported)
            if cycle:
                return cycle
        visiting.pop()
        done.add(module)
        return None

    for module in sorted(graph):
        cycle = visit(module)
        if cycle:
            return cycle
    return None


def test_layers_import_graph_has_no_cycle():
    assert find_cycle(import_graph()) is None


def test_layers_imports_run_downward_only():
    upward = []
    for module, imported in import_graph().items():
        layer = layer_of(module)
        for target in imported:
            target_layer = layer_of(target)
            if layer is not None and (target_layer is None or target_layer > layer):
                upward.append(f"{module} imports {target}")
    assert upward == []


def test_layers_every_module_has_a_layer():
    top_level = {"microasgi", "microasgi.__main__", "microasgi.testclient",
                 "microasgi.validate", "microasgi.replay", "microasgi.middleware",
                 "microasgi.hub"}  # fmt: skip
    unplaced = [m for m in import_graph() if layer_of(m) is None and m not in top_level]
    assert unplaced == []


def test_layers_find_cycle_reports_one():
    assert find_cycle({"a": {"b"}, "b": {"a"}}) == ["a", "b", "a"]


def test_layers_public_paths_reexport_the_layers_objects():
    import microasgi.batteries.hub
    import microasgi.batteries.middleware
    import microasgi.hub
    import microasgi.middleware
    import microasgi.replay
    import microasgi.testclient
    import microasgi.testing.client
    import microasgi.testing.replay
    import microasgi.testing.validate
    import microasgi.validate

    pairs = [
        (microasgi.testclient, microasgi.testing.client),
        (microasgi.validate, microasgi.testing.validate),
        (microasgi.replay, microasgi.testing.replay),
        (microasgi.middleware, microasgi.batteries.middleware),
        (microasgi.hub, microasgi.batteries.hub),
    ]
    for public, home in pairs:
        assert public.__all__
        for name in public.__all__:
            assert getattr(public, name) is getattr(home, name), name
