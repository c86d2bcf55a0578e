"""The grading engine, stage by stage, on the tiny course (tests/tiny_course.py).

Each test is written so that it fails if the engine is wrong: verdicts are asserted per check
with their status, not just "it ran".
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest
import tiny_course as T

from autograder import expect, stats
from autograder.course import load_course, validate_course
from autograder.errors import InputError
from autograder.extract import reference_program, student_program
from autograder.load import load_notebook
from autograder.pipeline import grade_paths
from autograder.report import to_json

GOOD = {"scale": T.SCALE, "sample_coin": T.COIN}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = T.write_course(tmp_path_factory.mktemp("tiny"))
    return load_course(root)


def verdicts(results):
    return {c.id: c.status for r in results for c in r.checks}


def grade(course, name, answers, **kw):
    return grade_paths(course, [T.submission(course.root, name, answers)], **kw)


# -- load -------------------------------------------------------------------------------
def test_load_rejects_non_notebooks_with_one_line(tmp_path):
    cases = {
        "empty.ipynb": b"",
        "text.ipynb": b"hello",
        "trunc.ipynb": b'{"cells": [',
        "v3.ipynb": json.dumps({"nbformat": 3, "nbformat_minor": 0, "worksheets": [], "metadata": {}}).encode(),
        "list.ipynb": b"[1, 2]",
        "binary.ipynb": bytes(range(256)),
    }
    expected = {
        "empty.ipynb": "빈 파일",
        "text.ipynb": "JSON이 깨졌습니다",
        "trunc.ipynb": "JSON이 깨졌습니다",
        "v3.ipynb": "nbformat 3",
        "list.ipynb": "Jupyter 노트북이 아닙니다",
        "binary.ipynb": "UTF-8",
    }
    for name, data in cases.items():
        p = tmp_path / name
        p.write_bytes(data)
        with pytest.raises(InputError) as info:
            load_notebook(p)
        msg = str(info.value)
        assert "\n" not in msg and msg.startswith(str(p)) and expected[name] in msg, msg


# -- extract ----------------------------------------------------------------------------
def test_extract_takes_answers_from_submission_and_setup_from_source(course):
    a = course.model.assignment("00_tiny")
    src = load_notebook(course.source_notebook(a))
    sub_path = T.submission(course.root, "extract", {"scale": "def scale(x, a):\n    return 0"})
    sub = load_notebook(sub_path)
    for cell in sub.cells:  # a student edits the locked setup cell: must be ignored
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "setup_imports":
            cell.source = "import numpy as np\nnp.allclose = lambda *a, **k: True"
    prog = student_program(a, src, sub)
    ids = [(c.kind, c.id) for c in prog.cells]
    assert ids == [("setup", "setup_imports"), ("answer", "scale"), ("answer", "sample_coin")]
    assert "np.allclose" not in prog.cells[0].source
    assert prog.cells[1].source.strip().endswith("return 0")
    assert not any("experiment" in c.source for c in prog.cells), "experiment cells are never run"
    ref = reference_program(a, src)
    assert "BEGIN SOLUTION" in ref.cells[1].source


def test_extract_reports_deleted_markdown_and_duplicated_answer_cells(course):
    a = course.model.assignment("00_tiny")
    src = load_notebook(course.source_notebook(a))
    sub = load_notebook(T.submission(course.root, "broken-cells", GOOD))
    sub.cells = [c for c in sub.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "scale"]
    coin = next(c for c in sub.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "sample_coin")
    sub.cells.append(nbformat.v4.new_code_cell(coin.source, metadata=coin.metadata))
    prog = student_program(a, src, sub)
    assert "찾을 수 없습니다" in prog.problems["scale"]
    assert "여러 개" in prog.problems["sample_coin"]
    sub2 = load_notebook(T.submission(course.root, "md-cell", GOOD))
    for c in sub2.cells:
        if c.metadata.get("nbgrader", {}).get("grade_id") == "scale":
            c.cell_type = "markdown"
    assert "markdown" in student_program(a, src, sub2).problems["scale"]


# -- run + verdict ----------------------------------------------------------------------
def test_full_marks_and_json_shape(course, tmp_path):
    res = grade(course, "good", GOOD)
    assert verdicts(res) == {
        "scale_matches_reference": "passed",
        "coin_rate_is_p": "passed",
        "scale_of_integer_list_is_float": "passed",
        "coin_values_are_zero_or_one": "passed",
    }
    data = to_json(res)
    assert data["score"] == data["max_score"] == 5
    (a,) = data["assignments"]
    assert set(a) >= {"id", "score", "max_score", "checks"}
    assert set(a["checks"][0]) == {"id", "exercise", "score", "max_score", "status", "message", "visibility"}
    assert a["manual"] == [{"id": "written_why", "points": 1.0}]


def test_patching_numpy_testing_in_student_process_does_not_pass_a_wrong_answer(course):
    wrong = """
import numpy as np, numpy.testing, builtins
numpy.testing.assert_allclose = lambda *a, **k: None
np.allclose = lambda *a, **k: True
np.testing.assert_array_equal = lambda *a, **k: None
builtins.abs = lambda x: 0
def scale(x, a):
    return np.asarray(x, dtype=np.float64) * (a + 1)
"""
    res = grade(course, "patch", {"scale": wrong, "sample_coin": T.COIN})
    v = verdicts(res)
    assert v["scale_matches_reference"] == "failed" and v["scale_of_integer_list_is_float"] == "failed"
    assert v["coin_rate_is_p"] == "passed", "other exercises are unaffected"


def test_breaking_builtins_in_student_process_earns_nothing(course):
    wrong = (
        "import builtins\nbuiltins.isinstance = lambda *a: True\n"
        "def scale(x, a):\n    return 2 * a * np.asarray(x, float)\n"
    )
    res = grade(course, "builtins", {"scale": wrong, "sample_coin": T.COIN})
    assert {c.status for c in res[0].checks if c.exercise == "scale"} <= {"failed", "error"}
    assert res[0].score <= 2  # at most the (correct) sample_coin exercise


@pytest.mark.parametrize("exit_code", ["import sys\nsys.exit(0)", "import os\nos._exit(0)"])
def test_exit_in_answer_cell_scores_only_that_exercise_zero(course, exit_code):
    res = grade(course, "exit", {"scale": exit_code + "\ndef scale(x, a):\n    return a * x\n", "sample_coin": T.COIN})
    v = verdicts(res)
    assert v["scale_matches_reference"] == "error"
    assert v["coin_rate_is_p"] == v["coin_values_are_zero_or_one"] == "passed"
    assert res[0].score == 2


def test_exit_inside_a_call_is_an_error_not_a_pass(course):
    res = grade(course, "exit-call", {"scale": "import os\ndef scale(x, a):\n    os._exit(0)\n", "sample_coin": T.COIN})
    v = verdicts(res)
    assert v["scale_matches_reference"] == "error" and "종료" in res[0].checks[0].message
    assert v["coin_rate_is_p"] == "passed"


def test_infinite_loop_times_out_and_the_rest_is_graded(course):
    res = grade(course, "loop", {"scale": "def scale(x, a):\n    while True:\n        pass\n", "sample_coin": T.COIN})
    v = verdicts(res)
    assert v["scale_matches_reference"] == v["scale_of_integer_list_is_float"] == "timeout"
    assert v["coin_rate_is_p"] == v["coin_values_are_zero_or_one"] == "passed"


def test_infinite_loop_at_cell_top_level_is_skipped_on_restart(course):
    from autograder.run import Limits

    # the answer-cell limit stops the loop; setup keeps a limit no load reaches (issue 13)
    limits = Limits(call_timeout_s=3, setup_timeout_s=60, time_limit_s=60, memory_limit_mb=2048, cell_timeout_s=3)
    res = grade(course, "toploop", {"scale": "while True:\n    pass\n", "sample_coin": T.COIN}, limits=limits)
    v = verdicts(res)
    assert v["scale_matches_reference"] == "timeout"
    assert v["coin_rate_is_p"] == "passed"


def test_exception_message_names_exercise_type_and_student_line(course):
    bad = "def scale(x, a):\n    y = np.asarray(x)\n    return y @ np.ones((7, 7))\n"
    res = grade(course, "raise", {"scale": bad, "sample_coin": T.COIN})
    msg = res[0].checks[0].message
    assert res[0].checks[0].status == "error"
    assert "'scale' 실행 중 ValueError" in msg and "셀 'scale' 3번째 줄" in msg and "y @ np.ones((7, 7))" in msg


def test_wrong_distribution_fails_only_the_distribution_check(course):
    flipped = "def sample_coin(n, p, rng):\n    return (rng.random(n) < 1 - p).astype(np.int64)\n"
    v = verdicts(grade(course, "flip", {"scale": T.SCALE, "sample_coin": flipped}))
    assert v["coin_rate_is_p"] == "failed" and v["coin_values_are_zero_or_one"] == "passed"


def test_any_draw_order_passes(course):
    other_order = (
        "def sample_coin(n, p, rng):\n    u = rng.random(n)[::-1]\n    return (1 - (u >= p)).astype(np.int64)\n"
    )
    v = verdicts(grade(course, "order", {"scale": T.SCALE, "sample_coin": other_order}))
    assert v["coin_rate_is_p"] == "passed"


def test_public_only_runs_no_hidden_check(course):
    res = grade(course, "public", GOOD, visibilities=("public",))
    assert {c.visibility for c in res[0].checks} == {"public"} and res[0].max_score == 3


def test_validate_finds_points_disagreeing_with_checks(course, tmp_path):
    assert validate_course(course, release=False) == []
    bad = Path(tmp_path) / "c"
    T.write_course(bad)
    text = (bad / "course.yaml").read_text().replace("{id: scale, points: 3}", "{id: scale, points: 4}")
    (bad / "course.yaml").write_text(text)
    problems = validate_course(load_course(bad), release=False)
    assert any("exercises[0].points: 4 here but" in p and "test_scale" not in p for p in problems), problems
    assert any("checks of 'scale' add up to 3" in p for p in problems), problems


# -- expect / stats ---------------------------------------------------------------------
def test_allclose_message_names_worst_element_index_values_and_tolerance():
    want = np.zeros((3, 4))
    got = want.copy()
    got[2, 1] = 0.5
    got[0, 0] = 1e-13
    with pytest.raises(expect.CheckFailed) as info:
        expect.allclose(got, want, name="out")
    msg = str(info.value)
    assert (
        "index (2, 1)" in msg and "학생 값 0.5" in msg and "기대값 0" in msg and "rtol=1e-10" in msg and "1/12" in msg
    )


def test_allclose_states_shape_and_dtype_mismatches():
    with pytest.raises(expect.CheckFailed, match="shape이 다릅니다 — 기대 \\(2, 3\\), 학생 \\(3, 2\\)"):
        expect.allclose(np.zeros((3, 2)), np.zeros((2, 3)))
    with pytest.raises(expect.CheckFailed, match="dtype이 다릅니다 — 기대 float64, 학생 float32"):
        expect.allclose(np.zeros(3, np.float32), np.zeros(3))
    with pytest.raises(expect.CheckFailed, match="NaN"):
        expect.allclose(np.array([np.nan, 1.0]), np.array([0.0, 1.0]))
    with pytest.raises(expect.CheckFailed, match="배열"):
        expect.allclose(None, np.zeros(3))


def test_proportion_bound_has_its_stated_false_failure_rate():
    rng = np.random.default_rng(0)
    n, p, fp = 1000, 0.3, 0.05  # a loose level so the rate is measurable
    fails = 0
    for _ in range(2000):
        try:
            stats.proportion(int(rng.binomial(n, p)), n, p, fail_prob=fp)
        except expect.CheckFailed:
            fails += 1
    assert fails / 2000 <= fp + 0.02
    with pytest.raises(expect.CheckFailed):
        stats.proportion(int(0.7 * n), n, p)


@pytest.mark.parametrize("n,p", [(60, 0.3), (20000, 0.7), (10**6, 0.05)])
def test_exact_binomial_region_matches_scipy(n, p):
    from scipy import stats as st

    assert stats.binom_region(n, p, 1e-7) == (int(st.binom.ppf(5e-8, n, p)), int(st.binom.isf(5e-8, n, p)))


@pytest.mark.parametrize("dof", [5, 999, 40000])
def test_chi2_quantiles_and_normal_tails_match_scipy(dof):
    from scipy import stats as st

    np.testing.assert_allclose(stats.chi2_ppf(5e-8, dof), st.chi2.ppf(5e-8, dof), rtol=1e-9)
    np.testing.assert_allclose(stats.chi2_ppf(1 - 5e-8, dof), st.chi2.isf(5e-8, dof), rtol=1e-9)
    np.testing.assert_allclose(stats.normal_isf(5e-8), st.norm.isf(5e-8), rtol=1e-9)
    x = np.linspace(-4, 4, 33)
    np.testing.assert_allclose(stats.normal_cdf(0.5, 2.0)(x), st.norm.cdf(x, 0.5, 2.0), atol=1e-15)


def test_dkw_accepts_the_right_distribution_and_rejects_a_wrong_scale():
    rng = np.random.default_rng(1)
    stats.dkw(rng.uniform(-2, 2, 5000), stats.uniform_cdf(-2, 2))
    with pytest.raises(expect.CheckFailed, match="DKW"):
        stats.dkw(rng.uniform(-1.8, 1.8, 5000), stats.uniform_cdf(-2, 2))
    stats.variance_normal(rng.normal(0, 0.3, 4000), 0.09)
    with pytest.raises(expect.CheckFailed):
        stats.variance_normal(rng.normal(0, 0.33, 4000), 0.09)


# -- CLI --------------------------------------------------------------------------------
def run_cli(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "autograder", *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def test_cli_grade_writes_json_and_exits_zero_whatever_the_score(course, tmp_path):
    sub = T.submission(course.root, "cli", {})
    out = tmp_path / "r.json"
    p = run_cli("grade", str(sub), "--json", str(out), cwd=course.root)
    assert p.returncode == 0, p.stderr
    data = json.loads(out.read_text())
    assert data["score"] == 0 and data["max_score"] == 5
    assert "총점" in p.stdout and "Traceback" not in p.stdout + p.stderr


def test_cli_not_a_notebook_is_one_line_exit_3(course, tmp_path):
    bad = tmp_path / "00_tiny.ipynb"
    bad.write_text("not json")
    p = run_cli("grade", str(bad), cwd=course.root)
    assert p.returncode == 3, (p.stdout, p.stderr)
    lines = [line for line in p.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and str(bad) in lines[0] and "Traceback" not in p.stderr


def test_cli_bad_notebook_among_good_ones_keeps_the_good_grades(course, tmp_path):
    folder = tmp_path / "student"
    T.write_course(tmp_path / "c2")
    good = T.submission(course.root, "mixed", GOOD)
    (folder / "00_tiny").mkdir(parents=True)
    (folder / "00_tiny" / "00_tiny.ipynb").write_text('{"cells": [')
    out = tmp_path / "r.json"
    p = run_cli("grade", str(folder), "--json", str(out), cwd=course.root)
    assert p.returncode == 3, p.stderr
    data = json.loads(out.read_text())
    assert data["assignments"][0]["score"] == 0 and "JSON" in data["assignments"][0]["problem"]
    p2 = run_cli("grade", str(good), "--json", str(out), cwd=course.root)
    assert p2.returncode == 0 and json.loads(out.read_text())["score"] == 5


def test_cli_check_runs_public_checks_only(course, tmp_path):
    out = tmp_path / "r.json"
    p = run_cli("check", str(T.submission(course.root, "check", GOOD)), "--json", str(out), cwd=course.root)
    assert p.returncode == 0, p.stderr
    data = json.loads(out.read_text())
    assert data["max_score"] == 3 and all(c["visibility"] == "public" for c in data["assignments"][0]["checks"])


def test_help_documents_exit_statuses():
    p = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", "--help"], capture_output=True, text=True, check=True
    )
    assert "exit status" in p.stdout and "3  grading ran, but some notebook could not be read" in p.stdout


# -- in the notebook (public checks, nbgrader's hidden cells) ----------------------------
def test_checks_inside_a_kernel_report_partial_credit_and_never_raise(course):
    from nbclient import NotebookClient

    path = T.submission(
        course.root,
        "kernel",
        {"scale": "def scale(x, a):\n    return (a + 1) * np.asarray(x, float)\n", "sample_coin": T.COIN},
    )
    nb = nbformat.read(str(course.source_notebook(course.model.assignment("00_tiny"))), as_version=4)
    sub = nbformat.read(str(path), as_version=4)
    by_id = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in sub.cells}
    for c in nb.cells:  # the source notebook (hidden tests in place) with the student's answers
        gid = c.metadata.get("nbgrader", {}).get("grade_id")
        if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code":
            c.source = by_id[gid].source
    nb.cells = [c for c in nb.cells if "SystemExit" not in c.source]
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    outs = {
        c.metadata["nbgrader"]["grade_id"]: c.outputs
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"
    }
    scale_out = [o for o in outs["test_scale"] if o.output_type == "execute_result"]
    assert scale_out[0].data["text/plain"] == "0" and "text/html" in scale_out[0].data
    assert not any(o.output_type == "error" or o.get("name") == "stderr" for os_ in outs.values() for o in os_)
    coin_out = [o for o in outs["test_sample_coin"] if o.output_type == "execute_result"]
    assert coin_out[0].data["text/plain"] == "2"


def test_check_files_run_under_pytest_itself(course, tmp_path):
    import shutil

    shutil.copy(
        Path(__file__).resolve().parent.parent / "checks" / "conftest.py", course.root / "checks" / "conftest.py"
    )
    files = [str(course.root / "checks" / "00_tiny" / f) for f in ("public.py", "hidden.py")]
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--import-mode=importlib", *files]
    ok = subprocess.run(args, cwd=course.root, capture_output=True, text=True, timeout=300, check=False)
    assert ok.returncode == 0 and "4 passed" in ok.stdout, ok.stdout + ok.stderr
    bad = T.submission(
        course.root,
        "pytest-bad",
        {"scale": "def scale(x, a):\n    return 2 * np.asarray(x, float)\n", "sample_coin": T.COIN},
    )
    res = subprocess.run(
        [*args, "--notebook", str(bad)], cwd=course.root, capture_output=True, text=True, timeout=300, check=False
    )
    assert res.returncode == 1 and "2 failed" in res.stdout and "허용 오차" in res.stdout, res.stdout


def test_wire_round_trip_keeps_shapes_dtypes_and_refuses_objects():
    from autograder.wire import WireError, decode
    from autograder.worker import encode

    values = {
        "scalar": np.float64(2.5),
        "zero_d": np.array(3),
        "f32": np.float32(1.5),
        "t": np.arange(6.0).reshape(2, 3).T,
        "b": np.array([True, False]),
        "nested": [1, {"x": np.ones(2)}],
    }
    got = decode(json.loads(json.dumps(encode(values))))
    for key in ("scalar", "zero_d", "f32", "t", "b"):
        assert got[key].shape == np.shape(values[key]) and got[key].dtype == np.asarray(values[key]).dtype, key
        np.testing.assert_array_equal(got[key], values[key])
    assert got["nested"][0] == 1 and got["nested"][1]["x"].tolist() == [1.0, 1.0]
    with pytest.raises(TypeError):
        encode({"o": np.array([object()])})
    import base64
    import io

    buf = io.BytesIO()
    np.save(buf, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(WireError):
        decode({"__ndarray__": base64.b64encode(buf.getvalue()).decode()})


def test_dkw_is_exact_for_a_discrete_sampler():
    rng = np.random.default_rng(3)
    draws = rng.integers(0, 5, 20000).astype(float)
    stats.dkw(draws, lambda x: np.clip(np.floor(x) + 1, 0, 5) / 5)  # P(X <= x) of uniform{0..4}
    with pytest.raises(expect.CheckFailed):
        stats.dkw(rng.integers(0, 4, 20000).astype(float), lambda x: np.clip(np.floor(x) + 1, 0, 5) / 5)


# -- the wire: the fast .npy reader agrees with np.load and refuses what np.load refuses --
@pytest.mark.parametrize(
    "value",
    [
        np.arange(12.0).reshape(3, 4),
        np.float64(3.5),
        np.array(2.0),
        np.zeros((0, 3)),
        np.ones(5, bool),
        np.arange(6, dtype=">i4").reshape(2, 3),
        np.array([1 + 2j, -1j]),
        np.zeros((2, 0, 3), np.uint8),
        np.arange(70000.0),
        np.array([np.nan, np.inf, -0.0]),
        np.arange(4, dtype=np.float32),
    ],
)
def test_wire_fast_reader_equals_np_load(value):
    import io

    from autograder import wire
    from autograder.worker import encode

    for order in ("C", "F"):
        buf = io.BytesIO()
        np.save(buf, np.asarray(value, order=order), allow_pickle=False)
        raw = buf.getvalue()
        fast, slow = wire._fast_npy(raw), np.load(io.BytesIO(raw), allow_pickle=False)
        assert fast is not None, "np.save's own header must take the fast path"
        assert fast.dtype == slow.dtype and fast.shape == slow.shape and fast.flags.writeable
        np.testing.assert_array_equal(fast, slow)
    got = wire.decode(encode({"v": value}))["v"]
    assert got.dtype == np.asarray(value).dtype and got.shape == np.shape(value)
    np.testing.assert_array_equal(got, value)


def test_wire_fast_reader_refuses_wrong_lengths_and_leaves_odd_headers_to_np_load():
    import base64
    import io

    from autograder import wire

    buf = io.BytesIO()
    np.save(buf, np.arange(4.0))
    raw = buf.getvalue()
    for bad in (raw[:-8], raw + b"\0" * 8):  # the header says 4 float64s
        with pytest.raises(wire.WireError, match="배열 출력을 읽을 수 없습니다"):
            wire.decode({"__ndarray__": base64.b64encode(bad).decode()})
    odd = raw.replace(b"'descr': '<f8'", b"'descr':'<f8' ")  # valid for np.load, not the plain form
    assert wire._fast_npy(odd) is None
    np.testing.assert_array_equal(wire.decode({"__ndarray__": base64.b64encode(odd).decode()}), np.arange(4.0))


@pytest.mark.parametrize(
    "source",
    [
        "%matplotlib inline\nimport numpy as np",
        "  !pip install numpy",
        "files = !ls",
        "t = %time f()",
        "%%timeit\nf()",
        "a[0] = %env HOME",
    ],
)
def test_ipython_syntax_becomes_python(source):
    from IPython.core.inputtransformer2 import TransformerManager

    from autograder.extract import to_python

    got = to_python(source)
    assert got == TransformerManager().transform_cell(source) and "get_ipython()" in got
    compile(got, "<cell>", "exec")


def test_plain_python_with_percent_and_bang_is_left_alone():
    from autograder.extract import to_python

    source = "x = 5 % 3\nprint('%d%%' % x)\nif x != 2:\n    y = {'!': 1}\n"
    assert to_python(source) is source


# -- worker templates (batch grading) ---------------------------------------------------
needs_template = pytest.mark.skipif(
    not __import__("autograder.run").run.Template.supported(), reason="no pidfd / SCM_RIGHTS on this platform"
)


@needs_template
def test_a_dead_template_falls_back_to_starting_workers_and_grades_the_same(course):
    from autograder.run import Template

    tpl = Template(["numpy"])
    info: dict = {}
    assert verdicts(grade(course, "tpl-good", GOOD, template=tpl, info=info)) == dict.fromkeys(
        ("scale_matches_reference", "coin_rate_is_p", "scale_of_integer_list_is_float", "coin_values_are_zero_or_one"),
        "passed",
    )
    assert info["workers"] == {"forked": 1, "started": 0}
    tpl.proc.kill()
    tpl.proc.wait()
    info = {}
    res = grade(course, "tpl-after", {"scale": T.SCALE}, template=tpl, info=info)
    assert info["workers"] == {"forked": 0, "started": 1} and not tpl.ok
    assert verdicts(res)["scale_matches_reference"] == "passed" and verdicts(res)["coin_rate_is_p"] == "error"
    tpl.close()


@needs_template
def test_a_template_dies_with_the_process_that_started_it(tmp_path):
    code = (
        "import os, sys\nfrom autograder.run import Template\nt = Template(['math'])\n"
        "print(t.proc.pid, t.ok, flush=True)\nos._exit(0)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    ).stdout.split()
    pid, ok = int(out[0]), out[1]
    assert ok == "True"
    deadline = time.time() + 10
    while time.time() < deadline and _alive(pid):
        time.sleep(0.05)
    assert not _alive(pid), "the template outlived its grader"


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/status").read_text().split("State:")[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


@needs_template
def test_a_template_started_by_a_thread_outlives_that_thread():
    """Dask runs students on executor threads: the thread that started the template may end while the
    grader process goes on. The template watches the process (pidfd), not the thread (PR_SET_PDEATHSIG,
    which killed it here, so every later student started a worker the slow way)."""
    import threading

    from autograder.run import Template

    box = []
    t = threading.Thread(target=lambda: box.append(Template(["math"])))
    t.start()
    t.join()
    tpl = box[0]
    try:
        time.sleep(0.5)  # PR_SET_PDEATHSIG's SIGKILL would have landed by now
        assert tpl.ok and tpl.proc.poll() is None, "the template died with the thread that started it"
        child = tpl.fork({"log": os.devnull}, env={}, cwd="/", rlimits=())
        assert child is not None, "the template no longer forks workers"
        child.kill()
        child.wait(10)
    finally:
        tpl.close()


def test_a_finished_programs_unused_time_goes_to_the_programs_still_waiting():
    """run.TimeBudget (was spread over ProcessSession): 90 s over three notebooks; the first finishes
    after 10 s, so the two still to come get 30 + 20/2 s each, and a finished one keeps its own share."""
    from autograder.run import TimeBudget

    b = TimeBudget(90.0)
    for key in "abc":
        b.add(key)
    assert b.share("a") == b.share("c") == 30
    b.spent["a"] = 10.0
    b.finished.add("a")
    assert b.share("b") == b.share("c") == 40 and b.share("a") == 30
    b.spent["b"] = 45.0
    assert b.remaining("b") == -5 and b.used_up("b") and not b.used_up("c")
    b.expired.add("c")
    assert b.used_up("c")
    b.renew()
    assert b.spent == dict.fromkeys("abc", 0.0) and not b.finished and not b.expired and b.share("b") == 30
    b.forget("c")
    assert b.share("a") == 45
