"""Imports follow the data: no module of `thresher` imports, directly or through others, itself.

A cycle is where layering quietly erodes (a stage that drives the runner that drives it),
and it makes import order matter: code that works when `thresher.runner` is imported first
breaks when `thresher.dedup` is. The graph counts every import, at module level and inside
functions alike, since a function-level import is the same dependency, paid later.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"


EXTENSION_SUFFIXES = (".so", ".pyd", ".c")


def module_names(root: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package at `root` (a package's is its __init__).

    Compiled modules count too (`_native.c`, or its built `.so`), so `from thresher import
    _native` reads as the leaf module it is, not as an import of the package's __init__.
    """
    names: dict[str, Path] = {}
    for path in sorted(root.rglob("*")):
        if path.suffix == ".py":
            parts = list(path.relative_to(root.parent).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            names[".".join(parts)] = path
        elif path.suffix in EXTENSION_SUFFIXES and path.name.split(".")[0].isidentifier():
            parts = [*path.parent.relative_to(root.parent).parts, path.name.split(".")[0]]
            names.setdefault(".".join(parts), path)
    return names


def _imported(node: ast.Import | ast.ImportFrom, module: str, is_package: bool, known: set[str]) -> list[str]:
    """The package's modules that one import statement loads (relative imports resolved).

    `from P import name` is an edge to the submodule `P.name` when there is one, else to `P`
    itself (the name lives in P's __init__). Parent packages that Python initialises on the
    way are not counted: every submodule would otherwise depend on its package's __init__.
    """
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name in known]
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        target = ".".join([*base, node.module] if node.module else base)
    else:
        target = node.module or ""
    targets = []
    for alias in node.names:
        submodule = f"{target}.{alias.name}"
        if submodule in known:
            targets.append(submodule)
        elif target in known:
            targets.append(target)
    return targets


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the package's modules it imports anywhere in its body (functions and TYPE_CHECKING too)."""
    files = module_names(root)
    known = set(files)
    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        if path.suffix != ".py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                graph[name].update(t for t in _imported(node, name, is_package, known) if t != name)
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (a path back to its start) for every strongly connected group of modules, sorted.

    Tarjan's algorithm finds the groups; a shortest cycle through each group's first module
    (breadth-first) is what a reader needs to see to break it.
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    cycles = []
    for group in sorted(groups):
        members = set(group)
        start = group[0]
        paths = {start: [start]}
        frontier = [start]
        cycle = None
        while frontier and cycle is None:
            following = []
            for node in frontier:
                for target in sorted(graph[node] & members):
                    if target == start:
                        cycle = [*paths[node], start]
                        break
                    if target not in paths:
                        paths[target] = [*paths[node], target]
                        following.append(target)
                if cycle:
                    break
            frontier = following
        assert cycle is not None
        cycles.append(cycle)
    return cycles


def test_thresher_has_no_import_cycle() -> None:
    graph = import_graph(SRC / "thresher")
    assert graph.get("thresher.runner"), "the graph found no imports: the walker broke"
    cycles = find_cycles(graph)
    assert not cycles, "import cycles (break each by moving the shared piece down a layer):\n" + "\n".join(
        " -> ".join(cycle) for cycle in cycles
    )


# The stages of the data flow, and what drives them: a stage never imports a driver.
STAGES = (
    "thresher.readers",
    "thresher.segments",
    "thresher.signals",
    "thresher.safety",
    "thresher.dedup",
    "thresher.annotator",
    "thresher.annotators",
    "thresher.document",
    "thresher.policy",
    "thresher.pipeline",
)
DRIVERS = ("thresher.engines", "thresher.runner", "thresher.cli", "thresher.report", "thresher.explain")


def _within(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes)


def test_stages_never_import_what_drives_them() -> None:
    graph = import_graph(SRC / "thresher")
    upward = sorted(
        f"{module} -> {target}"
        for module, targets in graph.items()
        if _within(module, STAGES)
        for target in targets
        if _within(target, DRIVERS) or target == "thresher"
    )
    assert upward == []


def _package(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "pkg"


def test_finder_sees_a_cycle_through_a_function_level_import(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/low.py": "def later():\n    from pkg.high import run\n    return run\n",
            "pkg/high.py": "from pkg.low import later\n",
            "pkg/leaf.py": "import os\n",
        },
    )
    assert find_cycles(import_graph(root)) == [["pkg.high", "pkg.low", "pkg.high"]]


def test_finder_resolves_relative_and_submodule_imports(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "pkg/__init__.py": "from pkg.sub import helper\n",
            "pkg/sub/__init__.py": "from .helper import f\n",
            "pkg/sub/helper.py": "from .. import other\n",
            "pkg/other.py": "from .sub import helper\n",
        },
    )
    graph = import_graph(root)
    assert graph == {
        "pkg": {"pkg.sub.helper"},
        "pkg.sub": {"pkg.sub.helper"},
        "pkg.sub.helper": {"pkg.other"},
        "pkg.other": {"pkg.sub.helper"},
    }
    assert find_cycles(graph) == [["pkg.other", "pkg.sub.helper", "pkg.other"]]


@pytest.mark.parametrize("statement", ["import pkg.a", "from pkg import a", "from . import a", "from .a import x"])
def test_every_import_form_closes_a_planted_cycle(tmp_path: Path, statement: str) -> None:
    root = _package(tmp_path, {"pkg/__init__.py": "", "pkg/a.py": "import pkg.b\n", "pkg/b.py": statement + "\n"})
    assert find_cycles(import_graph(root)) == [["pkg.a", "pkg.b", "pkg.a"]]


def test_a_package_importing_its_own_submodules_is_no_cycle(tmp_path: Path) -> None:
    root = _package(tmp_path, {"pkg/__init__.py": "from pkg.a import x\n", "pkg/a.py": "x = 1\n"})
    assert find_cycles(import_graph(root)) == []


def test_a_compiled_module_is_a_leaf_not_the_package(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {"pkg/__init__.py": "from pkg.a import x\n", "pkg/a.py": "from pkg import _fast\n", "pkg/_fast.c": ""},
    )
    assert import_graph(root)["pkg.a"] == {"pkg._fast"}
    assert find_cycles(import_graph(root)) == []
