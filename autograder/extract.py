"""Stage 2: from a notebook, take only what grading needs.

- answer cells: by nbgrader ``grade_id`` (= exercise id), from the submission;
- setup cells: read-only cells whose ``grade_id`` starts with ``setup``, from the trusted
  source notebook (a student who edits a locked cell changes nothing);
- everything else (experiments, plots, test cells) is skipped, so grading never re-runs
  training demos.

A missing, duplicated or non-code answer cell becomes an exercise-level problem (0 points on
that exercise with a message), never a crash.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

import nbformat

from .errors import clean_name

SETUP_PREFIX = "setup"


@dataclass
class CellIndex:
    by_id: dict = field(default_factory=dict)
    duplicates: list = field(default_factory=list)
    order: list = field(default_factory=list)


def index_cells(nb: nbformat.NotebookNode) -> CellIndex:
    idx = CellIndex()
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader")
        gid = meta.get("grade_id") if isinstance(meta, dict) else None
        if not isinstance(gid, str):
            continue
        if gid in idx.by_id:
            if gid not in idx.duplicates:
                idx.duplicates.append(gid)
            continue
        idx.by_id[gid] = cell
        idx.order.append(gid)
    return idx


@dataclass(frozen=True)
class Cell:
    id: str
    kind: str  # "setup" | "answer"
    source: str

    def as_wire(self) -> dict:
        return {"id": self.id, "kind": self.kind, "source": self.source}


@dataclass
class Program:
    """The code to run for one notebook, in notebook order, plus per-exercise problems."""

    assignment_id: str
    cells: list[Cell]
    problems: dict[str, str] = field(default_factory=dict)  # exercise id -> message

    @property
    def fingerprint(self) -> str:
        import hashlib

        h = hashlib.sha256()
        for c in self.cells:
            h.update(f"{c.kind}:{c.id}\0{c.source}\0".encode())
        return h.hexdigest()


# a line that starts with a magic or a shell escape, or assigns one (``x = !ls``, ``t = %time f()``).
# Scanned line by line with no backtracking: student text, so the cost stays linear in its length
# (the former regex ``^[ \t]*(?:[%!]|[\w.,\[\] \t]+=[ \t]*[%!])`` took minutes on one line of
# 1,000,000 spaces: quadratic backtracking at every start position).
_TARGET = re.compile(r"[\w.,\[\] \t]*")  # what may stand left of ``=`` in ``x, y[0] = !cmd``


def _syntax_lines(source: str) -> list[int]:
    """Indices (in ``source.split("\\n")``) of the lines with IPython syntax; one linear pass."""
    out = []
    for i, line in enumerate(source.split("\n")):
        body = line.lstrip(" \t")
        if body[:1] in ("%", "!"):
            out.append(i)
            continue
        end = _TARGET.match(line).end()  # greedy, and nothing after it can fail: no backtracking
        if 0 < end < len(line) and line[end] == "=" and line[end + 1 :].lstrip(" \t")[:1] in ("%", "!"):
            out.append(i)
    return out


def has_ipython_syntax(source: str) -> bool:
    return bool(_syntax_lines(source))


# IPython's TransformerManager re-tokenizes the whole cell once per transformed line (measured:
# 10 magics in a 100 KB cell take 5.6 s, 400 take 160 s, and 500 raise RuntimeError), so it only
# sees cells as small as any real notebook's; bigger ones get the line-wise conversion below.
IPYTHON_MAX_CHARS = 10_000
IPYTHON_MAX_LINES = 10


def _linewise(source: str, hits: list[int]) -> str:
    """Magic and shell lines become ``pass`` (``x = !ls`` becomes ``x = None``), indentation kept."""
    lines = source.split("\n")
    for i in hits:
        line = lines[i]
        body = line.lstrip(" \t")
        if body[:1] in ("%", "!"):
            lines[i] = line[: len(line) - len(body)] + "pass"
        else:
            end = _TARGET.match(line).end()
            lines[i] = line[: end + 1] + " None"
    return "\n".join(lines)


def to_python(source: str) -> str:
    """IPython syntax (``%magic``, ``!shell``) to plain Python; magics become no-op calls."""
    hits = _syntax_lines(source)
    if not hits:
        return source  # plain Python (``%`` as modulo, ``!=``): IPython would return it unchanged
    if len(source) > IPYTHON_MAX_CHARS or len(hits) > IPYTHON_MAX_LINES:
        return _linewise(source, hits)
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:  # pragma: no cover - IPython comes with nbgrader
        return _linewise(source, hits)
    try:
        return TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 - e.g. "Input transformation still changing after 500 iterations"
        return _linewise(source, hits)


@functools.lru_cache(maxsize=256)
def _trusted_python(source: str) -> str:
    """:func:`to_python` of a trusted setup cell, converted once per process (the same for every student)."""
    return to_python(source)


def setup_ids(source_nb) -> list[str]:
    return [gid for gid in index_cells(source_nb).order if gid.startswith(SETUP_PREFIX)]


def setup_imports(source_nb) -> set[str]:
    """Top-level modules the trusted setup cells import (the worker may load them early)."""
    import ast

    idx = index_cells(source_nb)
    names: set[str] = set()
    for gid in idx.order:
        if not gid.startswith(SETUP_PREFIX) or idx.by_id[gid].cell_type != "code":
            continue
        try:
            tree = ast.parse(to_python(idx.by_id[gid].source))
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.Import):
                names.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
    return names


def reference_program(assignment, source_nb) -> Program:
    """Setup and solution cells of the trusted source notebook."""
    idx = index_cells(source_nb)
    answer_ids = {e.id for e in assignment.auto_exercises}
    cells = []
    for gid in idx.order:
        cell = idx.by_id[gid]
        if cell.cell_type != "code":
            continue
        if gid.startswith(SETUP_PREFIX):
            cells.append(Cell(gid, "setup", to_python(cell.source)))
        elif gid in answer_ids:
            cells.append(Cell(gid, "answer", to_python(cell.source)))
    return Program(assignment.id, cells)


def student_program(assignment, source_nb, submission_nb) -> Program:
    """Setup cells from the source, answer cells from the submission, in the source's order."""
    src = index_cells(source_nb)
    sub = index_cells(submission_nb)
    answer_ids = {e.id for e in assignment.auto_exercises}
    cells, problems = [], {}
    for gid in src.order:
        scell = src.by_id[gid]
        if scell.cell_type != "code":
            continue
        if gid.startswith(SETUP_PREFIX):
            cells.append(Cell(gid, "setup", _trusted_python(scell.source)))
            continue
        if gid not in answer_ids:
            continue
        if gid in sub.duplicates:
            problems[gid] = f"grade_id '{gid}'인 셀이 여러 개입니다; 복사한 셀을 지우고 답안 셀 하나만 남기세요."
            continue
        cell = sub.by_id.get(gid)
        if cell is None:
            problems[gid] = (
                f"답안 셀 '{gid}'를 찾을 수 없습니다 (셀이 삭제되었거나 grade_id가 바뀌었습니다). "
                "배포된 노트북에서 셀을 다시 복사하세요."
            )
            continue
        if cell.cell_type != "code":
            problems[gid] = (
                f"답안 셀 '{gid}'가 code 셀이 아니라 {clean_name(cell.cell_type)} 셀입니다; code 셀로 되돌리세요."
            )
            continue
        cells.append(Cell(gid, "answer", to_python(cell.source)))
    return Program(assignment.id, cells, problems)
