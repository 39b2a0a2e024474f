"""`--format text`: a per-item table with status and points, the counterexample and repro under each failure."""

from __future__ import annotations

import unicodedata

from ..messages import render
from .common import item_label, pts
from ..grading.records import Status

COLOURS = {
    Status.PASSED: "32",
    Status.FAILED: "31",
    Status.ERROR: "31",
    Status.TIMEOUT: "33",
    Status.SKIPPED: "36",
    Status.NOT_IMPLEMENTED: "35",
}
# one column each (⧗, not the emoji ⌛, which terminals draw two columns wide and which broke the table)
MARKS = {
    Status.PASSED: "✔",
    Status.FAILED: "✘",
    Status.ERROR: "!",
    Status.TIMEOUT: "⧗",
    Status.SKIPPED: "-",
    Status.NOT_IMPLEMENTED: "?",
}


def display_width(s: str) -> int:
    """Columns ``s`` takes in a terminal: wide and full-width characters (Japanese) take two, combining marks none."""
    w = 0
    for ch in s:
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            continue
        w += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return w


def pad(s: str, width: int) -> str:
    """``s`` padded with spaces to ``width`` display columns (``str.ljust`` counts characters, not columns)."""
    return s + " " * max(0, width - display_width(s))


def render_text(report, colour: bool = False, show_output: bool = True) -> str:
    lang = report.lang
    c = (lambda code, s: f"\x1b[{code}m{s}\x1b[0m") if colour else (lambda code, s: s)
    out = []
    out.append(f"nlp100-checker {report.checker_version} — {report.submission} (sha256 {report.sha256[:12]})")
    out.append(f"{render('backend', lang)}: {report.backend or '-'}   {render('isolation', lang)}: {report.isolation}")
    if report.data:
        d = report.data
        out.append(
            f"{render('dataset', lang)}: {d.get('name')} v{d.get('version')} ({str(d.get('checksum', ''))[:12]})"
        )
    for note in report.notes:
        out.append(c("33", f"{render('note', lang)}: {note}"))
    status_width = max([16] + [display_width(render(f"status_{s.value}", lang)) for s in Status])
    mark_width = max(display_width(m) for m in MARKS.values())
    for ex in report.exercises:
        out.append("")
        out.append(c("1", f"[{ex.id}] {ex.title}  {pts(ex.score)}/{pts(ex.max_score)}"))
        width = max([display_width(item_label(i, lang)) for i in ex.items] + [8])
        for it in ex.items:
            status = render(f"status_{it.status.value}", lang)
            line = f"  {pad(MARKS[it.status], mark_width)} {pad(item_label(it, lang), width)}  {pad(status, status_width)} {pts(it.score)}/{pts(it.max_score)}"
            out.append(c(COLOURS[it.status], line))
            if it.status != Status.PASSED:
                out.append(f"      {it.message}" + (f"  [{it.where}]" if it.where else ""))
                for d in it.details:
                    out.append(f"      {d}")
                ce = it.counterexample
                if ce:
                    out.append(f"      {render('counterexample', lang)}:")
                    for key in ("input", "got", "expected"):
                        if ce.get(key):
                            out.append(f"        {render(key, lang)}: {ce[key]}")
                    if ce.get("repro"):
                        out.append(f"        {render('repro', lang)}: {ce['repro']}")
            elif it.details:
                for d in it.details:
                    out.append(f"      {d}")
            for name, path in (it.artifacts or {}).items():
                out.append(f"      {name}: {path}")
    out.append("")
    out.append(
        c("1", f"{render('total', lang)}: {pts(report.score)}/{pts(report.max_score)}   ({report.duration_s:.1f} s)")
    )
    o = report.output or {}
    if show_output and (o.get("stdout") or o.get("stderr")):
        out.append("")
        out.append(render("your_output", lang, kb=o.get("limit_kb", 64)) + ":")
        for stream in ("stdout", "stderr"):
            text = (o.get(stream) or "").rstrip()
            if text:
                lines = text.splitlines()
                if len(lines) > 20:
                    lines = lines[:10] + ["..."] + lines[-10:]
                out += [f"  {render('stream_' + stream, lang)}| {ln[:200]}" for ln in lines]
        if o.get("truncated"):
            out.append(
                "  " + render("output_truncated", lang, bytes=o.get("stdout_bytes", 0) + o.get("stderr_bytes", 0))
            )
    return "\n".join(out) + "\n"
