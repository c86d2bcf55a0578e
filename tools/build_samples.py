"""Build the bundled sample class: samples/submitted/<student>/<assignment>/<assignment>.ipynb.

Students (nbgrader's submitted layout, also what `autograder batch` reads):
- full_marks: every answer cell holds the reference solution (as a student would write it, no markers);
- typical_bugs: the reference with the bugs listed in tests/variants/a<id>.py SAMPLE;
- blank: the released notebook as handed out (stubs).

Each notebook starts from the released notebook in assignments/, so it is exactly what a student
submits. Run `python tools/build_samples.py` after `autograder release`; tests/test_samples.py checks
the committed files are what this produces.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from autograder.course import load_course  # noqa: E402
from autograder.extract import index_cells  # noqa: E402

STUDENTS = ("full_marks", "typical_bugs", "blank")
WRITTEN = "(샘플 답안) 핵심 개념을 자신의 말로 설명했습니다."


def strip_markers(source: str) -> str:
    return "\n".join(
        line for line in source.splitlines() if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION")
    )


def sample_bugs(aid: str) -> dict[str, str]:
    try:
        mod = importlib.import_module(f"variants.a{aid}")
    except ModuleNotFoundError:
        return {}
    by_name = {b.name: b for b in mod.BUGS}
    return {by_name[n].exercise: by_name[n].source for n in getattr(mod, "SAMPLE", [])}


def build(root: Path = ROOT, out: Path | None = None) -> list[Path]:
    tree = load_course(root)
    out = out or root / "samples" / "submitted"
    written = []
    for a in tree.model.assignments:
        release, source = tree.release_notebook(a), tree.source_notebook(a)
        if not release.exists() or not source.exists():
            continue
        src = index_cells(nbformat.read(str(source), as_version=4)).by_id
        bugs = sample_bugs(a.id)
        for student in STUDENTS:
            nb = nbformat.read(str(release), as_version=4)
            for cell in nb.cells:
                meta = cell.get("metadata", {}).get("nbgrader", {})
                gid = meta.get("grade_id")
                if student == "blank" or not meta.get("solution"):
                    continue
                if cell.cell_type == "markdown":
                    cell.source = WRITTEN
                elif student == "typical_bugs" and gid in bugs:
                    cell.source = bugs[gid].strip("\n")
                elif gid in src:
                    cell.source = strip_markers(src[gid].source)
            path = out / student / a.id / f"{a.id}.ipynb"
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, str(path))
            written.append(path)
    return written


if __name__ == "__main__":
    for p in build():
        print(p.relative_to(ROOT))
