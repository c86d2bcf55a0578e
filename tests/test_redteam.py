"""Hostile submissions (issue 9). Each case states the exact verdict of every check.

The tiny course (tests/tiny_course.py) has four checks worth 5 points:

    scale:       scale_matches_reference (2, public), scale_of_integer_list_is_float (1, hidden)
    sample_coin: coin_rate_is_p (1, public),         coin_values_are_zero_or_one (1, hidden)

Unless a case says otherwise the hostile code sits in ``scale`` and ``sample_coin`` is answered
correctly, so every case also proves that the other exercise is still graded. The grader's
process holds a fake token in its environment, and the course holds a canary file in
``solutions/``; no output the student controls may contain either.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest
import tiny_course as T

from autograder import wire
from autograder.course import load_course
from autograder.pipeline import grade_paths
from autograder.report import to_json
from autograder.run import Limits

SECRET = "ghp_CANARYTOKEN0123456789abcdefSECRET"
CANARY = "CANARY-solution-file-7f3a9e"
GOOD_SCALE = "def scale(x, a):\n    return a * np.asarray(x, dtype=np.float64)\n"
GOOD_COIN = "def sample_coin(n, p, rng):\n    return (rng.random(n) < p).astype(np.int64)\n"
WRONG_SCALE = "def scale(x, a):\n    return np.asarray(x, dtype=np.float64) * (a + 1e-3)\n"

IDS = ("scale_matches_reference", "coin_rate_is_p", "scale_of_integer_list_is_float", "coin_values_are_zero_or_one")
POINTS = dict(zip(IDS, (2.0, 1.0, 1.0, 1.0), strict=True))
SCALE_IDS = ("scale_matches_reference", "scale_of_integer_list_is_float")


def expect_scale(status):
    """Verdict: both scale checks have ``status``; both coin checks pass."""
    return {
        "scale_matches_reference": status,
        "scale_of_integer_list_is_float": status,
        "coin_rate_is_p": "passed",
        "coin_values_are_zero_or_one": "passed",
    }


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = T.write_course(tmp_path_factory.mktemp("redteam"))
    y = (root / "course.yaml").read_text().replace("setup_timeout_s: 20", "setup_timeout_s: 60")
    (root / "course.yaml").write_text(y)
    (root / "solutions" / "CANARY.txt").write_text(CANARY)
    (root / "results").mkdir()
    (root / "results" / "grades.json").write_text('{"bob": 5}')
    os.environ["GITHUB_TOKEN"] = SECRET  # the grader's own environment holds a secret
    os.environ["AUTOGRADER_TEST_SECRET"] = SECRET
    yield load_course(root)
    os.environ.pop("GITHUB_TOKEN", None)
    os.environ.pop("AUTOGRADER_TEST_SECRET", None)


@pytest.fixture(scope="module")
def template():
    """A worker template, as batch grading uses (workers forked with numpy already imported)."""
    from autograder.run import Template

    if not Template.supported():
        pytest.skip("no pidfd / SCM_RIGHTS on this platform: batch grading starts every worker fresh")
    tpl = Template(["numpy"])
    assert tpl.ok
    yield tpl
    tpl.close()


VIA = ("fresh", "template")  # every hostile case runs in a started worker and in a forked one


def fingerprint(root: Path) -> dict:
    """Hashes of every file of the course tree except the student folders and the cache."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).parts
        if p.is_file() and rel[0] not in ("subs", ".cache"):
            out[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


MARKER = "PASS = True  # written by student code"


def engine_untouched() -> bool:
    """The engine's own files do not hold what hostile cases try to write into them (other
    engineers edit them concurrently, so their hashes are not compared)."""
    pkg = Path(wire.__file__).parent
    return not any(MARKER in p.read_text(errors="replace") for p in pkg.glob("*.py"))


def submit(course, name, scale=GOOD_SCALE, coin=GOOD_COIN, edit=None) -> Path:
    path = T.submission(course.root, name, {"scale": scale, "sample_coin": coin})
    if edit:
        nb = nbformat.read(str(path), as_version=4)
        edit(nb)
        nbformat.write(nb, str(path))
    return path


def grade(course, name, scale=GOOD_SCALE, coin=GOOD_COIN, edit=None, **kw):
    before = fingerprint(course.root)
    t0 = time.monotonic()
    info: dict = {}
    (res,) = grade_paths(course, [submit(course, name, scale, coin, edit)], info=info, **kw)
    elapsed = time.monotonic() - t0
    res.sandbox = info.get("sandbox") or {}
    if kw.get("template") is not None:
        assert info["workers"]["forked"] >= 1 and info["workers"]["started"] == 0, info["workers"]
    assert fingerprint(course.root) == before, "student code changed a file of the grader's tree"
    assert engine_untouched(), "student code wrote into the autograder package"
    blob = json.dumps(to_json([res]), ensure_ascii=False)
    assert SECRET not in blob and CANARY not in blob, "a secret reached the student's feedback"
    assert "def test_coin_values_are_zero_or_one" not in blob, "hidden check source leaked"
    return res, elapsed


def verdict(res) -> dict:
    got = {c.id: c.status for c in res.checks}
    for c in res.checks:  # no points the work does not deserve, and all of them when it does
        assert c.score == (POINTS[c.id] if c.status == "passed" else 0.0), c
    return got


def leftover_sandbox_processes(res) -> list[int]:
    """Processes still running as the sandbox uid(s) this grading used (the last worker's)."""
    uids = {int(x[4:]) for x in res.sandbox.get("layers", []) if x.startswith("uid:")}
    pids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                uid = int((d / "status").read_text().split("\nUid:")[1].split()[0])
            except (OSError, IndexError, ValueError):
                continue
            if uid in uids:
                pids.append(int(d.name))
    return pids


# ---------------------------------------------------------------------------------------
# cases: (name, scale source, coin source, expected verdict)
# ---------------------------------------------------------------------------------------
CASES = {
    # -- patching what the checks might use ----------------------------------------------
    "patch_numpy_testing_and_allclose": (
        WRONG_SCALE
        + textwrap.dedent("""
        import numpy.testing
        np.testing.assert_allclose = lambda *a, **k: None
        np.testing.assert_array_equal = lambda *a, **k: None
        np.allclose = lambda *a, **k: True
        np.isclose = lambda a, b, *r, **k: np.ones(np.shape(a), bool)
        np.array_equal = lambda *a, **k: True
        """),
        GOOD_COIN,
        expect_scale("failed"),
    ),
    "patch_torch_testing": (
        WRONG_SCALE
        + textwrap.dedent("""
        import torch, torch.testing
        torch.testing.assert_close = lambda *a, **k: None
        torch.allclose = lambda *a, **k: True
        torch.equal = lambda *a, **k: True
        """),
        GOOD_COIN,
        expect_scale("failed"),
    ),
    "patch_builtins": (
        WRONG_SCALE
        + textwrap.dedent("""
        import builtins
        builtins.abs = lambda v: 0 * v
        builtins.max = lambda *a, **k: 0
        builtins.all = lambda *a, **k: True
        builtins.print = lambda *a, **k: None
        """),
        GOOD_COIN,
        expect_scale("failed"),
    ),
    "fake_autograder_package_in_sys_modules": (
        WRONG_SCALE
        + textwrap.dedent("""
        import sys, types
        fake = types.ModuleType("autograder")
        fake.__path__ = []
        for sub in ("expect", "stats", "verdict", "checks", "notebook"):
            m = types.ModuleType("autograder." + sub)
            m.allclose = m.equal = m.shape = m.proportion = lambda *a, **k: a[0] if a else None
            sys.modules["autograder." + sub] = m
            setattr(fake, sub, m)
        sys.modules["autograder"] = fake
        """),
        GOOD_COIN,
        expect_scale("failed"),
    ),
    "replace_numpy_in_sys_modules": (
        WRONG_SCALE
        + textwrap.dedent("""
        import sys, types
        real = sys.modules["numpy"]
        fake = types.ModuleType("numpy")
        fake.__dict__.update({k: getattr(real, k) for k in dir(real) if not k.startswith("__")})
        fake.allclose = lambda *a, **k: True
        fake.testing = types.SimpleNamespace(assert_allclose=lambda *a, **k: None)
        sys.modules["numpy"] = fake
        """),
        GOOD_COIN,
        expect_scale("failed"),
    ),
    # -- exits and signals --------------------------------------------------------------
    "sys_exit_zero_inside_the_function": (
        "def scale(x, a):\n    import sys\n    sys.exit(0)\n",
        GOOD_COIN,
        expect_scale("error"),
    ),
    "os_exit_zero_inside_the_function": (
        "def scale(x, a):\n    import os\n    os._exit(0)\n",
        GOOD_COIN,
        expect_scale("error"),
    ),
    "kill_parent_process_group_and_everyone": (
        textwrap.dedent("""
        def scale(x, a):
            import os, signal
            for target in (os.getppid(), 1, os.getpid()):
                try:
                    os.kill(target, signal.SIGKILL)
                except OSError:
                    pass
            for fn in (lambda: os.killpg(os.getpgid(0), signal.SIGKILL), lambda: os.kill(-1, signal.SIGKILL),
                       lambda: os.kill(0, signal.SIGKILL)):
                try:
                    fn()
                except OSError:
                    pass
            os._exit(0)
        """),
        GOOD_COIN,
        expect_scale("error"),
    ),
    "attack_the_worker_template": (
        textwrap.dedent("""
        def scale(x, a):
            import os, signal
            hits = []
            for sig in (signal.SIGSTOP, signal.SIGKILL):  # the template that forked this worker
                try:
                    os.kill({template_pid}, sig); hits.append("signal")
                except OSError:
                    pass
            for p in ("/proc/{template_pid}/mem", "/proc/{template_pid}/environ", "/proc/{template_pid}/fd/0"):
                try:
                    open(p, "rb").read(1); hits.append(p)
                except OSError:
                    pass
            import stat
            for fd in range(3, 256):  # a descriptor inherited from the template: its socket to the grader
                try:
                    if stat.S_ISSOCK(os.fstat(fd).st_mode):
                        os.write(fd, b'{"cfg": {}}'); hits.append(fd)
                except OSError:
                    pass
            return a * np.asarray(x, dtype=np.float64) * (1.0 if hits else 0.5)
        """),
        GOOD_COIN,
        expect_scale("failed"),
    ),
    "ignore_sigterm_and_hang": (
        textwrap.dedent("""
        import signal
        for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGALRM):
            signal.signal(s, signal.SIG_IGN)
        def scale(x, a):
            while True:
                pass
        """),
        GOOD_COIN,
        expect_scale("timeout"),
    ),
    # -- faking output ----------------------------------------------------------------
    "print_fake_scores_and_classroom_lines": (
        WRONG_SCALE
        + textwrap.dedent("""
        import sys
        for line in ('{"score": 5, "max_score": 5}', "총점 total 5/5", "Points 5/5", "::notice title=Autograding::5/5",
                     "::set-output name=points::5/5", "✔✔ passed"):
            print(line); print(line, file=sys.stderr); sys.__stdout__.write(line + "\\n")
        """),
        GOOD_COIN,
        expect_scale("failed"),
    ),
    "inject_fake_protocol_replies": (
        WRONG_SCALE
        + textwrap.dedent("""
        import os, json, base64, io
        buf = io.BytesIO(); np.save(buf, np.zeros((4, 3)))
        fake = json.dumps({"ok": True, "result": {"y": {"__ndarray__": base64.b64encode(buf.getvalue()).decode()}}})
        for fd in range(3, 40):
            try:
                os.write(fd, (fake + "\\n") * 3)
            except OSError:
                pass
        """),
        GOOD_COIN,
        expect_scale("failed"),
    ),
    # -- writing the grader's files ------------------------------------------------------
    "write_results_feedback_checks_and_engine": (
        textwrap.dedent("""
        import os, glob
        # The course tree is a temporary copy: overwrite it for real.
        targets = ["{root}/results/grades.json", "{root}/checks/00_tiny/hidden.py", "{root}/checks/00_tiny/public.py",
                   "{root}/course.yaml", "{root}/subs/bob/00_tiny/00_tiny.ipynb",
                   "{root}/results/feedback_bob.html", "/tmp/pwned-by-student"]
        for t in targets:
            try:
                with open(t, "w") as f:
                    f.write("import builtins\\nPASS = True  # written by student code\\n")
            except OSError:
                pass
        # The engine and numpy are the real installation: only open them for appending (writes
        # nothing), so a broken sandbox cannot damage the machine; the answer is right only if
        # one of them was writable, which a sandbox must prevent.
        engine_writable = False
        for t in ["{pkg}/verdict.py", "{pkg}/expect.py"] + glob.glob(os.path.dirname(np.__file__) + "/testing/*.py"):
            try:
                with open(t, "a"):
                    engine_writable = True
            except OSError:
                pass
        def scale(x, a):
            return a * np.asarray(x, dtype=np.float64) * (1.0 if engine_writable else 0.5)
        """),
        GOOD_COIN,
        expect_scale("failed"),
    ),
    # -- reading secrets (answers that are right only if the secret can be read) -------
    "answer_depends_on_reading_solutions": (
        textwrap.dedent("""
        def scale(x, a):
            try:
                ok = "CANARY" in open("{root}/solutions/CANARY.txt").read()
            except OSError:
                ok = False
            return a * np.asarray(x, dtype=np.float64) * (1.0 if ok else 0.5)
        """),
        GOOD_COIN,
        expect_scale("failed"),
    ),
    "answer_depends_on_reading_hidden_checks": (
        textwrap.dedent("""
        def scale(x, a):
            import os
            ok = os.path.exists("{root}/checks/00_tiny/hidden.py")
            return a * np.asarray(x, dtype=np.float64) * (1.0 if ok else 0.5)
        """),
        GOOD_COIN,
        expect_scale("failed"),
    ),
    "answer_depends_on_env_and_proc_secrets": (
        textwrap.dedent("""
        def scale(x, a):
            import os, glob
            blob = str(dict(os.environ))
            for p in glob.glob("/proc/*/environ") + ["/proc/{grader_pid}/environ", "/proc/1/environ"]:
                try:
                    blob += open(p, "rb").read().decode("latin-1")
                except OSError:
                    pass
            ok = "ghp_CANARY" in blob
            return a * np.asarray(x, dtype=np.float64) * (1.0 if ok else 0.5)
        """),
        GOOD_COIN,
        expect_scale("failed"),
    ),
    "exfiltrate_secrets_through_the_error_message": (
        textwrap.dedent("""
        def scale(x, a):
            import os, glob
            found = [str(dict(os.environ))]
            for p in ["{root}/solutions/CANARY.txt", "{root}/checks/00_tiny/hidden.py", "/proc/{grader_pid}/environ",
                      "/proc/{grader_pid}/cmdline",
                      "{root}/subs/bob/00_tiny/00_tiny.ipynb"] + glob.glob("/proc/*/environ"):
                try:
                    found.append(open(p, "rb").read().decode("latin-1"))
                except OSError as e:
                    found.append(type(e).__name__)
            raise RuntimeError(" | ".join(found))
        """),
        GOOD_COIN,
        expect_scale("error"),
    ),
    "answer_depends_on_network": (
        textwrap.dedent("""
        def scale(x, a):
            import socket
            try:
                socket.create_connection(("1.1.1.1", 53), timeout=1).close(); ok = True
            except OSError:
                ok = False
            return a * np.asarray(x, dtype=np.float64) * (1.0 if ok else 0.5)
        """),
        GOOD_COIN,
        expect_scale("failed"),
    ),
    # -- objects that lie ---------------------------------------------------------------
    "object_with_lying_eq_and_array": (
        textwrap.dedent("""
        class Liar:
            def __eq__(self, other): return True
            def __ne__(self, other): return False
            def __array__(self, dtype=None, copy=None): return np.zeros((4, 3))
            def __float__(self): return 0.0
            shape = (4, 3)
            dtype = np.dtype("float64")
        def scale(x, a):
            return Liar()
        """),
        GOOD_COIN,
        expect_scale("failed"),
    ),
    "ndarray_subclass_that_lies": (
        textwrap.dedent("""
        class Always(np.ndarray):
            def __eq__(self, other): return np.ones(self.shape, bool).view(np.ndarray)
            def __array_finalize__(self, obj): pass
            def __sub__(self, other): return np.zeros(self.shape)
            def __abs__(self): return np.zeros(self.shape)
            def __lt__(self, other): return True
            def __le__(self, other): return True
        def scale(x, a):
            return np.asarray(x, dtype=np.float64).view(Always)
        """),
        GOOD_COIN,
        expect_scale("failed"),
    ),
    "object_dtype_array": (
        "def scale(x, a):\n    return np.array([a * v for v in np.ravel(x)], dtype=object)\n",
        GOOD_COIN,
        expect_scale("error"),
    ),
    "nan_output": ("def scale(x, a):\n    return np.full(np.shape(x), np.nan)\n", GOOD_COIN, expect_scale("failed")),
    "inf_output": ("def scale(x, a):\n    return np.full(np.shape(x), np.inf)\n", GOOD_COIN, expect_scale("failed")),
    "huge_output": ("def scale(x, a):\n    return np.zeros(12_000_000)\n", GOOD_COIN, expect_scale("error")),
    # -- resource exhaustion -----------------------------------------------------------
    "infinite_loop_in_call": ("def scale(x, a):\n    while True:\n        pass\n", GOOD_COIN, expect_scale("timeout")),
    "infinite_loop_at_cell_top_level": ("while True:\n    pass\n", GOOD_COIN, expect_scale("timeout")),
    "memory_bomb": (
        textwrap.dedent("""
        def scale(x, a):
            hoard = []
            while True:
                hoard.append(np.empty(2**27))  # 1 GiB each, more than the 2 GiB limit allows
                hoard[-1][::4096] = 1.0
        """),
        GOOD_COIN,
        expect_scale("error"),
    ),
    "fork_bomb": (
        textwrap.dedent("""
        def scale(x, a):
            import os
            while True:
                try:
                    os.fork()
                except OSError:
                    pass
        """),
        GOOD_COIN,
        expect_scale("timeout"),
    ),
    "daemon_escapes_process_group": (
        textwrap.dedent("""
        import os, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                while True:
                    time.sleep(0.1)
            os._exit(0)
        def scale(x, a):
            while True:
                pass
        """),
        GOOD_COIN,
        expect_scale("timeout"),
    ),
    "disk_filler": (
        WRONG_SCALE
        + textwrap.dedent("""
        import os
        for i in range(1000):
            try:
                with open(f"junk{i}", "wb") as f:
                    f.write(b"x" * (8 << 20))
            except OSError:
                break
        """),
        GOOD_COIN,
        expect_scale("failed"),
    ),
}


@pytest.mark.parametrize("via", VIA)
@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_submission(course, template, case, via):
    scale, coin, expected = CASES[case]
    pkg = Path(wire.__file__).parent
    for key, value in dict(root=course.root, pkg=pkg, grader_pid=os.getpid(), template_pid=template.proc.pid).items():
        scale = scale.replace(f"{{{key}}}", str(value))
    kw = {"template": template if via == "template" else None}
    if case == "infinite_loop_at_cell_top_level":
        # the answer-cell limit stops the loop; the setup cells keep a limit no load here reaches
        # (a 4 s setup limit could fire while a loaded machine still imported numpy)
        kw["limits"] = Limits(
            call_timeout_s=3, setup_timeout_s=60, time_limit_s=60, memory_limit_mb=2048, cell_timeout_s=3
        )
    if case == "memory_bomb":
        # the verdict must not depend on how fast the machine fills 1 GiB: with the course's 3 s
        # call limit a loaded machine timed out first (issue 13). The memory limits stop the bomb
        # in about a second on an idle machine; 20 s leaves a margin no load here reaches.
        kw["limits"] = Limits(call_timeout_s=20, setup_timeout_s=60, time_limit_s=120, memory_limit_mb=2048)
    res, elapsed = grade(course, f"mallory_{case}_{via}", scale, coin, **kw)
    if via == "template":
        assert template.ok and template.proc.poll() is None, "student code stopped the template"
    assert verdict(res) == expected, [(c.id, c.status, c.message[:300]) for c in res.checks]
    assert elapsed < 30, f"containing {case} took {elapsed:.1f} s"
    time.sleep(0.2)
    assert leftover_sandbox_processes(res) == [], "a student process outlived its grading"
    assert not Path("/tmp/pwned-by-student").exists()


@pytest.mark.parametrize("via", VIA)
def test_a_good_student_graded_after_every_attack_is_unaffected(course, template, via):
    res, _ = grade(course, f"bob_{via}", template=template if via == "template" else None)
    assert verdict(res) == dict.fromkeys(IDS, "passed")
    if via == "template":  # forked from the same template as every attack: nothing of theirs is left
        assert res.sandbox.get("layers") and all(res.sandbox["hidden"].values())


def test_a_forked_worker_starts_clean_whatever_the_previous_one_did(course, template):
    """State a submission leaves in its worker (patched numpy, globals, seeds, files in its home)
    never reaches the next submission forked from the same template."""
    leave = textwrap.dedent("""
        import numpy, builtins, os
        numpy.asarray = lambda *a, **k: numpy.zeros(3)
        builtins.LEFT_BEHIND = 1
        numpy.random.seed(1234)
        open(os.path.expanduser("~/left_behind"), "w").write("x")
        """)
    grade(course, "leaves_state", GOOD_SCALE + leave, template=template)
    probe = textwrap.dedent("""
        def scale(x, a):
            import builtins, os
            clean = (not hasattr(builtins, "LEFT_BEHIND") and not os.path.exists(os.path.expanduser("~/left_behind"))
                     and np.random.get_state()[1][0] != np.random.RandomState(1234).get_state()[1][0])
            return a * np.asarray(x, dtype=np.float64) * (1.0 if clean else 0.5)
        """)
    res, _ = grade(course, "after_state", probe, template=template)
    assert verdict(res) == dict.fromkeys(IDS, "passed")


# -- tampering with the notebook itself ------------------------------------------------
def _cell(nb, gid):
    return next(c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == gid)


def test_edited_locked_setup_cell_is_ignored(course):
    def edit(nb):  # the student's copy of the setup cell defines the answer and patches numpy
        _cell(nb, "setup_imports").source = (
            "import numpy as np\nnp.allclose = lambda *a, **k: True\n"
            "def scale(x, a):\n    return a * np.asarray(x, dtype=np.float64)\n"
        )

    res, _ = grade(course, "eve_setup", scale="def scale(x, a):\n    raise NotImplementedError()\n", edit=edit)
    assert verdict(res) == expect_scale("error")


def test_edited_test_cells_and_points_are_ignored(course):
    def edit(nb):
        for gid in ("test_scale", "test_sample_coin"):
            c = _cell(nb, gid)
            c.source = "print('5/5')\nassert True"
            c.metadata["nbgrader"]["points"] = 100
        _cell(nb, "scale").metadata["nbgrader"]["points"] = 100

    res, _ = grade(course, "eve_tests", scale=WRONG_SCALE, edit=edit)
    assert verdict(res) == expect_scale("failed")
    assert res.max_score == 5 and res.score == 2


def test_an_extra_cell_claiming_a_setup_grade_id_never_runs(course):
    def edit(nb):
        evil = nbformat.v4.new_code_cell("def scale(x, a):\n    return a * np.asarray(x, dtype=np.float64)\n")
        evil.metadata["nbgrader"] = {"grade_id": "setup_zzz", "locked": True, "solution": False, "grade": False}
        nb.cells.insert(3, evil)

    res, _ = grade(course, "eve_extra", scale="def scale(x, a):\n    raise NotImplementedError()\n", edit=edit)
    assert verdict(res) == expect_scale("error")


def test_swapped_grade_ids_are_graded_as_missing_cells(course):
    def edit(nb):  # the scale answer now claims to be sample_coin as well: a duplicate and a missing id
        _cell(nb, "scale").metadata["nbgrader"]["grade_id"] = "sample_coin"

    res, _ = grade(course, "eve_ids", edit=edit)
    got = {c.id: (c.status, c.message) for c in res.checks}
    assert {k: v[0] for k, v in got.items()} == dict.fromkeys(IDS, "error")
    assert "답안 셀 'scale'를 찾을 수 없습니다" in got["scale_matches_reference"][1]
    assert "grade_id 'sample_coin'인 셀이 여러 개입니다" in got["coin_rate_is_p"][1]


# -- the wire never unpickles ---------------------------------------------------------
def test_wire_refuses_pickled_and_object_arrays(tmp_path):
    import base64
    import io
    import pickle

    marker = tmp_path / "unpickled"

    class Boom:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    buf = io.BytesIO()
    np.save(buf, np.array([Boom()], dtype=object), allow_pickle=True)
    payload = {"__ndarray__": base64.b64encode(buf.getvalue()).decode()}
    with pytest.raises(wire.WireError):
        wire.decode({"y": payload})
    assert not marker.exists()
    with pytest.raises(wire.WireError):
        wire.decode({"__ndarray__": base64.b64encode(pickle.dumps(Boom())).decode()})
    assert not marker.exists()
    for bad in ({"__ndarray__": "not base64!"}, {"__ndarray__": 5}, {"y": {"__ndarray__": "QUJD"}}):
        with pytest.raises(wire.WireError):
            wire.decode(bad)
    s = io.BytesIO()
    np.save(s, np.array(["text"]))
    with pytest.raises(wire.WireError, match="dtype"):
        wire.decode({"__ndarray__": base64.b64encode(s.getvalue()).decode()})


# -- the sandbox itself ----------------------------------------------------------------
@pytest.mark.parametrize("via", VIA)
def test_sandbox_layers_are_active_and_protected_paths_hidden(course, template, via):
    info: dict = {}
    grade_paths(
        course, [submit(course, f"probe_layers_{via}")], info=info, template=template if via == "template" else None
    )
    assert info["workers"] == ({"forked": 1, "started": 0} if via == "template" else {"forked": 0, "started": 1})
    sb = info["sandbox"]
    assert all(sb["hidden"].values()) and len(sb["hidden"]) == 3, sb
    if os.geteuid() == 0:  # CI and this machine run as root: every layer must work here
        for layer in ("pidns", "netns", "mountns", "view", "no_new_privs", "nproc"):
            assert layer in sb["layers"], sb
        assert any(x.startswith("uid:") for x in sb["layers"]), sb


def test_strict_mode_refuses_to_grade_when_a_protected_path_is_visible(monkeypatch):
    from autograder.extract import Cell, Program
    from autograder.run import ProcessSession
    from autograder.sandbox import SandboxUnavailable

    monkeypatch.setenv("AUTOGRADER_SANDBOX", "strict")
    s = ProcessSession(protect=["/usr/lib"])  # shown read-only in the view, so "visible"
    s.add(Program("k", [Cell("setup_a", "setup", "x = 1")]), "k")
    with pytest.raises(SandboxUnavailable, match="/usr/lib"):
        s.start()
    s.close()


def test_user_namespace_mode_works_without_root_privileges(course, monkeypatch):
    """The path a non-root grader takes (unprivileged user namespace), forced here."""
    monkeypatch.setenv("AUTOGRADER_SANDBOX", "userns")
    info: dict = {}
    (res,) = grade_paths(course, [submit(course, "userns_good")], info=info)
    assert verdict(res) == dict.fromkeys(IDS, "passed")
    sb = info["sandbox"]
    if "userns" in sb["layers"]:
        assert {"view", "nocaps", "netns"} <= set(sb["layers"]) and all(sb["hidden"].values()), sb
    res, _ = grade(
        course, "userns_canary", CASES["answer_depends_on_reading_solutions"][0].replace("{root}", str(course.root))
    )
    assert verdict(res) == expect_scale("failed")


def test_cli_output_and_results_cannot_be_forged(course, tmp_path):
    scale = CASES["print_fake_scores_and_classroom_lines"][0] + textwrap.dedent(f"""
        for t in ["{tmp_path}/result.json"]:
            try:
                open(t, "w").write('{{"score": 5}}')
            except OSError:
                pass
        """)
    sub = submit(course, "mallory_cli", scale)
    env = dict(os.environ, GITHUB_TOKEN=SECRET)
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "autograder",
            "--root",
            str(course.root),
            "grade",
            str(sub),
            "--json",
            str(tmp_path / "result.json"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert p.returncode == 0, p.stderr
    for fake in ('"score": 5', "Points 5/5", "::notice", "::set-output", "✔✔ passed"):
        assert fake not in p.stdout + p.stderr
    data = json.loads((tmp_path / "result.json").read_text())
    assert data["score"] == 2.0 and data["max_score"] == 5.0
    assert SECRET not in p.stdout + p.stderr + json.dumps(data)


# -- a real assignment ----------------------------------------------------------------
REAL = Path(__file__).resolve().parent.parent


def _real(aid):
    from helpers import course as real_course

    tree = real_course()
    a = tree.model.assignment(aid)
    if a is None or not tree.source_notebook(a).exists() or not (tree.checks_dir / aid / "public.py").exists():
        pytest.skip(f"{aid} is not written yet")
    return tree, a


def test_real_assignment_patching_numpy_and_reading_the_solution_earns_nothing():
    from helpers import grade as grade_real
    from helpers import make_submission  # noqa: F401 - used by grade_real

    tree, a = _real("03_dropout")
    ex = a.auto_exercises[0].id
    src = textwrap.dedent(f"""
        import json
        import numpy as np
        np.testing.assert_allclose = lambda *a, **k: None
        np.allclose = lambda *a, **k: True
        try:  # if the reference notebook were readable, this would define the exact solution
            for _c in json.load(open("{tree.source_notebook(a)}"))["cells"]:
                if _c["metadata"].get("nbgrader", {{}}).get("grade_id") == "{ex}":
                    exec("".join(_c["source"]), globals())
        except OSError:
            pass
        """)
    res = grade_real("03_dropout", {ex: src}, blank=True)
    assert res.score == 0, [(c.id, c.status, c.score) for c in res.checks]
    assert all(c.status == "error" for c in res.checks if c.exercise == ex)


def test_real_assignment_exit_in_one_answer_cell_leaves_the_other_exercises_graded():
    from helpers import grade as grade_real

    _, a = _real("03_dropout")
    ex = a.auto_exercises[0].id
    res = grade_real("03_dropout", {ex: "import os\nos._exit(0)\n"})
    for c in res.checks:
        if c.exercise == ex:
            assert (c.status, c.score) == ("error", 0.0), c
        else:
            assert (c.status, c.score) == ("passed", c.max_score), c
    assert res.score == sum(c.max_score for c in res.checks if c.exercise != ex)
