"""`--format html`: one self-contained page.

Inline CSS, no scripts, no external resources: the figures an item made
(``ItemRecord.artifacts``: name -> PNG path, e.g. the loss/accuracy curves of 75 or the
batch-timing plot of 77) are read and embedded as ``data:`` URIs; a missing or unreadable
file, or one that is not a PNG/JPEG/GIF/WebP image, is left out with a note.  A
Content-Security-Policy meta tag forbids scripts and any load other than ``data:``
images, as a second line behind the escaping.

Everything taken from the records is escaped (``html.escape`` after :func:`clean`), since
messages, counterexamples and captured output are student-controlled.
"""

from __future__ import annotations

import base64
import html as _html
from pathlib import Path

from ..messages import render
from ..grading.records import Status
from .common import clean, counterexample_label, item_label, pts

MAX_IMAGE_BYTES = 8 * 1024 * 1024

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


def _label(key: str, lang: str, **params) -> str:
    return render("html_" + key, lang, **params)


def esc(s) -> str:
    return _html.escape(clean(s), quote=True)


_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def _mime(data: bytes) -> str | None:
    for magic, mime in _MAGIC:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def embed_image(path, lang: str) -> tuple[str | None, str | None]:
    """(data URI, None) or (None, reason)."""
    try:
        p = Path(path)
        if not p.is_file():
            return None, _label("reason_missing", lang)
        if p.stat().st_size > MAX_IMAGE_BYTES:
            return None, _label("reason_too_large", lang, mb=MAX_IMAGE_BYTES // (1024 * 1024))
        data = p.read_bytes()
    except (OSError, TypeError, ValueError) as e:
        return None, _label("reason_unreadable", lang, error=type(e).__name__)
    mime = _mime(data)
    if mime is None:
        return None, _label("reason_not_image", lang)
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}", None


STYLE = """
:root { --pass:#1a7f37; --fail:#cf222e; --error:#a40e26; --timeout:#bc4c00; --ni:#8250df; --skip:#57606a; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK JP", "Noto Sans JP", "Hiragino Sans", "Hiragino Kaku Gothic ProN",
       "Yu Gothic", "Meiryo", system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       margin: 0; padding: 24px; background: #f6f8fa; color: #1f2328; line-height: 1.5; }
main { max-width: 1100px; margin: 0 auto; }
header { background: #fff; border: 1px solid #d0d7de; border-radius: 8px; padding: 16px 24px; margin-bottom: 16px; }
h1 { font-size: 1.3em; margin: 0 0 8px; word-break: break-all; }
#score { font-size: 2.6em; font-weight: 700; margin: 4px 0; }
#score.full { color: var(--pass); } #score.partial { color: var(--timeout); } #score.zero { color: var(--fail); }
.meta { color: #57606a; font-size: .92em; margin: 2px 0; word-break: break-all; }
.notes { background: #fff8c5; border: 1px solid #d4a72c; border-radius: 6px; padding: 8px 12px; margin: 8px 0; }
section.exercise { background: #fff; border: 1px solid #d0d7de; border-radius: 8px; margin-bottom: 16px; padding: 12px 24px; }
section.exercise h2 { font-size: 1.15em; display: flex; justify-content: space-between; margin: 4px 0 8px; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; }
th.c-item { width: 24%; } th.c-status { width: 9.5em; } th.c-points { width: 6.5em; }
td code { word-break: break-all; }
th { white-space: nowrap; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #eaeef2; vertical-align: top; }
td.points { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; min-width: 7em; text-align: center; padding: 1px 8px; border-radius: 12px; color: #fff; font-size: .88em; }
.s-passed .badge { background: var(--pass); } .s-failed .badge { background: var(--fail); }
.s-error .badge { background: var(--error); } .s-timeout .badge { background: var(--timeout); }
.s-not_implemented .badge { background: var(--ni); } .s-skipped .badge { background: var(--skip); }
tr.s-failed, tr.s-error { background: #ffebe9; } tr.s-timeout { background: #fff1e5; }
tr.s-not_implemented { background: #fbefff; } tr.s-skipped { background: #f6f8fa; }
.item-detail p { margin: 4px 0; }
.message { font-weight: 600; }
ul.details { margin: 4px 0; padding-left: 1.4em; }
pre { background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 6px; padding: 8px 12px; overflow-x: auto;
      white-space: pre-wrap; word-break: break-all; font-family: "Noto Sans Mono CJK JP", ui-monospace, SFMono-Regular,
      Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: .88em; margin: 6px 0; }
.repro code { background: #eaeef2; padding: 1px 4px; border-radius: 4px; word-break: break-all; }
figure { display: inline-block; margin: 8px 16px 8px 0; }
figure img { max-width: 100%; width: 480px; border: 1px solid #d0d7de; border-radius: 4px; background: #fff; }
figcaption { font-size: .88em; color: #57606a; }
.missing { color: var(--timeout); font-size: .9em; }
details.output { background: #fff; border: 1px solid #d0d7de; border-radius: 8px; padding: 12px 24px; }
details.output summary { cursor: pointer; font-weight: 600; }
"""


def _figures(item, lang: str) -> list[str]:
    out = []
    for name, path in (item.artifacts or {}).items():
        uri, reason = embed_image(path, lang)
        if uri:
            out.append(f'<figure><img src="{uri}" alt="{esc(name)}"><figcaption>{esc(name)}</figcaption></figure>')
        else:
            out.append(f'<p class="missing">{esc(_label("figure_missing", lang, name=name, reason=reason))}</p>')
    return out


def _item_detail(item, lang: str) -> list[str]:
    parts = []
    if item.status != Status.PASSED:
        if item.message:
            parts.append(f'<p class="message">{esc(item.message)}</p>')
        if item.internal:
            parts.append(f'<p class="missing">{esc(_label("internal", lang))}</p>')
        if item.details:
            parts.append('<ul class="details">' + "".join(f"<li>{esc(d)}</li>" for d in item.details) + "</ul>")
        ce = item.counterexample or {}
        keys = [k for k in ("input", "got", "expected") if ce.get(k) not in (None, "")]
        keys += [k for k in ce if k not in ("input", "got", "expected", "repro") and ce.get(k) not in (None, "")]
        if keys:
            body = "\n".join(f"{counterexample_label(k, lang)}: {ce[k]}" for k in keys)
            parts.append(f'<p>{esc(render("counterexample", lang))}:</p><pre class="counterexample">{esc(body)}</pre>')
        repro = ce.get("repro")
        if repro:
            parts.append(f'<p class="repro">{esc(render("repro", lang))}: <code>{esc(repro)}</code></p>')
    parts += _figures(item, lang)
    return parts


def render_html(report) -> str:
    lang = report.lang if report.lang in ("en", "ja") else "en"
    title = _label("title", lang, submission=report.submission)
    score_class = "full" if report.score >= report.max_score else ("zero" if report.score <= 0 else "partial")
    h = [
        "<!DOCTYPE html>",
        f'<html lang="{lang}">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="generator" content="nlp100-checker">',
        f"<title>{esc(title)}</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body><main>",
        "<header>",
        f"<h1>{esc(title)}</h1>",
        f'<p id="score" class="{score_class}">{esc(render("total", lang))}: {pts(report.score)} / {pts(report.max_score)}</p>',
        f'<p class="meta" id="backend">{esc(render("backend", lang))}: {esc(report.backend or "-")} · '
        f"{esc(render('isolation', lang))}: {esc(report.isolation)}</p>",
    ]
    if report.data:
        d = report.data
        h.append(
            f'<p class="meta" id="data">{esc(render("dataset", lang))}: {esc(d.get("name"))} v{esc(d.get("version"))} '
            f"({esc(str(d.get('checksum', ''))[:12])})</p>"
        )
    h.append(
        f'<p class="meta">nlp100-checker {esc(report.checker_version)} · sha256 {esc(report.sha256)} · '
        f"{esc(_label('seed', lang))} {esc(report.seed)} · {esc(_label('duration', lang))} {report.duration_s:.1f} s</p>"
    )
    if report.repro:
        h.append(f'<p class="meta repro">{esc(render("repro", lang))}: <code>{esc(report.repro)}</code></p>')
    if report.notes:
        h.append(
            f'<div class="notes"><strong>{esc(_label("notes", lang))}</strong><ul>'
            + "".join(f"<li>{esc(n)}</li>" for n in report.notes)
            + "</ul></div>"
        )
    h.append("</header>")
    for ex in report.exercises:
        h.append(f'<section class="exercise" id="ex-{esc(ex.id)}">')
        h.append(
            f"<h2><span>{esc(ex.id)} {esc(ex.title)}</span><span>{pts(ex.score)} / {pts(ex.max_score)}</span></h2>"
        )
        h.append(
            f'<table><thead><tr><th class="c-item">{esc(_label("item", lang))}</th>'
            f'<th class="c-status">{esc(_label("status", lang))}</th><th>{esc(_label("details", lang))}</th>'
            f'<th class="c-points">{esc(_label("points", lang))}</th></tr></thead><tbody>'
        )
        for it in ex.items:
            st = it.status.value
            mx = it.max_score if it.counts_to_max else 0
            detail = "".join(_item_detail(it, lang))
            h.append(
                f'<tr class="item s-{st}" data-status="{st}"><td><code>{esc(item_label(it, lang))}</code></td>'
                f'<td><span class="badge">{esc(render(f"status_{st}", lang))}</span></td>'
                f'<td class="item-detail">{detail}</td>'
                f'<td class="points">{pts(it.score)} / {pts(mx)}</td></tr>'
            )
        h.append("</tbody></table></section>")
    o = report.output or {}
    if o.get("stdout") or o.get("stderr"):
        h.append('<details class="output" id="output">')
        h.append(f"<summary>{esc(render('your_output', lang, kb=o.get('limit_kb', 64)))}</summary>")
        for stream in ("stdout", "stderr"):
            if o.get(stream):
                h.append(
                    f'<p class="meta">{esc(render("stream_" + stream, lang))}</p><pre class="{stream}">{esc(o[stream])}</pre>'
                )
        if o.get("truncated"):
            h.append(
                f'<p class="meta">{esc(render("output_truncated", lang, bytes=o.get("stdout_bytes", 0) + o.get("stderr_bytes", 0)))}</p>'
            )
        h.append("</details>")
    h.append("</main></body></html>")
    return "\n".join(h) + "\n"
