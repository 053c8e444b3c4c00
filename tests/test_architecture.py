"""The house is one-way: no import cycle, no module over 450 lines, no import from a higher floor.

The modules of src/glassnet are parsed with ``ast``, never imported, and every import is
collected: at the top of a file, inside a function, under ``if TYPE_CHECKING:``. Relative
imports are resolved to module names. ``from glassnet.layers import Dense`` is an edge to
``glassnet.layers`` (the package), ``from glassnet import losses`` one to ``glassnet.losses``
(the module). Importing ``glassnet.a.b`` also runs ``glassnet/__init__.py``; that implicit
edge is not counted (the package imports everything on purpose, to offer it in one place).
Not seen: a name computed at run time (``importlib.import_module(f".{name}")``).

Print the import graph in words, then its cycles, upward imports and long modules:

    python tests/test_architecture.py            # this checkout's src/
    python tests/test_architecture.py OTHER/src  # another copy (e.g. from git archive)
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "glassnet"
MAX_LINES = 450

# The floors of the house, from the ground up. A module may import its own floor and the
# floors below it, never a floor above. A key is a module or package under glassnet, and a
# module lives on the floor of its longest listed prefix (glassnet.ops.conv_reference: "ops";
# "" is the package itself, glassnet/__init__.py). The course's flow is data -> model ->
# layers -> ops: the model consumes the data, yet data sits low, because glassnet.data must
# not import the model. io (the model's file), callbacks and the threads sit beside the model,
# metrics beside the losses; the zoo above the model; viz, cli and demo on top.
FLOORS: list[tuple[str, list[str]]] = [
    ("foundations", ["backend", "fileio", "safetensors_header", "version", "i18n"]),  # float32, random streams, safe files
    ("math and data", ["ops", "data"]),                          # pure array functions; datasets
    ("layers", ["layers", "initializers", "losses", "optimizers", "metrics", "gradcheck", "report"]),
    ("model", ["model", "architecture", "seeding", "training", "training_checks", "batch_sources", "parallel", "sliced_layers", "call_threads",
               "callbacks", "callback_base", "progress", "notebook", "lr_schedules", "io", "modelfile",
               "interop"]),
    ("zoo", ["zoo", "keras"]),                                   # the course's networks; Keras's names over the model
    ("top", ["viz", "cli", "demo", "bench", "sweep", "__main__", ""]),    # figures, the command, the web page
]


def module_files(src: Path = SRC) -> dict[str, Path]:
    """Every module of glassnet under ``src`` by its dotted name (a package by its __init__.py)."""
    modules = {}
    for path in sorted((src / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _import_targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    """Dotted names one import statement may load, relative imports resolved."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:  # from . import x / from ..backend import y
        package = module.split(".") if is_package else module.split(".")[:-1]
        package = package[: len(package) - (node.level - 1)]
        base = ".".join(package + ([base] if base else []))
    # "from base import name": name is a submodule (base.name) or an attribute of base
    return [base] + [f"{base}.{alias.name}" for alias in node.names]


def imports_of(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The glassnet modules ``module`` imports anywhere in its file (functions included)."""
    found = set()
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        names = _import_targets(node, module, path.name == "__init__.py")
        base, members = names[0], names[1:]
        targets = [name for name in members if name in modules]
        if len(targets) < len(members) or not members:  # an attribute of base: base itself is the edge
            targets.append(base)
        for target in targets:
            while target and target not in modules:  # import glassnet.x.y where y is not a module
                target = target.rpartition(".")[0]
            if target and target != module:
                found.add(target)
    return found


def import_graph(src: Path = SRC) -> dict[str, set[str]]:
    """For every glassnet module, the glassnet modules it imports."""
    modules = module_files(src)
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """For each import that lies on a cycle, the shortest such cycle, as [a, b, ..., a], without repeats."""
    cycles = []
    for module in sorted(graph):
        for target in sorted(graph[module]):
            back = _shortest_path(graph, target, module)
            if back is None:
                continue
            cycle = [module] + back
            turn = cycle.index(min(cycle[:-1]))  # the same cycle found from another of its imports
            cycle = cycle[turn:-1] + cycle[:turn] + [cycle[turn]]
            if cycle not in cycles:
                cycles.append(cycle)
    return sorted(cycles, key=lambda cycle: (len(cycle), cycle))


def _shortest_path(graph: dict[str, set[str]], start: str, end: str) -> list[str] | None:
    """The shortest chain of imports from ``start`` to ``end`` (breadth first), or None."""
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            if node == end:
                return paths[node]
            for target in sorted(graph.get(node, ())):
                if target not in paths:
                    paths[target] = paths[node] + [target]
                    following.append(target)
        frontier = following
    return None


def floor_of(module: str) -> tuple[int, str] | None:
    """(number, name) of the floor of ``module``: that of its longest prefix in FLOORS; None if unlisted."""
    relative = module[len(PACKAGE) + 1:]
    best = None
    for number, (name, keys) in enumerate(FLOORS):
        for key in keys:
            if relative == key or (key and relative.startswith(key + ".")):
                if best is None or len(key) > best[0]:
                    best = (len(key), number, name)
    return None if best is None else (best[1], best[2])


def cycle_lines(graph: dict[str, set[str]]) -> list[str]:
    """Each import cycle in words: 'glassnet.model → glassnet.io → glassnet.model'."""
    return [" → ".join(cycle) for cycle in find_cycles(graph)]


def upward_lines(graph: dict[str, set[str]]) -> list[str]:
    """Each import from a lower floor to a higher one, naming both modules and floors."""
    lines = []
    for module, targets in sorted(graph.items()):
        for target in sorted(targets):
            own, theirs = floor_of(module), floor_of(target)
            if own and theirs and theirs[0] > own[0]:
                lines.append(f"{module} (floor {own[0]}, {own[1]}) imports {target} (floor {theirs[0]}, {theirs[1]})")
    return lines


def long_module_lines(src: Path = SRC) -> list[str]:
    """Each module over MAX_LINES lines, longest first: 'glassnet.cli: 851 lines'."""
    sizes = [(len(path.read_text(encoding="utf-8").splitlines()), name) for name, path in module_files(src).items()]
    return [f"{name}: {n} lines" for n, name in sorted(sizes, reverse=True) if n > MAX_LINES]


def import_graph_lines(src: Path = SRC) -> list[str]:
    """The import graph in words (one line per module), then its cycles, upward imports and long modules."""
    graph = import_graph(src)
    lines = [f"{module} imports {', '.join(sorted(targets)) or 'no glassnet module'}"
             for module, targets in sorted(graph.items())]
    for title, found in [("import cycles", cycle_lines(graph)), ("imports that go up a floor", upward_lines(graph)),
                         (f"modules over {MAX_LINES} lines", long_module_lines(src))]:
        lines += ["", f"{title}: {len(found) or 'none'}"] + [f"  {line}" for line in found]
    return lines


def _bullets(lines: list[str]) -> str:
    return "\n".join(f"  {line}" for line in lines)


def test_the_checker_sees_imports_in_functions_and_relative_ones(tmp_path):
    """A cycle hidden in a function and a relative upward import are found and named (the checker can fail)."""
    package = tmp_path / PACKAGE
    (package / "ops").mkdir(parents=True)
    (package / "__init__.py").write_text("from . import model\n")
    (package / "model.py").write_text("from .ops import conv\n")
    (package / "ops" / "__init__.py").write_text("")
    (package / "ops" / "conv.py").write_text("def f():\n    from ...glassnet import model\n    from .. import backend\n")
    (package / "backend.py").write_text("import numpy\nimport glassnet.ops.conv as c\n")
    graph = import_graph(tmp_path)
    assert graph["glassnet.ops.conv"] == {"glassnet.model", "glassnet.backend"}
    assert graph["glassnet"] == {"glassnet.model"} and graph["glassnet.model"] == {"glassnet.ops.conv"}
    assert cycle_lines(graph) == ["glassnet.backend → glassnet.ops.conv → glassnet.backend",
                                  "glassnet.model → glassnet.ops.conv → glassnet.model"]
    assert upward_lines(graph) == [
        "glassnet.backend (floor 0, foundations) imports glassnet.ops.conv (floor 1, math and data)",
        "glassnet.ops.conv (floor 1, math and data) imports glassnet.model (floor 3, model)"]


def test_the_graph_sees_glassnets_own_imports():
    """The real package: relative imports, in-function imports and package facades are edges."""
    graph = import_graph()
    layers_to_ops = {target for module, targets in graph.items() if module.startswith("glassnet.layers.")
                     for target in targets if target.startswith("glassnet.ops")}
    assert layers_to_ops, "no layer imports glassnet.ops (from ..ops import ...)"
    assert {"glassnet.layers", "glassnet.model", "glassnet.io"} <= graph["glassnet"]  # from . import layers, io
    assert "glassnet.layers.base" in graph["glassnet.layers"]  # from .base import Layer


def test_no_import_cycles():
    """No module imports itself through others, not even from inside a function."""
    cycles = cycle_lines(import_graph())
    assert not cycles, "import cycles (each starts at its first module by name):\n" + _bullets(cycles)


def test_no_module_over_450_lines():
    """Every module fits in one reading: at most 450 lines."""
    long = long_module_lines()
    assert not long, f"modules over {MAX_LINES} lines:\n" + _bullets(long)


def test_every_module_has_a_floor():
    """A new module is given its place in the house (a key in FLOORS) when it is written."""
    homeless = [name for name in module_files() if floor_of(name) is None]
    assert not homeless, "modules on no floor of FLOORS (add them there):\n" + _bullets(homeless)


def test_no_import_from_a_higher_floor():
    """data -> model -> layers -> ops: no module imports one from a floor above its own."""
    upward = upward_lines(import_graph())
    assert not upward, "imports that go up the house:\n" + _bullets(upward)


if __name__ == "__main__":
    print("\n".join(import_graph_lines(Path(sys.argv[1]) if len(sys.argv) > 1 else SRC)))
