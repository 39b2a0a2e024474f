"""`--format junit`: JUnit XML as GitLab (``artifacts:reports:junit``) and Jenkins read it.

One ``<testsuites>``; one ``<testsuite>`` per exercise, named "NN title", with the
tests/failures/errors/skipped counts, its time and ``<properties>`` (score, max_score,
each item's points, and the facts of the run); one ``<testcase>`` per item
(classname ``nlp100.exNN``).  A failed item carries ``<failure>``; error, timeout and
not_implemented carry ``<error type="STATUS">``; skipped carries ``<skipped>``.  Their
text is the message, the details, the counterexample and the repro line.  The
student's captured output goes into the first suite's ``<system-out>``/``<system-err>``.

The shape is that of the Jenkins ``junit-10.xsd`` (tests/test_reports.py validates
against it).  Every string from the records is student-controlled: ElementTree
escapes markup, and :func:`clean` turns the characters XML 1.0 cannot carry at all
(NUL, other C0 controls, lone surrogates) into visible ``\\xNN`` text.

:func:`clean` and :func:`item_lines` are shared by the other renderers.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ..messages import render
from ..grading.records import Status

# Characters XML 1.0 forbids (and DEL / C1 controls, which only confuse viewers).
_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _visible(m: re.Match) -> str:
    c = ord(m.group())
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def clean(value) -> str:
    """``value`` as text with control characters (but tab, newline, CR) spelled out as ``\\xNN``."""
    return _BAD_CHARS.sub(_visible, "" if value is None else str(value))


def pts(x: float) -> str:
    return f"{x:g}"


def counterexample_label(key: str, lang: str) -> str:
    """The label of a counterexample's line: input, got, expected, case (a key without a label is shown as it is)."""
    if key in ("input", "got", "expected"):
        return render(key, lang)
    if key == "case":
        return render("counterexample_case", lang)
    return key


def item_lines(item, lang: str, *, include_message: bool = True) -> list[str]:
    """The message, details, counterexample and repro of one item, as plain (uncleaned) lines."""
    out: list[str] = []
    if include_message and item.message:
        out.append(str(item.message))
    out += [str(d) for d in item.details or []]
    ce = item.counterexample or {}
    if ce:
        shown = [k for k in ("input", "got", "expected") if ce.get(k) not in (None, "")]
        extra = [k for k in ce if k not in ("input", "got", "expected", "repro") and ce.get(k) not in (None, "")]
        if shown or extra:
            out.append(render("counterexample", lang) + ":")
            for key in shown + extra:
                out.append(f"  {counterexample_label(key, lang)}: {ce[key]}")
        if ce.get("repro"):
            out.append(f"{render('repro', lang)}: {ce['repro']}")
    return out


_ERROR_STATUSES = (Status.ERROR, Status.TIMEOUT, Status.NOT_IMPLEMENTED)


def _counts(items) -> dict[str, int]:
    return {
        "tests": len(items),
        "failures": sum(1 for i in items if i.status == Status.FAILED),
        "errors": sum(1 for i in items if i.status in _ERROR_STATUSES),
        "skipped": sum(1 for i in items if i.status == Status.SKIPPED),
    }


def _time(x) -> str:
    try:
        return f"{max(0.0, float(x or 0.0)):.3f}"
    except (TypeError, ValueError):
        return "0.000"


def _prop(parent: ET.Element, name: str, value) -> None:
    ET.SubElement(parent, "property", name=clean(name), value=clean(value))


def _run_properties(report) -> list[tuple[str, str]]:
    props = [("submission", report.submission), ("sha256", report.sha256),
             ("checker_version", report.checker_version), ("backend", report.backend or "-"),
             ("isolation", report.isolation), ("lang", report.lang), ("seed", report.seed),
             ("max_examples", report.max_examples), ("total_score", pts(report.score)),
             ("total_max_score", pts(report.max_score)), ("exit_status", report.exit_status)]
    if report.repro:
        props.append(("repro", report.repro))
    if report.data:
        d = report.data
        props.append(("data", f"{d.get('name')} v{d.get('version')} {d.get('checksum', '')}"))
    return props


def render_junit(report) -> str:
    lang = report.lang
    all_items = [i for _, i in report.items()]
    root = ET.Element("testsuites", name=clean(f"nlp100-checker {report.submission}"),
                      time=_time(report.duration_s), **{k: str(v) for k, v in _counts(all_items).items() if k != "skipped"})
    o = report.output or {}
    for n, ex in enumerate(report.exercises):
        counts = _counts(ex.items)
        suite = ET.SubElement(root, "testsuite", name=clean(f"{ex.id} {ex.title}"), id=str(n),
                              package=f"nlp100.ex{clean(ex.id)}",
                              time=_time(sum(float(i.duration_s or 0) for i in ex.items)),
                              **{k: str(v) for k, v in counts.items()})
        props = ET.SubElement(suite, "properties")
        _prop(props, "score", pts(ex.score))
        _prop(props, "max_score", pts(ex.max_score))
        for it in ex.items:
            _prop(props, f"score.{it.name}", f"{pts(it.score)}/{pts(it.max_score if it.counts_to_max else 0)}")
        for k, v in _run_properties(report):
            _prop(props, k, v)
        for note in report.notes:
            _prop(props, "note", note)
        for it in ex.items:
            case = ET.SubElement(suite, "testcase", name=clean(it.name), classname=f"nlp100.ex{clean(ex.id)}",
                                 time=_time(it.duration_s))
            if it.status == Status.PASSED:
                continue
            text = clean("\n".join(item_lines(it, lang)))
            message = clean(it.message or render(f"status_{it.status.value}", lang))
            if it.status == Status.FAILED:
                el = ET.SubElement(case, "failure", message=message, type=it.check or "failed")
            elif it.status == Status.SKIPPED:
                el = ET.SubElement(case, "skipped", message=message)
            else:
                el = ET.SubElement(case, "error", message=message, type=it.status.value)
            el.text = text
        if n == 0:
            if o.get("stdout"):
                ET.SubElement(suite, "system-out").text = clean(o["stdout"])
            if o.get("stderr"):
                ET.SubElement(suite, "system-err").text = clean(o["stderr"])
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
