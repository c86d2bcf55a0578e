"""The check result a public check cell shows reads well in a real browser.

A check cell's value is an ``ExerciseReport``; JupyterLab, Colab and nbgrader's feedback show its
``_repr_html_``. Here the real checks of ``02_normalization``'s ``batchnorm_forward`` (7 points,
some of them public) run on the solution, on the release stub, on a half-right answer and on an
answer whose exception message is HTML, and headless Chromium (Debian's ``chromium`` with
``fonts-noto-cjk``, driven by playwright) lays the results out inside a page that reproduces
what JupyterLab 4 does to an HTML output's tables (packages/rendermime/style/base.css: tables
``table-layout: fixed`` and centred with ``margin: auto``, ``text-align: right`` on the td/th/tr of
a non-Markdown output, zebra rows) and nbconvert's classic ``.rendered_html`` rules, at a wide and
a narrow (Colab side panel, phone) width. From the DOM: every cell is left-aligned, the table
starts at the output's left edge, every Korean word lies on one line, nothing overflows
sideways, the header says what the public checks are worth out of the exercise's points, and
the hostile message is text, not markup. A screenshot of each page is written to
``$AUTOGRADER_SCREENSHOTS`` (default: the test's tmp dir) for a person to look at.

The same layout probe is run on the markup the check cell produced before (right-aligned
cells, Korean broken one syllable per line), so it is shown to catch what it is meant to.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
HOW = (
    "needs Debian's chromium and a Korean font, and playwright: `apt-get install -y chromium fonts-noto-cjk` "
    "(as root; .ci/run does it) and `pip install -e .[dev]`"
)


def _korean_font() -> bool:
    try:
        out = subprocess.run(
            ["fc-list", ":lang=ko", "family"], capture_output=True, text=True, timeout=30, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return bool(out.strip())


def _missing() -> str:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed"
    if not CHROMIUM:
        return "no chromium on PATH"
    if not _korean_font():
        return "no Korean font (fc-list :lang=ko is empty)"
    return ""


MISSING = _missing()
if MISSING and os.environ.get("AUTOGRADER_BROWSER_TESTS") == "required":  # CI: a skip would hide a regression
    raise RuntimeError(f"browser tests required (AUTOGRADER_BROWSER_TESTS=required) but {MISSING}; {HOW}")
needs_browser = pytest.mark.skipif(bool(MISSING), reason=f"{MISSING}: {HOW}")
pytestmark = pytest.mark.xdist_group("browser")


def _public_points() -> float:
    from autograder.checks import load_checks

    specs = load_checks(ROOT / "checks", "02_normalization", ("public",))
    return sum(s.points for s in specs if s.exercise == "batchnorm_forward")


PUBLIC_POINTS = _public_points()  # what batchnorm_forward's public checks are worth (course.yaml: 7 in all)

HOSTILE = (
    "</pre></td></tr></table><script>window.pwned=1</script><img src=x onerror='window.pwned=2'> 모양이 맞지 않습니다"
)
HALF_RIGHT = """
def batchnorm_forward(x, gamma, beta, bn_param):
    eps, momentum = bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.9)
    N, D = x.shape
    rm, rv = bn_param.get("running_mean", np.zeros(D)), bn_param.get("running_var", np.ones(D))
    if bn_param["mode"] == "train":
        mu, var = x.mean(axis=0), x.var(axis=0)
        bn_param["running_mean"] = momentum * rm + (1 - momentum) * mu   # CS231n's convention
        bn_param["running_var"] = momentum * rv + (1 - momentum) * var
    else:
        mu, var = rm, rv
    x_hat = (x - mu) / np.sqrt(var + eps)
    return gamma * x_hat + beta, (x_hat, gamma, 1.0 / np.sqrt(var + eps))
"""

# What JupyterLab 4 and the classic notebook/nbconvert do to an HTML output (the rules, re-stated).
HOST_CSS = """
:root { --jp-content-font-family: system-ui, 'Noto Sans CJK KR', sans-serif; --jp-code-font-family: monospace; }
body { margin: 0; font-family: var(--jp-content-font-family); font-size: 14px; color: #212121; background: #fff; }
.jp-OutputArea-output { padding: 4px 20px 4px 8px; border-bottom: 1px dashed #bbb; overflow-x: auto; }
.jp-RenderedHTMLCommon { font-size: 14px; line-height: 1.6; padding-right: 20px; }
.jp-RenderedHTMLCommon table { border-collapse: collapse; border-spacing: 0; border: none; font-size: 13px;
  table-layout: fixed; margin-left: auto; margin-bottom: 1em; margin-right: auto; }
.jp-RenderedHTMLCommon td, .jp-RenderedHTMLCommon th, .jp-RenderedHTMLCommon tr {
  vertical-align: middle; padding: 0.5em; line-height: normal; white-space: normal; max-width: none; border: none; }
:not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon td, :not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon th,
:not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon tr { text-align: right; }
.jp-RenderedHTMLCommon tbody tr:nth-child(even) { background: #f5f5f5; }
.jp-RenderedHTMLCommon pre, .jp-RenderedHTMLCommon code { white-space: pre-wrap; background: #fff; padding: 0; }
.rendered_html table { margin-left: auto; margin-right: auto; border: none; border-collapse: collapse;
  border-spacing: 0; font-size: 12px; table-layout: fixed; }
.rendered_html td, .rendered_html th, .rendered_html tr { text-align: right; vertical-align: middle;
  padding: 0.5em; line-height: normal; white-space: normal; max-width: none; border: none; }
"""

# The layout probe, run in the page: one finding per problem, [] when the output reads well.
PROBE = r"""
(root) => {
  const found = [];
  const box = root.getBoundingClientRect();
  for (const cell of root.querySelectorAll('td, th')) {
    const a = getComputedStyle(cell).textAlign;
    if (a !== 'left' && a !== 'start') { found.push('aligned ' + a + ': ' + cell.innerText.slice(0, 30)); }
  }
  for (const t of root.querySelectorAll('table')) {
    const dx = t.getBoundingClientRect().left - box.left;
    if (dx > 12) { found.push('table starts ' + Math.round(dx) + 'px right of the output'); }
  }
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const hangul = /[\uac00-\ud7a3]+/g;
  let words = 0;
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    for (const m of n.data.matchAll(hangul)) {
      const r = document.createRange();
      r.setStart(n, m.index); r.setEnd(n, m.index + m[0].length);
      const tops = new Set([...r.getClientRects()].filter(q => q.width > 0).map(q => Math.round(q.top)));
      words += 1;
      if (tops.size > 1) { found.push('split: ' + m[0]); }
    }
  }
  if (root.scrollWidth > root.clientWidth + 1) {
    found.push('overflows sideways by ' + (root.scrollWidth - root.clientWidth) + 'px');
  }
  if (words < 10) { found.push('only ' + words + ' Korean words found'); }
  return found;
}
"""


def _reports():
    from autograder.notebook import Checks

    checks = Checks("02_normalization", root=ROOT)
    nb = nbformat.read(str(ROOT / "solutions" / "02_normalization" / "02_normalization.ipynb"), as_version=4)
    release = nbformat.read(str(ROOT / "assignments" / "02_normalization" / "02_normalization.ipynb"), as_version=4)

    def cell(book, gid):
        return next(c.source for c in book.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == gid)

    def namespace(source):
        ns: dict = {}
        exec("import numpy as np", ns)
        exec(source, ns)
        return ns

    def hostile(*args, **kwargs):
        raise ValueError(HOSTILE)

    return {
        "solution": checks.run("batchnorm_forward", namespace=namespace(cell(nb, "batchnorm_forward"))),
        "stub": checks.run("batchnorm_forward", namespace=namespace(cell(release, "batchnorm_forward"))),
        "half": checks.run("batchnorm_forward", namespace=namespace(HALF_RIGHT)),
        "hostile": checks.run("batchnorm_forward", namespace={"batchnorm_forward": hostile}),
    }


def _old_markup(report) -> str:
    """The check cell's markup before issue 14 (kept to show the probe catches its faults)."""
    import html

    rows = "".join(
        f"<tr><td>✘ 오류</td><td><code>{html.escape(r.id)}</code><br><small>{html.escape(r.doc)}</small></td>"
        f"<td>{r.score:g}/{r.max_score:g}</td><td><pre "
        f"style='white-space:pre-wrap;margin:0'>{html.escape(r.message)}</pre></td></tr>"
        for r in report.results
    )
    return (
        f"<div><b>{report.exercise}: {report.score:g}/{report.max_score:g}점</b>"
        "<table><tr><th>결과</th><th>검사</th><th>점수</th><th>메시지</th></tr>" + rows + "</table></div>"
    )


def _page(outputs: list[str]) -> str:
    cells = "".join(
        f"<div class='jp-OutputArea-output jp-RenderedHTMLCommon jp-RenderedHTML' data-mime-type='text/html'>{o}</div>"
        f"<div class='output_subarea output_html rendered_html'>{o}</div>"
        for o in outputs
    )
    return f"<!doctype html><html lang='ko'><meta charset='utf-8'><style>{HOST_CSS}</style><body>{cells}</body></html>"


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM)
        yield b
        b.close()


@pytest.fixture(scope="module")
def reports():
    return _reports()


def _layout(browser, outputs, width, shot: Path):
    page = browser.new_page(viewport={"width": width, "height": 900})
    try:
        page.set_content(_page(outputs))
        page.evaluate("document.fonts.ready")
        findings = [page.evaluate(PROBE, el) for el in page.query_selector_all(".jp-OutputArea-output, .rendered_html")]
        page.screenshot(path=str(shot), full_page=True)
        text = page.inner_text("body")
        pwned = page.evaluate("window.pwned || 0")
        injected = page.evaluate("document.querySelectorAll('body script, body img').length")
    finally:
        page.close()
    return findings, text, pwned, injected


def _shots(tmp_path) -> Path:
    d = Path(os.environ.get("AUTOGRADER_SCREENSHOTS") or tmp_path)
    d.mkdir(parents=True, exist_ok=True)
    return d


@needs_browser
def test_reports_are_the_real_verdicts(reports):
    assert reports["solution"].passed and reports["solution"].score == PUBLIC_POINTS
    # the stub raises in every check; a check that requires another one to pass first says so ("failed")
    assert reports["stub"].score == 0 and "error" in {r.status for r in reports["stub"].results} <= {"error", "failed"}
    assert 0 < reports["half"].score < PUBLIC_POINTS
    assert all(HOSTILE in r.message for r in reports["hostile"].results if r.status == "error")


@needs_browser
@pytest.mark.parametrize("width", [1000, 420])
def test_check_result_reads_well_in_jupyterlab_and_classic_css(browser, reports, width, tmp_path):
    outputs = [reports[k]._repr_html_() for k in ("solution", "stub", "half", "hostile")]
    shot = _shots(tmp_path) / f"check_result_{width}px.png"
    findings, text, pwned, injected = _layout(browser, outputs, width, shot)
    assert findings == [[]] * len(findings), findings
    assert len(findings) == 8  # 4 outputs x (JupyterLab, classic)
    p = f"{PUBLIC_POINTS:g}"
    assert f"공개 검사 {p}/{p}점 (총 7점 중; 비공개 검사는 제출 후 채점)" in text
    assert f"공개 검사 0/{p}점 (총 7점 중; 비공개 검사는 제출 후 채점)" in text
    assert f"공개 검사 {reports['half'].score:g}/{p}점 (총 7점 중; 비공개 검사는 제출 후 채점)" in text
    assert "bn_running_mean_uses_momentum_0_1" in text and "통과" in text and "오류" in text
    # the hostile message is shown as text, and nothing in it became markup
    assert HOSTILE in text and pwned == 0 and injected == 0
    assert shot.stat().st_size > 10_000


@needs_browser
def test_probe_catches_the_old_markup(browser, reports, tmp_path):
    """The old cell output, in the same pages: right-aligned cells and Korean broken mid-word."""
    findings, *_ = _layout(browser, [_old_markup(reports["stub"])], 1000, _shots(tmp_path) / "old_markup.png")
    jlab = findings[0]
    assert any(f.startswith("aligned right") for f in jlab), jlab
    assert any(f.startswith("split: ") for f in jlab), jlab


def test_every_string_in_the_html_is_escaped():
    """No browser needed: what a student controls (the exercise name a cell passes, an exception
    message, the reason the checks could not run) appears only as text."""
    from autograder.notebook import ExerciseReport
    from autograder.verdict import CheckResult

    evil = "<img src=x onerror=alert(1)>\x1b[31m\u0007"
    res = CheckResult(evil, "ex", 0.0, 1.0, "error", message=f"{evil}\n</pre><script>x</script>", doc=evil)
    page = ExerciseReport(evil, [res], problem=evil, total=3)._repr_html_()
    assert "<img" not in page and "<script" not in page and "\x1b" not in page and "\u0007" not in page
    assert page.count("&lt;img src=x onerror=alert(1)&gt;") == 5  # name, problem, check id, doc, message
    assert "&lt;/pre&gt;&lt;script&gt;x&lt;/script&gt;" in page
