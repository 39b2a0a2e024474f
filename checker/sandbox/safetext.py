"""Strings from the worker, made safe once, where they enter the grader.

Everything the worker sends is the student's: exception messages, function
names, returned strings, what it printed.  ``safe_text`` turns any of it into
text that every report can carry as it is: lone surrogates (which cannot be
encoded as UTF-8 and used to crash the JSON report) and control characters
(terminal escapes, carriage returns that overwrite a line, bidirectional
overrides that reorder it) are shown as visible escapes (``\\x1b``,
``\\u202e``), and the length is capped.  Newlines and tabs are kept:
tracebacks and output keep their shape.
"""

from __future__ import annotations

import re

from .wire import Opaque

# C0 controls but \t and \n, DEL, C1 controls, bidi controls and separators that reorder or break lines
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]|[\ud800-\udfff]"
)


def _escape(m: re.Match) -> str:
    c = ord(m.group(0))
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def safe_text(s, limit: int = 100_000) -> str:
    """``s`` as a string fit for a terminal, HTML/XML (after their own escaping), JSON and a log."""
    if not isinstance(s, str):
        s = str(s)
    if len(s) > limit:
        s = s[:limit] + f"… [{len(s) - limit} more characters]"
    return _UNSAFE.sub(_escape, s)


def safe_value(v, depth: int = 0):
    """A decoded wire value with every string in it (dict keys included) made safe."""
    if isinstance(v, str):
        return safe_text(v)
    if isinstance(v, Opaque):
        return Opaque(safe_text(v.type, 200), safe_text(v.note, 500))
    if depth > 64:
        return v
    if isinstance(v, list):
        return [safe_value(x, depth + 1) for x in v]
    if isinstance(v, tuple):
        return tuple(safe_value(x, depth + 1) for x in v)
    if isinstance(v, dict):
        return {safe_text(k) if isinstance(k, str) else k: safe_value(x, depth + 1) for k, x in v.items()}
    return v
