"""Doing nothing earns nothing: answers that do nothing score 0 on every assignment.

Submissions are made from the released notebooks (what students receive) with every answer stub
``raise NotImplementedError()`` replaced by ``return None``, by ``pass``, or by ``return <first
argument>``, and graded by the real engine (``grade_paths``, public and hidden checks). Before checks
could name a prerequisite (``@check(..., requires=...)``), the first two earned 4.5/219 on seven
"does not modify its input" checks and the third 8/219.
"""

from __future__ import annotations

import re

import nbformat
import pytest
from helpers import course

from autograder.checks import check, load_checks
from autograder.pipeline import grade_paths
from autograder.verdict import run_checks

STUB = "raise NotImplementedError()"

# Where returning the first argument is the right answer for what the check asks, nothing else.
RETURNING_THE_INPUT_IS_CORRECT = {
    ("03_dropout", "backward_in_test_mode_is_identity"): "in test mode dropout is the identity, so dx = dout",
    ("03_dropout", "drop_path_is_identity_when_not_training"): "drop_path(x, p, training=False) is x",
}


def _first_param(def_line: str) -> str | None:
    m = re.match(r"\s*def (\w+)\((.*)", def_line)
    params = [p.split("=")[0].split(":")[0].strip() for p in m.group(2).rstrip("):").split(",")]
    params = [p for p in params if p and p != "self" and not p.startswith("*")]
    return None if m.group(1) == "__init__" or not params else params[0]


def fill_stubs(source: str, mode: str) -> tuple[str, int]:
    """``source`` with every stub replaced as ``mode`` says, and how many stubs there were."""
    lines, n = source.splitlines(), 0
    for i, line in enumerate(lines):
        if line.strip() != STUB:
            continue
        n += 1
        indent = line[: len(line) - len(line.lstrip())]
        j = i
        while not lines[j].lstrip().startswith("def "):
            j -= 1
        first = _first_param(lines[j])
        body = {"none": "return None", "pass": "pass"}.get(mode) or (f"return {first}" if first else "return None")
        lines[i] = indent + body
    return "\n".join(lines), n


def do_nothing_submission(mode: str, dest) -> int:
    tree, stubs = course(), 0
    for a in tree.model.assignments:
        nb = nbformat.read(str(tree.release_notebook(a)), as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.source, n = fill_stubs(cell.source, mode)
                stubs += n
        path = dest / a.id / f"{a.id}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(nb, str(path))
    return stubs


@pytest.mark.xdist_group("no_free_points")
@pytest.mark.parametrize("mode", ["none", "pass", "first"])
def test_do_nothing_answers_score_zero(mode, tmp_path):
    stubs = do_nothing_submission(mode, tmp_path)
    n_exercises = sum(len(a.auto_exercises) for a in course().model.assignments)
    assert stubs >= n_exercises  # every answer cell had at least one stub, and all were replaced
    results = grade_paths(course(), [tmp_path])
    assert [r.id for r in results] == [a.id for a in course().model.assignments]
    earned = {(r.id, c.id): c.score for r in results for c in r.checks if c.score > 0}
    allowed = RETURNING_THE_INPUT_IS_CORRECT if mode == "first" else {}
    assert set(earned) <= set(allowed), f"a do-nothing answer ({mode}) earns points: {earned}"
    assert sum(r.max_score for r in results) == sum(a.max_score for a in course().model.assignments)
    if mode == "none":  # a property check says which check must pass first
        by_id = {c.id: c for r in results for c in r.checks}
        blocked = by_id["spatial_dropout_does_not_modify_input"]
        assert blocked.status == "failed" and "whole_channel_maps_are_dropped_or_scaled" in blocked.message


def test_every_property_a_do_nothing_answer_has_names_its_main_check():
    """The checks that earned points for nothing before (issue 14) now each require a main check."""
    free_before = {
        "wn_input_is_not_mutated",
        "spatial_dropout_does_not_modify_input",
        "drop_path_does_not_modify_input",
        "cutout_does_not_modify_input",
        "erase_does_not_modify_input",
        "cutmix_does_not_modify_inputs",
        "leaves_input_and_parameter_gradients_untouched",
        "inputs_are_not_modified",
        "in_is_independent_of_the_batch",
        "channels_are_dropped_independently",
    }
    specs = {s.id: s for a in course().model.assignments for s in load_checks(course().checks_dir, a.id)}
    for cid in free_before:
        assert specs[cid].requires, cid
        main = specs[specs[cid].requires]
        assert main.exercise == specs[cid].exercise and not main.requires
    mutation = [s for s in specs.values() if re.search(r"not_modif|not_mutat|untouched", s.id)]
    assert len(mutation) >= 15 and all(s.requires for s in mutation), [s.id for s in mutation if not s.requires]


def _specs_of(**fns):
    import types

    from autograder.checks import _checks_in_module

    return _checks_in_module(types.SimpleNamespace(**fns), "public")


def test_prerequisite_is_honoured_in_order_and_validated(tmp_path):
    from autograder.expect import fail

    def grade_with(main_passes: bool):
        @check("ex", points=1)
        def test_main():
            if not main_passes:
                fail("wrong")

        @check("ex", points=1, requires="main")
        def test_property():
            pass

        specs = _specs_of(test_main=test_main, test_property=test_property)
        assert [s.id for s in specs] == ["main", "property"]
        return {r.id: r for r in run_checks(specs, "a", student=None, reference=None)}

    ok, bad = grade_with(True), grade_with(False)
    assert ok["property"].score == 1 and ok["property"].status == "passed"
    assert bad["property"].score == 0 and bad["property"].status == "failed" and "'main'" in bad["property"].message

    folder = tmp_path / "x"
    folder.mkdir()
    (folder / "public.py").write_text(
        "from autograder.checks import check\n"
        "@check('ex', points=1, requires='later')\ndef test_first():\n    pass\n"
        "@check('ex', points=1)\ndef test_later():\n    pass\n"
    )
    with pytest.raises(ValueError, match="requires 'later'"):
        load_checks(tmp_path, "x")


ZEROS = {  # all-zero outputs: right for "everything dropped", so those checks need the main output right too
    "spatial_dropout": "def spatial_dropout(x, p, rng):\n    return np.zeros(np.shape(x))\n",
    "drop_path": "def drop_path(x, p, training, rng):\n    return np.zeros(np.shape(x))\n",
    "dropblock": "def dropblock(x, mask):\n    return np.zeros(np.shape(x))\n",
}


@pytest.mark.xdist_group("03_dropout")
@pytest.mark.parametrize("exercise", sorted(ZEROS))
def test_an_all_zero_output_earns_nothing(exercise):
    from helpers import grade

    res = grade("03_dropout", {exercise: ZEROS[exercise]})
    earned = {c.id: c.score for c in res.checks if c.exercise == exercise and c.score > 0}
    assert not earned, earned
