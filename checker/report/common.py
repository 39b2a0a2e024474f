"""What every renderer shares: points, cleaned text, an item's label and its lines of feedback."""

from __future__ import annotations

import re

from ..messages import render

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


def item_label(item, lang: str) -> str:
    """The item's name, marked when it is one of the instructor's hidden items."""
    return item.name + (
        f" ({render('hidden_item', lang)})" if getattr(item, "visibility", "public") == "hidden" else ""
    )
