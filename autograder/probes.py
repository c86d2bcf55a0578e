"""Static rules of check files, applied when a check file loads (before any student is graded).

- A probe's source is all that reaches the student's process (``autograder.worker`` runs it with
  :data:`PROBE_GLOBALS` and the builtins as its globals), so every name it reads must be one of its
  parameters or locals, one of those globals or a builtin: :func:`undefined_names`. A probe that reads a
  module constant or a helper of its check file would otherwise fail only while grading, reported as
  the *student's* ``NameError``.
- A check file loads nothing by path: a hidden file takes the probes and helpers it shares with its
  ``public.py`` from ``public_of(__file__)``, the one declared way (:func:`file_problems`).

Scopes are resolved by the standard library's :mod:`symtable` (nested functions, comprehensions,
class bodies, ``global``/``nonlocal``), lines found with :mod:`ast`.
"""

from __future__ import annotations

import ast
import builtins
import symtable

# The globals a probe runs with in the student's process (autograder/worker.py, ``Runner.probe``).
PROBE_GLOBALS = frozenset({"np", "math", "torch", "__name__"})
_BUILTINS = frozenset(dir(builtins))

# What a check file may take from autograder.checks (public.py: no public_of, it has nothing to share from)
CHECKS_API = {"public": frozenset({"check", "probe"}), "hidden": frozenset({"check", "probe", "public_of"})}
# Loading another file by path, or running text as code, has one declared replacement: public_of.
_LOADER_MODULES = frozenset({"importlib", "imp", "runpy", "pkgutil", "zipimport"})
_LOADER_CALLS = frozenset({"__import__", "exec", "eval"})
_LOADER_ATTRS = frozenset(
    {"load_module", "exec_module", "module_from_spec", "spec_from_file_location", "import_module", "run_path"}
)
_SIBLINGS = frozenset({"public", "hidden", "conftest", "checks"})
SHARE_HINT = "a hidden.py takes what it shares with public.py from `public_of(__file__)` (docs/authoring.md)"


def undefined_names(source: str, name: str) -> list[tuple[str, int]]:
    """The names ``source`` (one probe's ``def``) reads from its globals that the worker does not
    provide, each with the first line (1-based, in ``source``) that reads it, in order of lines."""
    table = symtable.symtable(source, f"<probe:{name}>", "exec")
    found: set[str] = set()

    def walk(t):
        for s in t.get_symbols():
            if t.get_type() == "module":  # default values and annotations of the def itself
                outside = s.is_referenced() and not (s.is_assigned() or s.is_imported())
            else:  # a name that is not local here nor in an enclosing function
                outside = s.is_referenced() and s.is_global()
            if outside:
                found.add(s.get_name())
        for child in t.get_children():
            walk(child)

    walk(table)
    found -= PROBE_GLOBALS | _BUILTINS | {name}  # a probe may call itself
    if not found:
        return []
    first: dict[str, int] = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name) and node.id in found:
            first[node.id] = min(first.get(node.id, node.lineno), node.lineno)
    return sorted(((n, first.get(n, 1)) for n in found), key=lambda x: (x[1], x[0]))


def probe_problem(source: str, name: str, first_line: int) -> tuple[int, str] | None:
    """``(line in the file, one-line problem)`` for a probe that reads names it will not have, or None.
    ``first_line``: the file's line of the probe's ``def``."""
    bad = undefined_names(source, name)
    if not bad:
        return None
    names = ", ".join(repr(n) for n, _ in bad)
    return (
        first_line + bad[0][1] - 1,
        f"probe {name!r} reads {names}, which only its check file defines: the probe's source alone runs in "
        "the student's process, with its parameters, locals, ns, np, math, torch and builtins (write the value "
        "into the probe or pass it as an argument)",
    )


def file_problems(source: str, visibility: str) -> list[str]:
    """Problems (``"line N: ..."``) of a check file's text that break the declared way of sharing:
    loading another file by path (importlib, runpy, ``load_module``, ``import public``) or running text as
    code. ``visibility``: ``"public"`` or ``"hidden"``."""
    api = CHECKS_API[visibility]
    problems: list[tuple[int, str]] = []

    def bad(node, what):
        problems.append((node.lineno, what))

    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.partition(".")[0]
                if top in _LOADER_MODULES or top in _SIBLINGS:
                    bad(node, f"imports {alias.name}: a check file loads no other file; {SHARE_HINT}")
                elif alias.name == "autograder.checks":
                    bad(node, f"imports autograder.checks whole: take {_listed(api)} by name (from ... import)")
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            top = module.partition(".")[0]
            if node.level or top in _LOADER_MODULES or top in _SIBLINGS:
                bad(node, f"imports from {'.' * node.level}{module}: a check file loads no other file; {SHARE_HINT}")
            elif module == "autograder.checks":
                for alias in node.names:
                    if alias.name not in api:
                        bad(node, f"imports {alias.name} from autograder.checks: a {visibility}.py uses {_listed(api)}")
            elif module == "autograder" and any(a.name == "checks" for a in node.names):
                bad(node, f"imports autograder.checks whole: take {_listed(api)} by name (from ... import)")
        elif isinstance(node, ast.Name) and node.id in _LOADER_CALLS:
            bad(node, f"uses {node.id}: a check file runs no text as code; {SHARE_HINT}")
        elif isinstance(node, ast.Attribute) and node.attr in _LOADER_ATTRS:
            bad(node, f"uses .{node.attr}: a check file loads no other file; {SHARE_HINT}")
    return [f"line {line}: {what}" for line, what in sorted(problems)]


def _listed(names) -> str:
    return ", ".join(sorted(names))
