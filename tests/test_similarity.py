"""``autograder similarity``: a planted copy (renamed variables, reordered functions) is flagged;
independently written correct answers to the same exercises are not; the page escapes student text."""

from __future__ import annotations

import html
import subprocess
import sys

import pytest
from helpers import course, make_submission

from autograder.similarity import compare_class, render_html, strip_docstrings

AID = "05_regularization"

# Student A: the reference solution's code for these exercises (what a strong student writes).
# Student B: A copied, every name changed, functions and statements reordered, comments added.
# Students C and D: the same exercises, correct, written independently in their own styles.
COPY = {
    "l2_penalty": """
def l2_penalty_grad(weights, strength):
    # gradient
    return [strength * np.asarray(arr, dtype=np.float64) for arr in weights]


def l2_penalty(weights, strength):
    return 0.5 * strength * sum(float(np.sum(np.square(arr))) for arr in weights)
""",
    "sgd_step": """
def sgd_step(w, grad, state, lr, momentum=0.0, weight_decay=0.0):
    direction = grad + weight_decay * w
    if momentum != 0:
        velocity = state.get("momentum_buffer")
        velocity = (
            np.array(direction, dtype=np.float64, copy=True) if velocity is None else momentum * velocity + direction
        )
        state["momentum_buffer"] = velocity
        direction = velocity
    return w - lr * direction
""",
    "adam_step": """
def adam_step(w, grad, state, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    beta_one, beta_two = betas
    gg = grad + weight_decay * w
    step = state.get("t", 0) + 1
    first = beta_one * state.get("m", 0.0) + (1 - beta_one) * gg
    second = beta_two * state.get("v", 0.0) + (1 - beta_two) * gg * gg
    state["t"], state["m"], state["v"] = step, first, second
    first_hat = first / (1 - beta_one ** step)
    second_hat = second / (1 - beta_two ** step)
    return w - lr * first_hat / (np.sqrt(second_hat) + eps)
""",
    "adamw_step": """
def adamw_step(w, grad, state, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
    beta_one, beta_two = betas
    w = w * (1 - lr * weight_decay)
    step = state.get("t", 0) + 1
    first = beta_one * state.get("m", 0.0) + (1 - beta_one) * grad
    second = beta_two * state.get("v", 0.0) + (1 - beta_two) * grad * grad
    state["t"], state["m"], state["v"] = step, first, second
    first_hat = first / (1 - beta_one ** step)
    second_hat = second / (1 - beta_two ** step)
    return w - lr * first_hat / (np.sqrt(second_hat) + eps)
""",
    "cosine_annealing": """
def cosine_annealing(t, lr0, T, eta_min=0.0, warmup=0):
    steps = np.asarray(t, dtype=np.float64)
    ramp = lr0 * steps / max(warmup, 1)
    frac = (steps - warmup) / (T - warmup)
    curve = eta_min + (lr0 - eta_min) * (1 + np.cos(np.pi * frac)) / 2
    return np.where(steps < warmup, ramp, curve)
""",
    "majority_vote": """
def majority_vote(predictions):
    votes = np.asarray(predictions)
    n_classes = int(votes.max()) + 1
    tally = (votes[:, :, None] == np.arange(n_classes)).sum(axis=0)
    return np.argmax(tally, axis=1).astype(np.int64)
""",
}

INDEPENDENT_C = {
    "l2_penalty": """
def l2_penalty(params, lam):
    total = 0.0
    for p in params:
        total += float((p * p).sum())
    return lam * total / 2


def l2_penalty_grad(params, lam):
    out = []
    for p in params:
        out.append(p * lam)
    return out
""",
    "sgd_step": """
def sgd_step(w, grad, state, lr, momentum=0.0, weight_decay=0.0):
    d = grad.copy()
    if weight_decay:
        d += weight_decay * w
    if momentum:
        if "momentum_buffer" in state:
            state["momentum_buffer"] = state["momentum_buffer"] * momentum + d
        else:
            state["momentum_buffer"] = d.copy()
        d = state["momentum_buffer"]
    new_w = w.copy()
    new_w -= lr * d
    return new_w
""",
    "adam_step": """
def adam_step(w, grad, state, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    if not state:
        state.update(t=0, m=np.zeros_like(w), v=np.zeros_like(w))
    d = grad + w * weight_decay if weight_decay else grad
    state["t"] += 1
    state["m"] = betas[0] * state["m"] + (1.0 - betas[0]) * d
    state["v"] = betas[1] * state["v"] + (1.0 - betas[1]) * np.square(d)
    corr1 = 1.0 - betas[0] ** state["t"]
    corr2 = 1.0 - betas[1] ** state["t"]
    denom = np.sqrt(state["v"] / corr2) + eps
    return w - (lr / corr1) * state["m"] / denom
""",
    "adamw_step": """
def adamw_step(w, grad, state, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
    shrunk = (1.0 - lr * weight_decay) * w
    return adam_step(shrunk, grad, state, lr, betas, eps, 0.0)
""",
    "cosine_annealing": """
def cosine_annealing(t, lr0, T, eta_min=0.0, warmup=0):
    ts = np.array(t, dtype=float)
    lr = np.empty_like(ts)
    early = ts < warmup
    lr[early] = ts[early] * (lr0 / warmup) if warmup > 0 else 0.0
    angle = math.pi * (ts[~early] - warmup) / (T - warmup)
    lr[~early] = eta_min + 0.5 * (lr0 - eta_min) * (1.0 + np.cos(angle))
    return lr.reshape(np.shape(t))
""",
    "majority_vote": """
def majority_vote(predictions):
    predictions = np.asarray(predictions)
    k, n = predictions.shape
    counts = np.zeros((n, predictions.max() + 1), dtype=np.int64)
    np.add.at(counts, (np.tile(np.arange(n), k), predictions.ravel()), 1)
    return counts.argmax(axis=1)
""",
}

INDEPENDENT_D = {
    "l2_penalty": """
def l2_penalty(params, lam):
    squares = [np.dot(a.ravel(), a.ravel()) for a in params]
    return float(lam) * 0.5 * float(np.sum(squares))


def l2_penalty_grad(params, lam):
    return list(map(lambda a: lam * a, params))
""",
    "sgd_step": """
def sgd_step(w, grad, state, lr, momentum=0.0, weight_decay=0.0):
    update = np.add(grad, np.multiply(weight_decay, w))
    if momentum == 0:
        return np.subtract(w, lr * update)
    previous = state.get("momentum_buffer", None)
    if previous is not None:
        update = np.add(np.multiply(momentum, previous), update)
    else:
        update = np.copy(update)
    state["momentum_buffer"] = update
    return np.subtract(w, lr * update)
""",
    "adam_step": """
def adam_step(w, grad, state, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    beta1, beta2 = betas
    full_grad = np.add(grad, np.multiply(weight_decay, w))
    count = state["t"] + 1 if "t" in state else 1
    mean = (
        np.multiply(beta1, state["m"]) + np.multiply(1 - beta1, full_grad) if "m" in state else (1 - beta1) * full_grad
    )
    var = (
        np.multiply(beta2, state["v"]) + (1 - beta2) * full_grad ** 2 if "v" in state else (1 - beta2) * full_grad ** 2
    )
    state.update({"t": count, "m": mean, "v": var})
    step_size = lr / (1 - beta1 ** count)
    return np.subtract(w, step_size * mean / (np.sqrt(var / (1 - beta2 ** count)) + eps))
""",
    "adamw_step": """
def adamw_step(w, grad, state, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
    decayed = np.multiply(w, 1 - lr * weight_decay)
    return adam_step(decayed, grad, state, lr, betas=betas, eps=eps)
""",
    "cosine_annealing": """
def cosine_annealing(t, lr0, T, eta_min=0.0, warmup=0):
    def one(step):
        if step < warmup:
            return lr0 * step / warmup
        progress = (step - warmup) / (T - warmup)
        return eta_min + (lr0 - eta_min) * 0.5 * (1 + math.cos(math.pi * progress))
    return np.vectorize(one, otypes=[np.float64])(np.asarray(t))
""",
    "majority_vote": """
def majority_vote(predictions):
    columns = np.asarray(predictions).T
    width = int(np.max(predictions)) + 1
    return np.array([np.bincount(col, minlength=width).argmax() for col in columns], dtype=np.int64)
""",
}


def _reference_answers():
    """Student A: the reference solution's answer cells (as a strong student would write them)."""
    import nbformat

    from autograder.extract import index_cells

    nb = nbformat.read(str(course().source_notebook(course().model.assignment(AID))), as_version=4)
    idx = index_cells(nb)
    out = {}
    for ex in COPY:
        lines = [ln for ln in idx.by_id[ex].source.splitlines() if "### " not in ln]
        out[ex] = "\n".join(lines)
    return out


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    for name, answers in (
        ("alice", _reference_answers()),
        ("bob", COPY),
        ("carol", INDEPENDENT_C),
        ("dave", INDEPENDENT_D),
    ):
        make_submission(AID, answers, blank=True, dest=root / name)
    return root


def test_independent_answers_are_correct():
    """C and D really are correct answers (else 'not flagged' would prove nothing about correct work)."""
    from helpers import grade

    for answers in (INDEPENDENT_C, INDEPENDENT_D, COPY):
        res = grade(AID, answers)
        bad = {c.id: c.message[:200] for c in res.checks if c.exercise in answers and c.status != "passed"}
        assert not bad, bad


def test_copy_is_flagged_and_independent_work_is_not(klass):
    report = compare_class(course(), klass)
    by_pair = {frozenset((p.a, p.b)): p for p in report.pairs}
    copy = by_pair[frozenset(("alice", "bob"))]
    assert copy.flagged and report.pairs[0] is copy, [(p.a, p.b, round(p.best, 2)) for p in report.pairs]
    others = [p for key, p in by_pair.items() if key != frozenset(("alice", "bob"))]
    assert others and not any(p.flagged for p in others), [(p.a, p.b, round(p.best, 2)) for p in others]
    assert copy.best - max(p.best for p in others) > 0.3


def test_released_stub_is_not_evidence(tmp_path):
    """Two students who wrote nothing share the whole stub: similarity 0, not flagged."""
    for name in ("erin", "frank"):
        make_submission(AID, {}, blank=True, dest=tmp_path / name)
    report = compare_class(course(), tmp_path)
    assert report.pairs[0].best == 0 and not report.pairs[0].flagged


def test_docstrings_are_removed():
    src = 'def f(x):\n    """Doc\n    more."""\n    return x\n'
    assert strip_docstrings(src) == "def f(x):\n    return x\n"
    assert strip_docstrings("def (:\n") == "def (:\n"  # does not parse: compared as written


def test_page_escapes_student_names_and_code(tmp_path):
    evil = "<script>alert(1)</script>"
    answers = dict(COPY)
    answers["majority_vote"] = COPY["majority_vote"] + f"\n# {evil}\n"
    make_submission(AID, answers, blank=True, dest=tmp_path / "x<img src=x onerror=alert(2)>")
    make_submission(AID, answers, blank=True, dest=tmp_path / "twin")
    page = render_html(compare_class(course(), tmp_path))
    assert "<script>alert" not in page and "<img src=x" not in page
    assert html.escape("x<img src=x onerror=alert(2)>") in page


def test_cli_writes_the_page(klass, tmp_path):
    out = tmp_path / "sim.html"
    p = subprocess.run(
        [sys.executable, "-m", "autograder", "similarity", str(klass), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert p.returncode == 0, p.stderr
    assert "alice" in p.stdout and "bob" in p.stdout
    assert "alice" in out.read_text(encoding="utf-8")
    missing = subprocess.run(
        [sys.executable, "-m", "autograder", "similarity", str(tmp_path / "nope"), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1 and "nope" in missing.stderr
