"""The HTML report in a real browser: headless Chromium renders it, decodes the embedded
plots, and runs none of the student's markup.

Needs Debian's `chromium` (and `fonts-noto-cjk` for the Japanese glyphs to be real
glyphs rather than boxes): `apt-get install -y chromium fonts-noto-cjk`. Skipped when
/usr/bin/chromium (or $CHROMIUM) is missing.
"""

from __future__ import annotations

import html.parser
import os
import subprocess
from pathlib import Path

import pytest

from checker.grading.records import ExerciseRecord, ItemRecord, Report, Status
from checker.report.html import CSP, render_html

CHROMIUM = os.environ.get("CHROMIUM") or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)),
        reason=f"{CHROMIUM} not found: `apt-get install -y chromium fonts-noto-cjk` to run the browser tests",
    ),
]

WIDTH, HEIGHT = 1200, 2000
# Plot backgrounds no other part of the page uses, to find the images in the screenshot.
MAGENTA = (255, 0, 255)
CYAN = (0, 255, 255)
HOSTILE = "</pre></td><script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\"> ]]> \x00"

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
]


def _plot(path: Path, face: tuple[int, int, int], kind: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.8, 3.2), dpi=100)
    colour = tuple(c / 255 for c in face)
    fig.patch.set_facecolor(colour)
    if kind == "curves":
        epochs = list(range(1, 11))
        ax.plot(epochs, [1 / e for e in epochs], label="loss", color="tab:blue")
        ax.plot(epochs, [1 - 0.5 / e for e in epochs], label="accuracy", color="tab:orange")
        ax.set_xlabel("epoch")
        ax.legend()
    else:
        sizes = [1, 2, 4, 8, 16, 32]
        ax.bar([str(s) for s in sizes], [0.9 / s + 0.02 for s in sizes], color="tab:green")
        ax.set_xlabel("batch size")
        ax.set_ylabel("s / epoch")
    fig.tight_layout()
    fig.savefig(path, facecolor=fig.get_facecolor())
    plt.close(fig)
    return path


@pytest.fixture
def page(tmp_path) -> tuple[Path, Report, dict]:
    curves = _plot(tmp_path / "75_curves.png", MAGENTA, "curves")
    timing = _plot(tmp_path / "77_timing.png", CYAN, "timing")
    report = Report(
        submission="exercise.py",
        sha256="ab" * 32,
        checker_version="0.1.0",
        backend="local",
        isolation="bwrap",
        lang="ja",
        seed=0,
        max_examples=30,
        duration_s=12.5,
        data={"name": "news", "version": "1", "checksum": "c0ffee" * 10},
        exercises=[
            ExerciseRecord(
                "75",
                "損失と正解率のプロット",
                [
                    ItemRecord("history", Status.PASSED, 2, 2, artifacts={"loss/accuracy": str(curves)}),
                    ItemRecord(
                        "accuracy_threshold",
                        Status.FAILED,
                        0,
                        3,
                        message=f"正解率 0.71 < 0.80 {HOSTILE}",
                        counterexample={
                            "input": "epochs=10",
                            "got": "0.71",
                            "expected": ">= 0.80",
                            "repro": "check submit exercise.py -e 75",
                        },
                        line=40,
                    ),
                ],
            ),
            ExerciseRecord(
                "77",
                "ミニバッチ化",
                [
                    ItemRecord("batch_timing", Status.PASSED, 2, 2, artifacts={"timing": str(timing)}),
                    ItemRecord(
                        "device",
                        Status.SKIPPED,
                        0,
                        1,
                        message="スキップ: このマシンには CUDA デバイスがありません",
                        counts_to_max=False,
                    ),
                ],
            ),
        ],
        output={"stdout": f"epoch 1 loss 0.9\n{HOSTILE}", "stderr": "", "truncated": False, "limit_kb": 64},
    )
    path = tmp_path / "report.html"
    path.write_text(render_html(report), encoding="utf-8")
    from PIL import Image

    sizes = {name: Image.open(p).size for name, p in (("curves", curves), ("timing", timing))}
    return path, report, sizes


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HOME": str(tmp_path)},
    )


class _Dom(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.imgs: list[dict] = []
        self.scripts = 0
        self.body: dict = {}
        self.title = ""
        self.score = ""
        self._in = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.imgs.append(a)
        elif tag == "script":
            self.scripts += 1
        elif tag == "body":
            self.body = a
        if tag == "title":
            self._in = "title"
        elif a.get("id") == "score":
            self._in = "score"

    def handle_endtag(self, tag):
        if tag in ("title", "p"):
            self._in = None

    def handle_data(self, data):
        if self._in == "title":
            self.title += data
        elif self._in == "score":
            self.score += data


def _dump(tmp_path: Path, path: Path) -> _Dom:
    p = _chromium(tmp_path, "--virtual-time-budget=5000", "--dump-dom", path.as_uri())
    assert p.returncode == 0, p.stderr[-2000:]
    dom = _Dom()
    dom.feed(p.stdout)
    dom.close()
    return dom


def test_screenshot_is_rendered_with_both_plots(page, tmp_path):
    from PIL import Image

    path, _, _ = page
    shot = tmp_path / "shot.png"
    p = _chromium(tmp_path, f"--screenshot={shot}", f"--window-size={WIDTH},{HEIGHT}", path.as_uri())
    assert p.returncode == 0 and shot.is_file(), p.stderr[-2000:]
    img = Image.open(shot).convert("RGB")
    assert img.size == (WIDTH, HEIGHT)
    colours = img.getcolors(maxcolors=WIDTH * HEIGHT)
    assert len(colours) > 50, "the page looks blank"
    top_count = max(colours)[0]
    assert top_count < 0.95 * WIDTH * HEIGHT, "one colour covers almost the whole page"
    counts = {c: n for n, c in colours}
    # both embedded PNGs were decoded and painted (their backgrounds are on screen)
    assert counts.get(MAGENTA, 0) > 5000, "the 75 curves plot is not visible"
    assert counts.get(CYAN, 0) > 5000, "the 77 timing plot is not visible"
    # the status colours are there (failed red badge, passed green badge)
    assert any(r > 180 and g < 60 and b < 70 for n, (r, g, b) in colours if n > 50)
    assert any(g > 100 and r < 60 and b < 80 for n, (r, g, b) in colours if n > 50)


def test_dom_has_score_and_data_uri_images_and_no_student_markup(page, tmp_path):
    path, report, _ = page
    dom = _dump(tmp_path, path)
    assert f"{report.score:g} / {report.max_score:g}" in dom.score
    assert "合計" in dom.score
    assert len(dom.imgs) == 2, dom.imgs  # the student's <img onerror> stayed text
    for a in dom.imgs:
        assert a["src"].startswith("data:image/png;base64,")
    assert dom.scripts == 0
    assert "pwned" not in dom.title


def _with_probe(path: Path, csp: str) -> Path:
    """A copy of the page with a script that records the decoded width of every image."""
    probe = (
        "<script>addEventListener('load', () => { document.body.setAttribute('data-decoded', "
        "[...document.images].map(i => i.complete ? i.naturalWidth + 'x' + i.naturalHeight : 'pending').join(' ')); "
        "});</script>"
    )
    text = path.read_text(encoding="utf-8")
    assert text.count(CSP) == 1
    out = path.with_name(path.stem + ("-probe-relaxed" if csp != CSP else "-probe") + ".html")
    out.write_text(text.replace(CSP, csp).replace("</main></body>", "</main>" + probe + "</body>"), encoding="utf-8")
    return out


def test_images_decode(page, tmp_path):
    path, _, sizes = page
    relaxed = CSP.replace("style-src 'unsafe-inline';", "style-src 'unsafe-inline'; script-src 'unsafe-inline';")
    dom = _dump(tmp_path, _with_probe(path, relaxed))
    decoded = dom.body.get("data-decoded")
    assert decoded is not None, "the probe did not run"
    assert decoded.split() == [f"{w}x{h}" for w, h in (sizes["curves"], sizes["timing"])]
    assert "pwned" not in dom.title  # even with scripts allowed, the student's markup is inert


def test_csp_blocks_scripts(page, tmp_path):
    path, _, _ = page
    dom = _dump(tmp_path, _with_probe(path, CSP))
    assert "data-decoded" not in dom.body
