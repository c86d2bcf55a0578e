"""How checks are written: ``@probe`` functions run in the notebook's process, ``@check``
functions run in the grader and decide.

A check file (``checks/<assignment>/public.py`` or ``hidden.py``) reads like the lecture::

    from autograder.checks import check, probe
    from autograder import expect, stats

    @probe
    def train_step(ns, seed, p):
        rng = np.random.default_rng(seed)
        x = rng.standard_normal((64, 32))
        out, cache = ns.dropout_forward(x, p, "train", rng)
        return {"x": x, "out": out}

    @check("dropout_forward", points=1)
    def test_kept_values_are_scaled_by_inverse_keep_probability(student, seed):
        r = student(train_step, seed=seed, p=0.3)
        ...

A probe is self-contained: it may use ``np``, ``math`` and ``torch`` and the student's
names through ``ns``; it returns a dict of arrays, numbers and strings. Its source is sent
to the notebook's process, so it holds no expected values, and it reads no other name of its
check file: ``@probe`` refuses one that does, when the file loads (:mod:`autograder.probes`).
A check receives the fixtures it names: ``student`` and ``reference`` (call a probe on the
student's or the reference solution's code), and ``seed`` (a fixed integer per check). Points and visibility are data
on the check: points in ``@check``, visibility by file (``public.py`` is shipped to
students, ``hidden.py`` never is). A ``hidden.py`` takes the probes and helpers it shares with
its ``public.py`` from ``public_of(__file__)``; a check file loads no other file
(:func:`load_module` refuses one that does).

Doing nothing earns nothing: a property that a do-nothing answer also has (the input is not
modified, flags are restored, ...) names the check of the exercise's main output that must pass
first, ``@check("spatial_dropout", points=1, requires="whole_channel_maps_are_dropped_or_scaled")``;
while that check does not pass, this one scores 0 and says which check to pass first.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import json
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from . import probes
from .errors import CourseError

VISIBILITIES = ("public", "hidden")


@dataclass(frozen=True)
class Probe:
    name: str
    source: str

    def key(self, kwargs: dict) -> str:
        """Stable identity of one call: the probe's source and its arguments."""
        blob = json.dumps({"probe": self.source, "kwargs": kwargs}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()

    def __call__(self, *args, **kwargs):  # pragma: no cover - guard against misuse
        raise TypeError(f"probe {self.name} runs in the notebook's process: call student({self.name}, ...)")


def probe(fn) -> Probe:
    """Mark a function as a probe. Its source (without decorators) is what runs remotely.

    Raises :class:`CourseError` (one line naming the file, the line, the probe and the names) if the
    source reads a name it will not have in the student's process (:func:`autograder.probes.undefined_names`)."""
    src = textwrap.dedent(inspect.getsource(fn))
    lines = src.splitlines(True)
    first = fn.__code__.co_firstlineno  # the first decorator's line
    while lines and lines[0].lstrip().startswith("@"):
        lines.pop(0)
        first += 1
    source = "".join(lines)
    problem = probes.probe_problem(source, fn.__name__, first)
    if problem is not None:
        line, what = problem
        raise CourseError(fn.__code__.co_filename, [f"line {line}: {what}"])
    return Probe(fn.__name__, source)


@dataclass(frozen=True)
class CheckSpec:
    exercise: str
    points: float
    fn: object = field(compare=False)
    id: str = ""
    visibility: str = "public"
    doc: str = ""
    source: str = field(default="", compare=False)
    fixtures: tuple = ()
    requires: str = ""  # id of a check of the same exercise that must pass before this one scores


def check(exercise: str, *, points: float, requires: str = ""):
    """Declare a check of ``exercise`` worth ``points`` (all or nothing).

    ``requires``: the id of an earlier check of the same exercise (its main output) that must
    pass before this one can score; use it for every property a do-nothing answer satisfies."""
    if points <= 0:
        raise ValueError("points must be positive")
    if not isinstance(requires, str):
        raise TypeError("requires is one check id")

    def deco(fn):
        fn.__check__ = {"exercise": exercise, "points": float(points), "requires": requires}
        return fn

    return deco


def _checks_in_module(module, visibility: str) -> list[CheckSpec]:
    specs = []
    for name, fn in vars(module).items():
        meta = getattr(fn, "__check__", None)
        if meta is None or not callable(fn):
            continue
        cid = name.removeprefix("test_")
        fixtures = tuple(inspect.signature(fn).parameters)
        unknown = set(fixtures) - {"student", "reference", "seed"}
        if unknown:
            raise TypeError(f"check {name}: unknown fixtures {sorted(unknown)}")
        doc = inspect.getdoc(fn) or ""
        specs.append(
            CheckSpec(
                meta["exercise"],
                meta["points"],
                fn,
                cid,
                visibility,
                doc,
                inspect.getsource(fn),
                fixtures,
                meta.get("requires", ""),
            )
        )
    specs.sort(key=lambda s: s.fn.__code__.co_firstlineno)
    return specs


def _visibility(path: Path) -> str:
    return "hidden" if Path(path).name == "hidden.py" else "public"


def _vet_file(path: Path, data: bytes) -> None:
    """A check file breaking the declared way of sharing (:func:`autograder.probes.file_problems`) is a
    :class:`CourseError` naming it."""
    try:
        problems = probes.file_problems(data.decode("utf-8"), _visibility(path))
    except (UnicodeDecodeError, SyntaxError, ValueError):
        return  # the import itself reports these, with the line
    if problems:
        raise CourseError(path, problems)


def load_module(path: Path, name: str) -> ModuleType:
    """Import a check file under ``name``. No bytecode is written: grading never writes into the course
    tree. The file is vetted first (it loads no other file); each ``@probe`` is vetted as it is defined."""
    path = Path(path)
    data = path.read_bytes()
    _vet_file(path, data)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    dont_write, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)  # never leave a half-run module for public_of to find
        raise
    finally:
        sys.dont_write_bytecode = dont_write
    module.__checks_digest__ = hashlib.sha256(data).hexdigest()
    return module


def public_of(hidden_file) -> ModuleType:
    """The ``public.py`` next to a ``hidden.py``, as a module: the one way a hidden check file shares
    probes and helpers with its public one (``_P = public_of(__file__)``; ``bn_train = _P.bn_train``).

    Works wherever the hidden file is loaded (``autograder grade``, batch, nbgrader's ``Checks``,
    ``pytest checks/<id>/hidden.py``): it needs only the hidden file's path. The module is the one
    :func:`load_checks` loaded for the public checks when that file is unchanged (same name, same
    bytes), else it is loaded here; its checks are registered by whoever loads ``public.py`` as such,
    never as hidden checks. Nothing hidden moves the other way: ``public.py`` cannot call this
    (:data:`autograder.probes.CHECKS_API`), and only ``public.py`` ships to students."""
    path = Path(hidden_file).resolve()
    if path.name != "hidden.py":
        raise CourseError(path, ["public_of(__file__) is for a hidden.py: it returns the public.py next to it"])
    pub = path.with_name("public.py")
    try:
        data = pub.read_bytes()
    except OSError as exc:
        raise CourseError(path, [f"public_of(__file__): cannot read {pub.name} next to it ({exc.strerror})"]) from None
    _vet_file(path, path.read_bytes())  # pytest imports hidden.py itself: vet it here too
    name = f"autograder_checks_{path.parent.name}_public"
    module = sys.modules.get(name)
    if (
        module is not None
        and getattr(module, "__checks_digest__", None) == hashlib.sha256(data).hexdigest()
        and Path(getattr(module, "__file__", "")).resolve() == pub
    ):
        return module
    return load_module(pub, name)


_LOADED: dict = {}


def _folder_state(folder: Path) -> str:
    """What the loaded checks depend on: the content of every Python file of the folder."""
    h = hashlib.sha256()
    for p in sorted(folder.glob("*.py")):
        h.update(p.name.encode() + b"\0")
        try:
            h.update(p.read_bytes())
        except OSError:
            h.update(b"\0<unreadable>")
    return h.hexdigest()


def load_checks(checks_dir: Path, assignment_id: str, visibilities=VISIBILITIES) -> list[CheckSpec]:
    """The checks of one assignment, public first, each in file order.

    Loaded once per process while the folder's files are unchanged (a batch grader process
    grades many students; importing a check file and reading its probes' source costs
    about 0.1 s). Checks are plain functions of their fixtures, so reusing them is safe."""
    folder = (Path(checks_dir) / assignment_id).resolve()
    key = (folder, tuple(v for v in VISIBILITIES if v in visibilities))
    state = _folder_state(folder)
    hit = _LOADED.get(key)
    if hit is not None and hit[0] == state:
        return list(hit[1])
    specs = _load_checks(checks_dir, assignment_id, visibilities)
    _LOADED[key] = (state, specs)
    return list(specs)


def _load_checks(checks_dir: Path, assignment_id: str, visibilities) -> list[CheckSpec]:
    specs: list[CheckSpec] = []
    for vis in VISIBILITIES:
        if vis not in visibilities:
            continue
        path = Path(checks_dir) / assignment_id / f"{vis}.py"
        if not path.exists():
            continue
        module = load_module(path, f"autograder_checks_{assignment_id}_{vis}")
        specs.extend(_checks_in_module(module, vis))
    seen: dict[str, CheckSpec] = {}
    for s in specs:
        if s.id in seen:
            raise ValueError(f"{checks_dir}/{assignment_id}: duplicate check id {s.id!r}")
        if s.requires:  # checks run in this order, so the prerequisite's verdict is known in time
            pre = seen.get(s.requires)
            if pre is None and "public" not in visibilities:
                continue  # hidden checks alone (listing ids): a public prerequisite is not loaded
            if pre is None or pre.exercise != s.exercise:
                raise ValueError(
                    f"{checks_dir}/{assignment_id}: check {s.id!r} requires {s.requires!r}, which is not "
                    f"an earlier check of exercise {s.exercise!r} (public checks come before hidden ones)"
                )
            if pre.requires:
                raise ValueError(
                    f"{checks_dir}/{assignment_id}: check {s.id!r} requires {s.requires!r}, which itself "
                    "requires another check: name the main check directly"
                )
        seen[s.id] = s
    return specs


def check_seed(base_seed: int, assignment_id: str, check_id: str) -> int:
    """The fixed seed a check receives: stable across runs, different per check."""
    h = hashlib.sha256(f"{base_seed}/{assignment_id}/{check_id}".encode()).digest()
    return int.from_bytes(h[:4], "little")
