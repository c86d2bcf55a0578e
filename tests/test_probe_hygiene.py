"""Probe hygiene and the one way to share checks (issue 19, item 2).

1. A probe's source is all that reaches the student's process: a probe reading a module constant, a helper
   of its check file or a misspelt name is refused when the check file loads (one line naming the file, the
   line, the probe and the name), before any student is graded, by ``autograder grade``, ``batch`` and
   ``pytest checks/...`` alike. Every construct a probe may legitimately use loads and runs in the worker.
2. A hidden file shares probes and helpers with its public file through ``public_of(__file__)`` only; the
   old ad-hoc ways (importlib by path, ``load_module``, ``import public``, exec of the text) are refused by
   the loader, and ``public.py`` cannot reach for anything hidden.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest
import tiny_course as T

from autograder import checks as C
from autograder.course import load_course
from autograder.errors import CourseError

ROOT = Path(__file__).resolve().parent.parent
GOOD = {"scale": T.SCALE, "sample_coin": T.COIN}
HEAD = (
    "import math\n\nimport numpy as np\n\nfrom autograder import expect\nfrom autograder.checks import check, probe\n"
)
CHECK = '''

@check("scale", points=2)
def test_scale_matches_reference(student, reference, seed):
    """a * x on a small matrix."""
    expect.allclose(student(scale_small, seed=seed)["y"], reference(scale_small, seed=seed)["y"], name="y")


@check("sample_coin", points=1)
def test_coin_rate_is_p(student, seed):
    """placeholder"""
'''

# a probe reading a name the worker will not have; "# HERE" marks the first line reading it
BAD = {
    "module_constant": (
        "FACTOR",
        """
FACTOR = 2.5


@probe
def scale_small(ns, seed):
    x = np.random.default_rng(seed).standard_normal((4, 3))
    return {"y": ns.scale(x, FACTOR)}  # HERE
""",
    ),
    "helper_of_the_check_file": (
        "_input",
        """
def _input(seed):
    return np.random.default_rng(seed).standard_normal((4, 3))


@probe
def scale_small(ns, seed):
    return {"y": ns.scale(_input(seed), 2.5)}  # HERE
""",
    ),
    "misspelt_name": (
        "rgn",
        """
@probe
def scale_small(ns, seed):
    rng = np.random.default_rng(seed)
    return {"y": ns.scale(rgn.standard_normal((4, 3)), 2.5)}  # HERE
""",
    ),
    "default_value": (
        "FACTOR",
        """
FACTOR = 2.5


@probe
def scale_small(ns, seed, a=FACTOR):  # HERE
    return {"y": ns.scale(np.random.default_rng(seed).standard_normal((4, 3)), a)}
""",
    ),
    "inside_a_nested_function_and_a_comprehension": (
        "SHAPE",
        """
SHAPE = (4, 3)


@probe
def scale_small(ns, seed):
    def draw(rng):
        return [rng.standard_normal(SHAPE) for _ in range(1)][0]  # HERE

    return {"y": ns.scale(draw(np.random.default_rng(seed)), 2.5)}
""",
    ),
    "imported_module_the_worker_does_not_give": (
        "stats",
        """
from autograder import stats


@probe
def scale_small(ns, seed):
    x = np.random.default_rng(seed).standard_normal((4, 3))
    return {"y": ns.scale(x, 2.5), "z": stats.uniform_cdf(0, 1)(0.5)}  # HERE
""",
    ),
}

# everything a probe may use: parameters, locals, closures, comprehensions, classes, lambdas, recursion,
# builtins, np, math, torch, __name__
ALLOWED = """
@probe
def scale_small(ns, seed, shape=(4, 3), dtype=np.float64):
    rng = np.random.default_rng(seed)

    def draw(k):
        return rng.standard_normal(shape).astype(dtype) * k

    class Box:
        factor = 2.5

        def twice(self):
            return self.factor * 2

    square = lambda v: v * v
    xs = [draw(k) for k in range(1, 3)]
    total = sum(float(abs(x).sum()) for x in xs)
    try:
        ok = isinstance(ns.scale(xs[0], Box().twice() / 2), np.ndarray)
    except ValueError as e:
        ok = str(e)
    return {"y": ns.scale(xs[0], Box.factor), "t": total, "sq": square(3), "ok": ok, "pi": math.pi, "n": __name__}


@probe
def countdown(ns, n):
    return {"n": n} if n == 0 else countdown(ns, n - 1)


@probe
def torch_side(ns, seed):
    g = torch.Generator().manual_seed(seed)
    return {"u": torch.rand(3, generator=g, dtype=torch.float64)}
"""


def _course(tmp_path, public: str | None = None, hidden: str | None = None) -> Path:
    root = T.write_course(tmp_path / "course")
    if public is not None:
        (root / "checks" / "00_tiny" / "public.py").write_text(public)
    if hidden is not None:
        (root / "checks" / "00_tiny" / "hidden.py").write_text(hidden)
    return root


def _refusal(root: Path, visibilities=("public", "hidden")) -> str:
    C._LOADED.clear()
    with pytest.raises(CourseError) as info:
        C.load_checks(root / "checks", "00_tiny", visibilities)
    return str(info.value)


# ---------------------------------------------------------------------------------------------
# 1. probes
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", sorted(BAD))
def test_a_probe_reading_a_name_of_its_check_file_is_refused_at_load(tmp_path, case):
    name, body = BAD[case]
    text = HEAD + body + CHECK
    root = _course(tmp_path, public=text)
    line = 1 + next(i for i, s in enumerate(text.splitlines()) if "# HERE" in s)
    msg = _refusal(root)
    path = root / "checks" / "00_tiny" / "public.py"
    assert "\n" not in msg
    assert msg.startswith(f"{path}: line {line}: probe 'scale_small' reads '{name}', "), msg
    assert "parameters, locals, ns, np, math, torch and builtins" in msg


def test_what_the_check_refuses_fails_in_the_worker_and_what_it_allows_runs_there(tmp_path):
    """The rule is the worker's own: each refused probe raises NameError where probes run (as the student's
    error, before this check existed), and each allowed construct runs there."""
    from autograder.probes import undefined_names
    from autograder.worker import Runner

    runner = Runner()
    setup = {"id": "setup_imports", "kind": "setup", "source": "import numpy as np\n"}
    runner.load("k", [setup, {"id": "scale", "kind": "answer", "source": T.SCALE.replace("### ", "# ")}])
    for case, (name, body) in BAD.items():
        src = body[body.index("@probe") :].split("\n", 1)[1]
        assert [n for n, _ in undefined_names(src, "scale_small")] == [name], case
        try:
            reply = runner.call("k", "scale_small", src, {"seed": 1})
        except NameError as exc:  # a default value is read when the worker defines the probe
            reply = {"ok": False, "error": {"type": "NameError", "message": str(exc)}}
        assert not reply["ok"] and reply["error"]["type"] == "NameError" and name in reply["error"]["message"], case

    root = _course(tmp_path, public=HEAD + ALLOWED + CHECK)
    C._LOADED.clear()
    C.load_checks(root / "checks", "00_tiny", ("public",))
    module = sys.modules["autograder_checks_00_tiny_public"]
    probes = {k: v for k, v in vars(module).items() if isinstance(v, C.Probe)}
    assert sorted(probes) == ["countdown", "scale_small", "torch_side"]
    for p, kwargs in (
        (probes["scale_small"], {"seed": 3}),
        (probes["countdown"], {"n": 3}),
        (probes["torch_side"], {"seed": 3}),
    ):
        reply = runner.call("k", p.name, p.source, kwargs)
        assert reply["ok"], (p.name, reply)


def test_every_real_check_file_loads_clean():
    tree = load_course(ROOT)
    n = 0
    for a in tree.model.assignments:
        C._LOADED.clear()
        specs = C.load_checks(tree.checks_dir, a.id)
        assert {s.visibility for s in specs} == {"public", "hidden"}, a.id
        for vis in ("public", "hidden"):
            module = sys.modules[f"autograder_checks_{a.id}_{vis}"]
            n += sum(isinstance(v, C.Probe) for v in vars(module).values())
    assert n > 100  # the probes were there to be checked


@pytest.fixture(scope="module")
def broken_course(tmp_path_factory):
    text = HEAD + BAD["module_constant"][1] + CHECK
    root = _course(tmp_path_factory.mktemp("broken"), public=text)
    student = T.submission(root, "alice", GOOD)
    (root / "class" / "alice").mkdir(parents=True)
    shutil.copytree(student.parent, root / "class" / "alice" / "00_tiny")
    shutil.copy(ROOT / "checks" / "conftest.py", root / "checks" / "conftest.py")
    line = 1 + next(i for i, s in enumerate(text.splitlines()) if "# HERE" in s)
    want = f"{root / 'checks' / '00_tiny' / 'public.py'}: line {line}: probe 'scale_small' reads 'FACTOR', "
    return root, student, want


def _cli(root, *args):
    env_cmd = [sys.executable, "-m", "autograder", "--root", str(root), *map(str, args)]
    return subprocess.run(env_cmd, capture_output=True, text=True, cwd=root, timeout=300, check=False)


def test_grade_and_batch_stop_before_grading_with_one_line(broken_course):
    root, student, want = broken_course
    for args in (
        ["grade", student, "--json", root / "alice.json"],
        ["batch", root / "class", "--out", root / "out" / "grades.csv", "-j", "1", "--no-progress"],
    ):
        p = _cli(root, *args)
        assert p.returncode == 2, (args, p.stdout, p.stderr)
        assert "Traceback" not in p.stdout + p.stderr
        lines = [s for s in p.stderr.splitlines() if s.strip()]
        assert len(lines) == 1 and lines[0].startswith(want), p.stderr
    assert not (root / "alice.json").exists() and not (root / "out").exists()  # nobody was graded


def test_pytest_on_the_check_file_shows_the_same_line(broken_course):
    root, _, want = broken_course
    path = root / "checks" / "00_tiny" / "public.py"
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--import-mode=importlib", str(path)]
    p = subprocess.run(args, cwd=root, capture_output=True, text=True, timeout=300, check=False)
    assert p.returncode != 0
    assert f"CourseError: {want}" in p.stdout, p.stdout


# ---------------------------------------------------------------------------------------------
# 2. one way to share: public_of(__file__)
# ---------------------------------------------------------------------------------------------
SHARED_HIDDEN = '''
import numpy as np

from autograder import expect
from autograder.checks import check, probe, public_of

_P = public_of(__file__)
scale_small = _P.scale_small  # one definition, in public.py


@probe
def scale_int_input(ns):
    return {"y": ns.scale([1, 2, 3], 0.5)}


@check("scale", points=1)
def test_scale_of_integer_list_is_float(student, reference, seed):
    """Integer input gives float64 output; and the public probe again, with the hidden check's seed."""
    expect.allclose(student(scale_int_input)["y"], reference(scale_int_input)["y"], name="y")
    expect.allclose(student(scale_small, seed=seed)["y"], reference(scale_small, seed=seed)["y"], name="y")


@probe
def coin_values(ns, seed):
    return {"draws": ns.sample_coin(1000, 0.7, np.random.default_rng(seed))}


@check("sample_coin", points=1)
def test_coin_values_are_zero_or_one(student, seed):
    """Only 0 and 1 appear."""
    d = expect.shape(student(coin_values, seed=seed)["draws"], (1000,), name="draws")
    expect.true(bool(np.isin(d, [0, 1]).all()), "0과 1만 나와야 합니다.")
'''

# the ways hidden files loaded public.py before public_of, and a few more; "# HERE" marks the refused line
AD_HOC = {
    "importlib_by_path": """
import importlib.util  # HERE
from pathlib import Path

_spec = importlib.util.spec_from_file_location("_pub", Path(__file__).with_name("public.py"))
""",
    "load_module": """
from pathlib import Path

from autograder.checks import load_module  # HERE

_P = load_module(Path(__file__).with_name("public.py"), "autograder_checks_00_tiny_public_helpers")
""",
    "import_public_from_sys_path": """
import sys

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import public  # HERE
""",
    "relative_import": """
from . import public  # HERE
""",
    "runpy": """
import runpy  # HERE

_P = runpy.run_path(__file__.replace("hidden.py", "public.py"))
""",
    "exec_of_the_text": """
_P = {}
exec(open(__file__.replace("hidden.py", "public.py")).read(), _P)  # HERE
""",
    "dunder_import": """
_P = __import__("public")  # HERE
""",
    "checks_module_whole": """
from autograder import checks  # HERE
""",
}


def test_hidden_shares_through_public_of_with_the_module_the_grader_loaded(tmp_path):
    root = _course(tmp_path, hidden=SHARED_HIDDEN)
    C._LOADED.clear()
    specs = C.load_checks(root / "checks", "00_tiny")
    assert [(s.visibility, s.id) for s in specs] == [
        ("public", "scale_matches_reference"),
        ("public", "coin_rate_is_p"),
        ("hidden", "scale_of_integer_list_is_float"),
        ("hidden", "coin_values_are_zero_or_one"),
    ]
    public = sys.modules["autograder_checks_00_tiny_public"]
    hidden = sys.modules["autograder_checks_00_tiny_hidden"]
    assert hidden._P is public and hidden.scale_small is public.scale_small
    # hidden alone (nbgrader's Checks, listing ids): public_of loads public.py itself; only hidden checks
    C._LOADED.clear()
    sys.modules.pop("autograder_checks_00_tiny_public")
    assert [s.id for s in C.load_checks(root / "checks", "00_tiny", ("hidden",))] == [
        "scale_of_integer_list_is_float",
        "coin_values_are_zero_or_one",
    ]
    # a changed public.py is what public_of gives next time (same bytes = same module, else reloaded)
    again = C.public_of(root / "checks" / "00_tiny" / "hidden.py")
    assert again is sys.modules["autograder_checks_00_tiny_public"]
    pub = root / "checks" / "00_tiny" / "public.py"
    pub.write_text(pub.read_text() + "\nMARK = 7\n")
    assert C.public_of(root / "checks" / "00_tiny" / "hidden.py").MARK == 7


def test_public_of_works_under_grade_pytest_and_the_notebook(tmp_path):
    from autograder.notebook import Checks
    from autograder.pipeline import grade_paths

    root = _course(tmp_path, hidden=SHARED_HIDDEN)
    C._LOADED.clear()
    tree = load_course(root)
    wrong = {"scale": "def scale(x, a):\n    return 2 * np.asarray(x, dtype=np.float64)\n", "sample_coin": T.COIN}
    for answers, want in ((GOOD, "passed"), (wrong, "failed")):
        (result,) = grade_paths(tree, [T.submission(root, f"s_{want}", answers)])
        got = {c.id: c.status for c in result.checks}
        assert got["scale_of_integer_list_is_float"] == want, got

    ns = {"np": __import__("numpy")}
    exec(T.SCALE.replace("### ", "# "), ns)
    report = Checks("00_tiny", root=root).run("scale", hidden=True, namespace=ns)
    assert not report.problem and [r.status for r in report.results] == ["passed", "passed"], report.problem

    shutil.copy(ROOT / "checks" / "conftest.py", root / "checks" / "conftest.py")
    files = [str(root / "checks" / "00_tiny" / f) for f in ("public.py", "hidden.py")]
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--import-mode=importlib", *files]
    p = subprocess.run(args, cwd=root, capture_output=True, text=True, timeout=300, check=False)
    assert p.returncode == 0 and "4 passed" in p.stdout, p.stdout + p.stderr


@pytest.mark.parametrize("way", sorted(AD_HOC))
def test_a_hidden_file_loading_public_the_old_way_is_refused_at_load(tmp_path, way):
    text = "from autograder.checks import check\n" + AD_HOC[way]
    root = _course(tmp_path, hidden=text)
    line = 1 + next(i for i, s in enumerate(text.splitlines()) if "# HERE" in s)
    msg = _refusal(root)
    assert msg.startswith(f"{root / 'checks' / '00_tiny' / 'hidden.py'}: line {line}: "), msg
    hidden = root / "checks" / "00_tiny" / "hidden.py"
    for problem in msg.splitlines():  # one line per problem, each naming the file and the line
        assert problem.startswith(f"{hidden}: line "), msg
        assert "public_of(__file__)" in problem or "check, probe, public_of" in problem, msg


def test_public_py_cannot_reach_for_public_of_or_hidden(tmp_path):
    text = T.PUBLIC.replace("import check, probe", "import check, probe, public_of")
    root = _course(tmp_path, public=text)
    line = 1 + next(i for i, s in enumerate(text.splitlines()) if "public_of" in s)
    msg = _refusal(root, ("public",))
    assert msg == (
        f"{root / 'checks' / '00_tiny' / 'public.py'}: line {line}: imports public_of from autograder.checks: "
        "a public.py uses check, probe"
    )
    root = _course(tmp_path / "b", public=T.PUBLIC + "\nfrom hidden import coin_values  # noqa\n")
    assert "imports from hidden: a check file loads no other file" in _refusal(root, ("public",))
    with pytest.raises(CourseError, match=r"public_of\(__file__\) is for a hidden\.py"):
        C.public_of(root / "checks" / "00_tiny" / "public.py")


def test_real_hidden_files_take_public_helpers_only_from_public_of():
    """Loader-level, on the real tree: whatever a hidden module holds that was defined in its public.py
    comes from the one public module the grader loaded (no second copy loaded by path, no module object
    other than it)."""
    tree = load_course(ROOT)
    for a in tree.model.assignments:
        C._LOADED.clear()
        C.load_checks(tree.checks_dir, a.id)
        public = sys.modules[f"autograder_checks_{a.id}_public"]
        hidden = sys.modules[f"autograder_checks_{a.id}_hidden"]
        check_modules = [
            v
            for v in vars(hidden).values()
            if isinstance(v, types.ModuleType)
            and Path(getattr(v, "__file__", None) or "/").parent.parent == ROOT / "checks"
        ]
        assert check_modules == [public], a.id
        from_public = [
            v
            for v in vars(hidden).values()
            if isinstance(v, types.FunctionType) and Path(v.__code__.co_filename).name == "public.py"
        ]
        assert from_public and all(v.__module__ == public.__name__ for v in from_public), a.id


def test_the_allowed_names_are_exactly_the_worker_globals():
    """autograder.probes.PROBE_GLOBALS is what autograder.worker gives a probe (a probe that mentions torch)."""
    from autograder.probes import PROBE_GLOBALS
    from autograder.worker import Runner

    src = "def seen(ns):\n    # torch\n    return {'names': sorted(k for k in globals() if k != '__builtins__')}\n"
    runner = Runner()
    runner.load("k", [])
    reply = runner.call("k", "seen", src, {})
    assert reply["ok"] and reply["result"]["names"] == sorted(PROBE_GLOBALS | {"seen"}), reply


def _definitions(path: Path) -> dict[str, str]:
    """Top-level functions (body and arguments, not the name) and constants of a check file, as AST dumps."""
    out = {}
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.FunctionDef):
            body = node.body[1:] if ast.get_docstring(node) is not None else node.body  # a copy may drop it
            out[node.name] = ast.dump(ast.Module(body, []), include_attributes=False) + ast.dump(node.args)
        elif isinstance(node, ast.Assign) and not isinstance(node.value, ast.Attribute):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    out[target.id] = ast.dump(node.value)
    return out


def test_no_hidden_file_keeps_a_copy_of_a_public_definition():
    """What public.py defines, a hidden.py takes from public_of(__file__): no copy, renamed or not (04 kept
    renamed copies of jitter_apply, fgsm_case and _jittered_uniform; 02 of SBN and GBN)."""
    for a in load_course(ROOT).model.assignments:
        public = _definitions(ROOT / "checks" / a.id / "public.py")
        by_body = {body: name for name, body in public.items()}
        hidden = _definitions(ROOT / "checks" / a.id / "hidden.py")
        copies = {name: by_body[body] for name, body in hidden.items() if body in by_body}
        assert not copies, f"{a.id}/hidden.py copies public.py's {copies}: take them from public_of(__file__)"
