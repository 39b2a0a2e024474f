"""`--format github`: workflow commands (annotations) for the log, and a step summary.

``render_github`` returns two parts, in this order:

1. the annotations (:func:`github_annotations`), one workflow command a line:
   ``::error file=F,line=L,title=NN item::message`` for each item that did not pass,
   ``::warning ...`` for each skipped item, and one ``::notice`` with the total;
2. the line ``<!-- nlp100-checker summary -->`` (:data:`SUMMARY_MARKER`), then the
   Markdown step summary (:func:`github_summary`): a table (exercise, item, status,
   points), the total, and the details of each item that did not pass.

The workflow prints part 1 to stdout (where the runner turns it into annotations) and
appends part 2 to ``$GITHUB_STEP_SUMMARY``; ci-templates/github-actions.yml splits the
file at the marker line with awk.  Every line before the marker is a workflow command.

Escaping (student text is hostile): in a command's message ``%``, CR and LF become
``%25``, ``%0D``, ``%0A``; in its properties also ``:`` and ``,`` become ``%3A`` and
``%2C``; other control characters are spelled ``\\xNN``.  So no student string can end
a command or start a new one.  In the summary every student string is HTML-escaped,
with the Markdown punctuation and ``:`` as character references too, so that it
neither forms markup nor, should the summary reach a log, a line starting with ``::``.
"""

from __future__ import annotations

import html

from ..messages import render
from ..grading.records import Status
from .common import clean, item_label, item_lines, pts

SUMMARY_MARKER = "<!-- nlp100-checker summary -->"
MAX_MESSAGE = 4000  # characters of one annotation's message

EMOJI = {
    Status.PASSED: "✅",
    Status.FAILED: "❌",
    Status.ERROR: "💥",
    Status.TIMEOUT: "⏱️",
    Status.NOT_IMPLEMENTED: "🚧",
    Status.SKIPPED: "⏭️",
}


def _label(key: str, lang: str, **params) -> str:
    return render("gh_" + key, lang, **params)


# --- workflow commands -------------------------------------------------------------


def escape_data(s) -> str:
    return clean(s).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(s) -> str:
    return escape_data(s).replace(":", "%3A").replace(",", "%2C")


def _command(kind: str, message: str, **props) -> str:
    if len(message) > MAX_MESSAGE:
        message = message[:MAX_MESSAGE] + " …"
    p = ",".join(f"{k}={escape_property(v)}" for k, v in props.items() if v is not None)
    return f"::{kind}{(' ' + p) if p else ''}::{escape_data(message)}"


def github_annotations(report) -> str:
    lang = report.lang
    out = []
    for ex, it in report.items():
        if it.status == Status.PASSED:
            continue
        kind = "warning" if it.status == Status.SKIPPED else "error"
        status = render(f"status_{it.status.value}", lang)
        title = f"{ex.id} {item_label(it, lang)}: {status}" + (f" ({it.where})" if it.where else "")
        message = "\n".join(item_lines(it, lang)) or status
        line = 1 if it.where or not isinstance(it.line, int) or isinstance(it.line, bool) or it.line < 1 else it.line
        out.append(_command(kind, message, file=report.submission, line=line, title=title))
    total = f"{render('total', lang)}: {pts(report.score)}/{pts(report.max_score)}"
    out.append(_command("notice", total, title="nlp100-checker"))
    return "\n".join(out) + "\n"


# --- step summary ---------------------------------------------------------------

# Markdown/HTML punctuation that could form markup in a table cell, and ':' (no "::" at a line start).
_MD_SPECIAL = {c: f"&#{ord(c)};" for c in "\\`*_[]|~:<>\"'"}


def md(s) -> str:
    """Student text for Markdown/HTML: escaped, punctuation as character references."""
    text = html.escape(clean(s).replace("\r\n", "\n").replace("\r", "\n"), quote=True)
    # html.escape produced &amp; &lt; ... ; protect their '&' and ';' by escaping the rest only
    out = []
    i = 0
    while i < len(text):
        if text[i] == "&":
            j = text.find(";", i)
            out.append(text[i : j + 1])
            i = j + 1
            continue
        out.append(_MD_SPECIAL.get(text[i], text[i]))
        i += 1
    return "".join(out)


def _cell(s) -> str:
    return md(s).replace("\n", "<br>")


def github_summary(report) -> str:
    lang = report.lang
    out = [f"## {_label('heading', lang, submission=md(report.submission))}", ""]
    out.append(f"**{render('total', lang)}: {pts(report.score)} / {pts(report.max_score)}**")
    out.append("")
    meta = [
        f"{render('backend', lang)}: {md(report.backend or '-')}",
        f"{render('isolation', lang)}: {md(report.isolation)}",
    ]
    if report.data:
        d = report.data
        meta.append(f"{render('dataset', lang)}: {md(d.get('name'))} v{md(d.get('version'))}")
    meta.append(_label("checker", lang, version=md(report.checker_version), sha=md(report.sha256[:12])))
    out.append(" · ".join(meta))
    for note in report.notes:
        out.append("")
        out.append(f"> {_cell(note)}")
    out.append("")
    out.append(
        f"| {_label('exercise', lang)} | {_label('item', lang)} | {_label('status', lang)} | {_label('points', lang)} |"
    )
    out.append("|---|---|---|---:|")
    for ex, it in report.items():
        mx = it.max_score if it.counts_to_max else 0
        out.append(
            f"| {_cell(ex.id + ' ' + ex.title)} | {_cell(item_label(it, lang))} | {EMOJI[it.status]} "
            f"{render(f'status_{it.status.value}', lang)} | {pts(it.score)}/{pts(mx)} |"
        )
    out.append(f"| **{render('total', lang)}** | | | **{pts(report.score)}/{pts(report.max_score)}** |")
    bad = [(ex, it) for ex, it in report.items() if it.status != Status.PASSED]
    if bad:
        out.append("")
        out.append(f"### {_label('details', lang)}")
        for ex, it in bad:
            body = "\n".join(md(ln) for ln in item_lines(it, lang))
            out.append("")
            out.append(f"<details><summary>{EMOJI[it.status]} {md(ex.id)} {md(item_label(it, lang))}</summary>")
            out.append("")
            out.append(f"<pre>{body}</pre>")
            out.append("")
            out.append("</details>")
    if report.repro:
        out.append("")
        out.append(f"{render('repro', lang)}: <code>{md(report.repro)}</code>")
    o = report.output or {}
    if o.get("stdout") or o.get("stderr"):
        out.append("")
        out.append(f"<details><summary>{md(render('your_output', lang, kb=o.get('limit_kb', 64)))}</summary>")
        out.append("")
        for stream in ("stdout", "stderr"):
            text = (o.get(stream) or "").rstrip()
            if text:
                label = md(render("stream_" + stream, lang))
                out.append(f"<pre>{label}&#124; " + md(text).replace("\n", "\n" + label + "&#124; ") + "</pre>")
        if o.get("truncated"):
            out.append(md(render("output_truncated", lang, bytes=o.get("stdout_bytes", 0) + o.get("stderr_bytes", 0))))
        out.append("")
        out.append("</details>")
    return "\n".join(out) + "\n"


def render_github(report) -> str:
    return github_annotations(report) + SUMMARY_MARKER + "\n" + github_summary(report)
