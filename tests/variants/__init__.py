"""Buggy variants of each assignment's answers: realistic mistakes and the exact checks they fail.

One module per assignment, ``a<NN>_<name>.py`` (e.g. ``a03_dropout.py``), defining ``BUGS``,
a list of :class:`Bug`, and ``SAMPLE``, the names of the bugs that the bundled sample class's
"typical bugs" student makes.

Every bug is also marked (``tests/test_variant_verdicts.py`` enforces it, docs/authoring.md explains it):
``kind`` is ``"convention"`` (it breaks something the docstring pins and shows on the exercise's ordinary
call, so ``autograder check`` must already fail it) or ``"edge"`` (it shows only on other shapes, non-default
arguments, degenerate inputs, side effects or many draws: hidden checks may be the first to catch it);
``hint`` is a phrase that the first failing check's message (in report order) must contain, naming the
mistake itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class Bug:
    name: str
    exercise: str  # the answer cell that is replaced
    source: str  # the whole answer cell as the student wrote it
    fails: frozenset = field(default_factory=frozenset)  # exactly the check ids that must not pass
    why: str = ""  # the misconception, in one line
    kind: str = ""  # "convention" or "edge" (see the module docstring)
    hint: str = ""  # a phrase the first failing check's message must contain

    def __post_init__(self):
        object.__setattr__(self, "fails", frozenset(self.fails))


KINDS = ("convention", "edge")


def mark(bugs, marks: dict) -> list:
    """``bugs`` with ``kind`` and ``hint`` set from ``marks`` (name -> (kind, hint)); a name that is
    not a bug is an error, a bug left unmarked is caught by tests/test_variant_verdicts.py."""
    names = {b.name for b in bugs}
    unknown = set(marks) - names
    if unknown:
        raise ValueError(f"marks for unknown variants: {sorted(unknown)}")
    return [replace(b, kind=marks[b.name][0], hint=marks[b.name][1]) if b.name in marks else b for b in bugs]
