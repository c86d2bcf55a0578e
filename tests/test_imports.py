"""No import cycles inside the autograder package (issue 19).

The graph is built from the source with ``ast``: every ``import``/``from ... import`` anywhere in
a module, inside functions too (a lazy import is still a dependency, and a lazy cycle is how
``cli -> workflows -> cli`` hid), resolved to the package's own modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "autograder"


def _module_name(path: Path, root: Path) -> str:
    parts = [root.name, *path.relative_to(root).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: Path) -> dict[str, set[str]]:
    """{module: modules of the same package it imports}, for every ``*.py`` under ``root``."""
    files = {_module_name(p, root): p for p in sorted(root.rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, *([base] if base else [])])
                # `from pkg import mod` imports the module pkg.mod; `from mod import name` imports mod
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in files else base for a in node.names]
            else:
                continue
            for target in targets:
                while target and target not in files:  # `import autograder.x.y` -> the longest known module
                    target = target.rpartition(".")[0]
                if target and target != name:
                    deps.add(target)
        graph[name] = deps
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as [a, b, ..., a], or None (iterative depth-first search)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in sorted(graph):
        if state.get(start):
            continue
        path, stack = [start], [iter(sorted(graph[start]))]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            elif not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(graph.get(nxt, ()))))
    return None


def test_autograder_has_no_import_cycle():
    graph = import_graph(PACKAGE)
    assert {"autograder.cli", "autograder.batch", "autograder.run"} <= graph.keys()
    assert "autograder.context" in graph["autograder.cli_grading"]  # function-level imports are edges
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_cycles_through_lazy_relative_and_absolute_imports_are_found(tmp_path):
    """The detector is not vacuous: the shape of the old cli <-> workflows cycle (a lazy import
    back), an absolute one, one through a sub-package, and an acyclic package that must pass."""
    lazy = _write(
        tmp_path / "a" / "pkg",
        {
            "__init__.py": "",
            "cli.py": "def build():\n    from . import workflows\n",
            "workflows.py": "def _course(args):\n    from .cli import _course\n",
        },
    )
    assert find_cycle(import_graph(lazy)) == ["pkg.cli", "pkg.workflows", "pkg.cli"]
    absolute = _write(
        tmp_path / "b" / "pkg",
        {
            "__init__.py": "",
            "x.py": "import pkg.y\n",
            "y.py": "from pkg import x\n",
        },
    )
    assert find_cycle(import_graph(absolute)) is not None
    nested = _write(
        tmp_path / "c" / "pkg",
        {
            "__init__.py": "",
            "top.py": "from .sub import leaf\n",
            "sub/__init__.py": "",
            "sub/leaf.py": "from .. import top\n",
        },
    )
    assert find_cycle(import_graph(nested)) is not None
    fine = _write(
        tmp_path / "d" / "pkg",
        {
            "__init__.py": "",
            "a.py": "from . import b\nimport os\n",
            "b.py": "def f():\n    from .c import g\n",
            "c.py": "",
        },
    )
    assert find_cycle(import_graph(fine)) is None
