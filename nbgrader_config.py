"""nbgrader configuration: nbgrader's course directory is this repository.

    source    = solutions/<id>/<id>.ipynb              (instructor notebooks, hidden tests)
    release   = assignments/<id>/<id>.ipynb            (generated: `autograder release`)
    submitted = submitted/<student>/<id>/<id>.ipynb    (nbgrader collect, or copied in)
    autograded/, feedback/                             (nbgrader output, git-ignored)
    gradebook = .cache/nbgrader/gradebook.db           (never committed)

Assignment ids and due dates come from course.yaml (synced into the gradebook each time
nbgrader starts). The course's fixes for nbgrader's traps (checksum warning on untouched
test cells, hidden tests shown in feedback, stderr zeroing a test cell) are applied by
autograder.nbgrader_ext.configure; see that module.

    nbgrader autograde 03_dropout        # from this folder
    nbgrader generate_feedback 03_dropout
    nbgrader export
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
if (ROOT / "autograder" / "__init__.py").exists() and str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # this checkout's engine, even if another one is installed

from autograder.nbgrader_ext import course_config  # noqa: E402

c = get_config()  # noqa: F821 - provided by nbgrader's config loader
course_config(c, ROOT)
