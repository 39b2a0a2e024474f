"""`--format gradescope`: the ``results.json`` of Gradescope's autograder specification.

Top level: ``score`` (the total), ``execution_time`` (whole seconds), ``output`` (the
summary and the student's captured output), ``output_format``/``test_output_format``/
``test_name_format`` = "text" (so student text is never read as Markdown or HTML),
``visibility`` "visible", ``stdout_visibility`` "hidden" (the autograder's own stdout is
for the instructor), ``extra_data`` (max_score, sha256, exit status, ...: Gradescope
takes the assignment's total from its own settings, so max_score stays out of the
documented top-level keys), and ``tests``: one per item, named "NN item", with score,
max_score, status "passed"/"failed", output, number "NN.k" (Gradescope orders by it)
and visibility: public -> "visible", hidden -> "after_published".

A skipped item that does not count toward the maximum gets max_score 0 and status
"passed" (nothing is lost); one that counts is "failed" with 0 points.

Hidden items (the instructor's ``NLP100_HIDDEN`` folder) must not show before publication,
and that includes their points.  When a report has any, the top level has no ``score``
(Gradescope then totals the tests itself, each with its own visibility), and the summary in
``output`` counts public items only and says how many checks are hidden; totals with the
hidden points stay in ``extra_data``, which students do not see.
"""

from __future__ import annotations

import json
import math

from ..messages import render
from ..grading.records import Status
from .common import clean, item_lines, pts

VISIBILITY = {
    "public": "visible",
    "hidden": "after_published",
    "visible": "visible",
    "after_published": "after_published",
    "after_due_date": "after_due_date",
}


def _label(key: str, lang: str, **params) -> str:
    return render("gs_" + key, lang, **params)


def _num(x) -> float:
    x = float(x or 0.0)
    return x if math.isfinite(x) else 0.0


def _status(item) -> str:
    if item.status == Status.PASSED:
        return "passed"
    if item.status == Status.SKIPPED and not item.counts_to_max:
        return "passed"
    return "failed"


def _test_output(item, lang: str) -> str:
    lines = [f"{_label('status', lang)}: {render(f'status_{item.status.value}', lang)}"]
    if item.status == Status.PASSED:
        lines.append(item.message or render("passed", lang))
    else:
        lines += item_lines(item, lang)
    return clean("\n".join(lines))


def _public(ex) -> tuple[float, float]:
    """An exercise's score and maximum over its public items only."""
    items = [i for i in ex.items if VISIBILITY.get(i.visibility, "after_published") == "visible"]
    return (round(sum(i.score for i in items), 6), round(sum(i.max_score for i in items if i.counts_to_max), 6))


def _n_hidden(report) -> int:
    return sum(1 for _, i in report.items() if VISIBILITY.get(i.visibility, "after_published") != "visible")


def _summary(report) -> str:
    lang = report.lang
    hidden = _n_hidden(report)
    out = [
        _label("checker", lang, version=report.checker_version, submission=report.submission, sha=report.sha256[:12]),
        f"{render('backend', lang)}: {report.backend or '-'}   {render('isolation', lang)}: {report.isolation}",
    ]
    if report.data:
        d = report.data
        out.append(
            f"{render('dataset', lang)}: {d.get('name')} v{d.get('version')} ({str(d.get('checksum', ''))[:12]})"
        )
    out += [f"{render('note', lang)}: {n}" for n in report.notes]
    if hidden:  # public points only: the hidden items' points wait for publication
        totals = [0.0, 0.0]
        for ex in report.exercises:
            sc, mx = _public(ex)
            totals = [totals[0] + sc, totals[1] + mx]
            out.append(f"[{ex.id}] {ex.title}  {pts(sc)}/{pts(mx)}")
        out.append(f"{render('total', lang)}: {pts(round(totals[0], 6))}/{pts(round(totals[1], 6))}")
        out.append(render("gs_hidden_pending", lang, n=hidden))
    else:
        for ex in report.exercises:
            out.append(f"[{ex.id}] {ex.title}  {pts(ex.score)}/{pts(ex.max_score)}")
        out.append(f"{render('total', lang)}: {pts(report.score)}/{pts(report.max_score)}")
    if report.repro:
        out.append(f"{render('repro', lang)}: {report.repro}")
    o = report.output or {}
    if o.get("stdout") or o.get("stderr"):
        out.append("")
        out.append(render("your_output", lang, kb=o.get("limit_kb", 64)) + ":")
        for stream in ("stdout", "stderr"):
            text = (o.get(stream) or "").rstrip()
            if text:
                out += [f"{render('stream_' + stream, lang)}| {ln}" for ln in text.splitlines()]
        if o.get("truncated"):
            out.append(render("output_truncated", lang, bytes=o.get("stdout_bytes", 0) + o.get("stderr_bytes", 0)))
    return clean("\n".join(out))


def gradescope_dict(report) -> dict[str, object]:
    lang = report.lang
    tests = []
    for ex in report.exercises:
        for k, it in enumerate(ex.items, 1):
            tests.append(
                {
                    "name": clean(f"{ex.id} {it.name}"),
                    "number": f"{clean(ex.id)}.{k}",
                    "score": _num(it.score),
                    "max_score": _num(it.max_score) if it.counts_to_max else 0.0,
                    "status": _status(it),
                    "output": _test_output(it, lang),
                    "visibility": VISIBILITY.get(it.visibility, "after_published"),
                    "extra_data": {"status": it.status.value, "internal": bool(it.internal)},
                }
            )
    extra: dict[str, object] = {
        "max_score": _num(report.max_score),
        "submission": clean(report.submission),
        "sha256": report.sha256,
        "checker_version": report.checker_version,
        "backend": report.backend,
        "isolation": clean(report.isolation),
        "seed": report.seed,
        "exit_status": report.exit_status,
        "internal_errors": report.internal_errors,
    }
    out: dict[str, object] = {
        "score": _num(report.score),
        "execution_time": int(math.ceil(max(0.0, _num(report.duration_s)))),
        "output": _summary(report),
        "output_format": "text",
        "test_output_format": "text",
        "test_name_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "extra_data": extra,
        "tests": tests,
    }
    if _n_hidden(report):
        # no top-level score: it would show the hidden items' points now; Gradescope sums the tests
        del out["score"]
        extra["score"] = _num(report.score)
        extra["hidden_items"] = _n_hidden(report)
    return out


def render_gradescope(report) -> str:
    return json.dumps(gradescope_dict(report), ensure_ascii=False, indent=2, allow_nan=False) + "\n"
