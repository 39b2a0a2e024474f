"""`check render RESULT.json`: show a saved result in another format, without grading again.

``check submit FILE --format json -o result.json`` grades once and keeps everything the
other formats need; ``check render result.json --format github|junit|text|gradescope|html``
turns that file into any of them.  The CI templates (ci-templates/) grade once and render
the annotations, the step summary or the JUnit report from the saved result.

The file is input from the user's disk, not from this checker: it is read with a size
limit, parsed as strict JSON (no NaN or Infinity) and rebuilt by ``Report.from_dict``,
which checks every field's type.  Anything wrong is a ``UsageError`` (exit status 2) that
names the file and the field; nothing is graded and the submission is not read.

Exit status: 0 when the result was rendered, 2 when it could not be.  It is not the
grading's status: that is ``exit_status`` in the file, and the exit status of the
``check submit`` run that wrote it.

``--lang`` chooses the language of the labels (headings, statuses); the items' messages
were rendered when the file was graded and stay in that language, so by default the
result's own ``lang`` is used.
"""

from __future__ import annotations

import argparse
import json
import os
import stat
import sys
from pathlib import Path

from ..errors import UsageError
from ..messages import Msg
from ..settings import LANGS

FORMATS = ("text", "junit", "github", "gradescope", "html")
MAX_RESULT_BYTES = 64 * 1024 * 1024


def register(sub, env) -> None:
    r = sub.add_parser(
        "render",
        help="show a saved JSON result (check submit --format json -o result.json) "
        "in another format, without grading again",
    )
    r.add_argument("result", metavar="RESULT.json", help="a file written by `check submit --format json`")
    r.add_argument("--format", "-f", default="text", choices=FORMATS)
    r.add_argument("--output", "-o", help="write the report here instead of stdout")
    r.add_argument(
        "--lang",
        default=env.lang,
        choices=LANGS,
        action=_LangGiven,
        help="language of the labels (default: the result's own; item messages stay as graded)",
    )
    r.add_argument("--no-color", action="store_true")
    r.set_defaults(run=main, lang_given=False)


class _LangGiven(argparse.Action):
    """``--lang``: the CLI's errors use ``args.lang`` either way; the labels only when it was given."""

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, values)
        namespace.lang_given = True


def _invalid(path: str, key: str, **params) -> UsageError:
    return UsageError(msg=Msg(key, {"path": path, **params}))


def _not_json(path: str, error) -> UsageError:
    return _invalid(path, "render_not_json", error=error)


def _reject_constant(name: str):
    raise ValueError(f"{name} is not allowed in a result")


def load_result(path: Path, shown: str | None = None):
    """The ``Report`` saved in ``path``; every problem is a ``UsageError`` naming ``shown``."""
    from ..grading.records import Report

    shown = shown or str(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise _invalid(shown, "render_missing") from None
    except OSError as e:
        raise _invalid(shown, "render_unreadable", error=e.strerror or type(e).__name__) from None
    if not stat.S_ISREG(st.st_mode):
        raise _invalid(shown, "render_not_file")
    if st.st_size > MAX_RESULT_BYTES:
        raise _invalid(shown, "render_too_large", size=st.st_size, limit=MAX_RESULT_BYTES)
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_RESULT_BYTES + 1)
    except OSError as e:
        raise _invalid(shown, "render_unreadable", error=e.strerror or type(e).__name__) from None
    if len(data) > MAX_RESULT_BYTES:
        raise _invalid(shown, "render_too_large", size=len(data), limit=MAX_RESULT_BYTES)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise _not_json(shown, f"not UTF-8: byte {e.start}") from None
    try:
        parsed = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as e:
        raise _not_json(shown, Msg("json_at", {"line": e.lineno, "column": e.colno, "error": e.msg})) from None
    except ValueError as e:  # NaN / Infinity
        raise _not_json(shown, str(e)) from None
    except RecursionError:
        raise _not_json(shown, "nested too deeply") from None
    try:
        return Report.from_dict(parsed)
    except UsageError as e:
        raise _invalid(shown, "render_invalid", problem=e.msg if e.msg is not None else e.message) from None


def _relocate_artifacts(report, result_path: Path) -> None:
    """Plots named relative to where `check submit` ran: look next to the result file too."""
    for _, it in report.items():
        for name, p in list(it.artifacts.items()):
            q = Path(p)
            try:
                if not q.is_absolute() and not q.exists() and (result_path.parent / q).exists():
                    it.artifacts[name] = str(result_path.parent / q)
            except (OSError, ValueError):  # a name the file system cannot take: the renderer says so
                pass


def _write_stdout(text: str) -> None:
    enc = getattr(sys.stdout, "encoding", None) or "utf-8"
    buf = getattr(sys.stdout, "buffer", None)
    if buf is None:
        sys.stdout.write(text.encode(enc, "backslashreplace").decode(enc))
    else:
        sys.stdout.flush()
        buf.write(text.encode(enc, "backslashreplace"))
        buf.flush()


def main(args) -> int:
    from .submit import rendered

    path = Path(args.result)
    report = load_result(path, args.result)
    if args.lang_given:
        report.lang = args.lang
    _relocate_artifacts(report, path)
    output = Path(args.output) if args.output else None
    text = rendered(report, args.format, args.no_color, output)
    if output is None:
        _write_stdout(text)
        return 0
    try:
        output.write_bytes(text.encode("utf-8", "backslashreplace"))
    except OSError as e:
        raise _invalid(args.output, "render_cannot_write", error=e.strerror or type(e).__name__) from None
    return 0
