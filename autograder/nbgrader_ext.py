"""nbgrader, configured for this course: its traps handled, and a driver that runs its apps.

Traps of nbgrader 0.9 with hidden tests, and what we do (``configure`` applies all of it; the
repository's ``nbgrader_config.py`` calls it):

- *Checksum warning on untouched test cells.* ``generate_assignment`` records a test cell's
  checksum *with* its hidden tests, then strips them from the release; ``autograde`` then finds
  the (untouched) released cell's checksum changed and logs "Attribute 'checksum' for cell
  test_x has changed!" for every test cell. :class:`RestoreHiddenTests` runs just before
  ``OverwriteCells``: a locked cell that equals the gradebook's source cell with its hidden
  region removed is given the source back, so only a cell the student really edited warns.
- *Hidden test source in the feedback.* ``generate_feedback`` renders the autograded notebook,
  whose test cells hold the hidden tests. We add nbgrader's own ``ClearHiddenTests`` to the
  feedback preprocessors (after ``GetGrades``, so scores are read first); the cell's output
  (the exercise's score and check verdicts) stays.
- *Autograde re-runs the training demos.* nbgrader executes every cell, experiments included
  (tens of seconds per notebook). :class:`SkipExperiments` blanks code cells that carry no
  nbgrader metadata (experiments, plots) before execution, as ``autograder grade`` never runs
  them either; set ``c.SkipExperiments.enabled = False`` to run them.
- *A warning on stderr zeroes a test cell.* nbgrader gives 0 to a grade cell with any stderr
  output. ``Checks.run`` (autograder.notebook) already silences warnings and stderr while
  checks run; :class:`DropStderrInTestCells` additionally removes stderr *stream* outputs of
  test cells before grades are read (an exception is an ``error`` output, which still
  scores 0), so a C-level warning printed by torch cannot zero a cell either.
- *Validate says "Partial credit" for every test cell.* nbgrader's Validate prints "Partial
  credit; passed some but not all of the tests" for any numeric cell value below the cell's
  points, 0 included, and a released cell (public checks only) can never reach its points.
  Under Validate (``NBGRADER_VALIDATING``) ``Checks.run`` therefore returns no value when
  every check passed and otherwise writes its own verdict ("공개 검사 0/2.5점 ...: no check
  passed") to stderr, which Validate shows instead (``autograder.notebook._for_validator``).
"""

from __future__ import annotations

import json
import os
import sys

from traitlets import Bool

# nbgrader's gradebook runs the `alembic` command found on PATH; in a virtual environment that
# was not activated (`.venv/bin/nbgrader ...`, CI) that is missing. Use this interpreter's bin/.
_BIN = os.path.dirname(sys.executable)
if _BIN not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _BIN + os.pathsep + os.environ.get("PATH", "")

try:  # nbgrader is an instructor dependency; students never import this module
    from nbgrader.preprocessors import NbGraderPreprocessor
    from nbgrader.preprocessors.clearhiddentests import ClearHiddenTests
except ImportError:  # pragma: no cover
    NbGraderPreprocessor = object  # type: ignore[misc,assignment]
    ClearHiddenTests = None  # type: ignore[assignment]


def _strip_hidden(source: str) -> str:
    out, inside = [], False
    for line in source.split("\n"):
        if "BEGIN HIDDEN TESTS" in line:
            inside = True
        elif "END HIDDEN TESTS" in line:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


class RestoreHiddenTests(NbGraderPreprocessor):
    """Give untouched test cells their hidden tests back before OverwriteCells compares checksums."""

    def preprocess(self, nb, resources):
        from nbgrader.api import Gradebook, MissingEntry

        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gb:
            for cell in nb.cells:
                meta = cell.get("metadata", {}).get("nbgrader", {})
                gid = meta.get("grade_id")
                if not gid or not meta.get("locked"):
                    continue
                try:
                    src = gb.find_source_cell(gid, info["notebook"], info["assignment"])
                except MissingEntry:
                    continue
                if src.source != cell.source and _strip_hidden(src.source) == cell.source:
                    cell.source = src.source
        return nb, resources


class SkipExperiments(NbGraderPreprocessor):
    """Blank the code cells without nbgrader metadata (experiments, plots) before autograde runs."""

    enabled = Bool(True).tag(config=True)
    placeholder = "# 실험 셀: 자동 채점에서는 실행하지 않습니다 (experiment cell, not run while autograding)"

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and "nbgrader" not in cell.get("metadata", {}):
            cell.source = self.placeholder
            cell.outputs = []
        return cell, resources


class DropStderrInTestCells(NbGraderPreprocessor):
    """Remove stderr stream outputs of auto-graded test cells (errors stay and still score 0)."""

    enabled = Bool(True).tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            cell.outputs = [
                o for o in cell.outputs if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            ]
        return cell, resources


def configure(c, root=None) -> None:
    """Apply this course's nbgrader settings to a traitlets Config ``c``."""
    from nbgrader.converters.autograde import Autograde
    from nbgrader.converters.generate_feedback import GenerateFeedback
    from nbgrader.preprocessors import Execute, GetGrades, OverwriteCells, SaveAutoGrades

    def default(cls, name):
        return list(cls.class_traits()[name].default())

    sanitize = default(Autograde, "sanitize_preprocessors")
    sanitize.insert(sanitize.index(OverwriteCells), RestoreHiddenTests)
    c.Autograde.sanitize_preprocessors = sanitize
    graded = default(Autograde, "autograde_preprocessors")
    graded.insert(graded.index(Execute), SkipExperiments)
    graded.insert(graded.index(SaveAutoGrades), DropStderrInTestCells)
    c.Autograde.autograde_preprocessors = graded
    feedback = default(GenerateFeedback, "preprocessors")
    feedback.insert(feedback.index(GetGrades) + 1, ClearHiddenTests)
    c.GenerateFeedback.preprocessors = feedback
    c.ClearHiddenTests.enforce_metadata = True
    # a test cell calls checks.run(...) which grades in a worker; give it room, then stop
    c.ExecutePreprocessor.timeout = 600
    c.Execute.timeout = 600
    c.Execute.interrupt_on_timeout = True


def course_config(c, root) -> None:
    """Map nbgrader's course directory onto the repository at ``root`` (see nbgrader_config.py)."""
    from pathlib import Path

    from .course import load_course

    tree = load_course(Path(root))
    c.CourseDirectory.root = str(tree.root)
    c.CourseDirectory.course_id = tree.model.course.id
    c.CourseDirectory.source_directory = "solutions"
    c.CourseDirectory.release_directory = "assignments"
    c.CourseDirectory.submitted_directory = "submitted"
    c.CourseDirectory.autograded_directory = "autograded"
    c.CourseDirectory.feedback_directory = "feedback"
    c.CourseDirectory.db_url = f"sqlite:///{tree.root / '.cache' / 'nbgrader' / 'gradebook.db'}"
    (tree.root / ".cache" / "nbgrader").mkdir(parents=True, exist_ok=True)
    configure(c, tree.root)
    sync_gradebook(c.CourseDirectory.db_url, tree)


def sync_gradebook(db_url: str, tree) -> None:
    """Assignment ids and due dates in nbgrader's gradebook come from course.yaml."""
    from nbgrader.api import Gradebook
    from nbgrader.utils import parse_utc

    with Gradebook(db_url, tree.model.course.id) as gb:
        for a in tree.model.assignments:
            gb.update_or_create_assignment(a.id, duedate=parse_utc(a.due))


def _generate(spec: dict) -> int:
    """Driver: ``generate_assignment`` for several assignments in one process (nbgrader's
    start-up costs ~10 s; each further assignment ~0.4 s)."""
    sys.modules.setdefault("rfc3987_syntax", None)
    from nbgrader.apps import NbGraderAPI
    from traitlets.config import Config

    c = Config()
    c.CourseDirectory.root = spec["root"]
    c.CourseDirectory.course_id = spec["course_id"]
    c.CourseDirectory.source_directory = "solutions"
    c.CourseDirectory.release_directory = spec["release_dir"]
    c.CourseDirectory.db_url = spec["db_url"]
    api = NbGraderAPI(config=c)
    for aid in spec["assignments"]:
        r = api.generate_assignment(aid, force=True, create=True)
        if not r.get("success"):
            print(f"generate_assignment {aid} failed:\n{r.get('error') or ''}\n{r.get('log') or ''}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":  # python -m autograder.nbgrader_ext generate '<json>'
    if len(sys.argv) == 3 and sys.argv[1] == "generate":
        sys.exit(_generate(json.loads(sys.argv[2])))
    print("usage: python -m autograder.nbgrader_ext generate JSON", file=sys.stderr)
    sys.exit(2)
