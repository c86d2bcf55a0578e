"""Buggy variants of each assignment's answers: realistic mistakes and the exact checks they fail.

One module per assignment, ``a<NN>_<name>.py`` (e.g. ``a03_dropout.py``), defining ``BUGS``,
a list of :class:`Bug`, and ``SAMPLE``, the names of the bugs that the bundled sample class's
"typical bugs" student makes.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Bug:
    name: str
    exercise: str  # the answer cell that is replaced
    source: str  # the whole answer cell as the student wrote it
    fails: frozenset = field(default_factory=frozenset)  # exactly the check ids that must not pass
    why: str = ""  # the misconception, in one line

    def __post_init__(self):
        object.__setattr__(self, "fails", frozenset(self.fails))
