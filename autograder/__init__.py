"""Grading engine for the Lecture 09 course module (initialization, normalization, regularization).

Pipeline, one module per stage: :mod:`load` -> :mod:`extract` -> :mod:`run` -> :mod:`verdict`
-> :mod:`report`. Checks are written with :mod:`autograder.checks`, :mod:`autograder.expect`
and :mod:`autograder.stats`.
"""

# The one version source: pyproject.toml reads it (setuptools dynamic version), the student package
# (autograder/student.py) ships this file and writes it into its own metadata.
__version__ = "0.1.0"

import sys as _sys

# jsonschema (imported by nbformat) loads the optional IRI checker `rfc3987_syntax` when it is
# installed (nbgrader's dependencies pull it in); that module compiles a grammar at import and
# costs ~1.3 s per process. Notebook validation never uses the "iri" format, so skip it.
_sys.modules.setdefault("rfc3987_syntax", None)
