"""Reading a submission file: what the grader accepts, and the Python text it grades.

``read_submission(path)`` turns the file a student hands in into a ``SourceFile``
whose ``text`` is the Python source that is analysed by the grader and imported
in the sandbox, or raises ``SourceError`` (a message key from ``messages.py``)
saying why the file cannot be graded.  The CLI prints that message and exits
with status 2, like a usage error.

Accepted
    * ``.py`` files (suffix compared case-insensitively) in UTF-8, with or
      without a byte-order mark (the BOM is stripped; Python accepts it too),
      with LF, CRLF or CR line endings (normalised to LF, as Python's import
      does).
    * ``.ipynb`` Jupyter notebooks (nbformat 4.x written by Jupyter, JupyterLab,
      VS Code or Colab, or by hand: ``source`` as a list of strings or as one
      string, with or without cell ids; nbformat 3 is converted with
      ``nbformat``).  Only code cells count; markdown and raw cells and every
      saved output are ignored.  Most students answer in notebooks, so they are
      first-class: the code cells are joined into one module (see below).

Refused, each with its own message
    missing file, a folder, something that is not a regular file, a suffix
    other than ``.py``/``.ipynb``, a file larger than the limit, an empty file,
    a binary file (NUL or many control bytes), a web page saved instead of the
    raw file, text that is not UTF-8 (the message names a *guessed* encoding
    and how to re-save: VS Code "Save with Encoding", ``iconv``), a ``.py``
    whose PEP 263 coding line declares another encoding, a notebook that is
    not valid JSON or not a notebook, a notebook whose kernel is not Python,
    a notebook without code, a ``.py`` that is really a notebook and a
    ``.ipynb`` that is really Python (both: "rename it").

Decisions
    * Only the suffixes ``.py`` and ``.ipynb`` are graded.  A ``.txt`` (or a
      file without suffix) is refused even when it holds valid Python: the
      suffix is how the student says what the file is, a ``.txt`` is as often a
      log or a copy of the output as code, and the fix is a rename.  When the
      refused file does parse as Python with a ``def``, ``class`` or ``import``,
      the message says so and suggests the new name.
    * Any encoding other than UTF-8 is refused, even one that Python would
      accept through a ``# -*- coding: cp932 -*-`` line: the grader analyses
      the text and hands the sandbox a UTF-8 copy, so one encoding is enough,
      and "save it as UTF-8" is an instruction every editor can follow.  A
      coding line that declares another encoding in a UTF-8 file with
      non-ASCII bytes is refused (Python would decode the file wrongly); in a
      pure ASCII file it is harmless and accepted.
    * The size limit (``max_bytes``) applies to the Python text: the ``.py``
      file, or the code extracted from a notebook.  A notebook file itself may
      be larger (saved images make notebooks big), up to
      ``max_notebook_bytes``.

The text of a notebook
    Line 1 is a comment with a ``coding: utf-8`` declaration (so that no cell
    can change how the text is decoded); each non-empty code cell follows,
    preceded by a marker comment ``# %% cell N`` (N counts every cell from the
    top, markdown included, as the student sees them).  IPython syntax that is
    not Python is replaced line by line, so the line count never changes and
    ``SourceFile.where(line)`` maps a line of ``text`` back to (cell, line in
    the cell):

    * line magics ``%matplotlib inline``, shell lines ``!pip install torch``,
      help ``torch.softmax?``: replaced by ``pass  # <the original line>``
      at the same indentation (valid even as the only line of a block);
      lines continued with a backslash become comments;
    * ``%time stmt`` becomes ``stmt`` (IPython runs it in the notebook's
      namespace); ``x = %time expr`` becomes ``x = expr``;
    * ``x = !cmd`` becomes ``x = []`` (no shell in the grader), ``x = %magic``
      becomes ``x = None``;
    * cell magics: ``%%time`` and ``%%capture`` run their body in the
      notebook's namespace, so only the first line becomes a comment; any other
      cell magic (``%%bash``, ``%%writefile``, ``%%timeit``, ``%%html``, ...)
      comments out the whole cell;
    * in notebooks and ``.py`` files alike, a statement
      ``get_ipython().run_line_magic(...)`` / ``.system(...)`` / ``.magic(...)``
      on a line of its own (what "Download as .py" writes for a magic) becomes
      ``pass  # ...``.

    Every replacement is reported in ``SourceFile.notes`` (``Msg`` objects from
    the message table, with the cell and line).  An escape is only recognised at
    the start of a logical line, never inside brackets or strings.  Every other
    statement of every code cell runs when the sandbox imports the text, as it
    does when the notebook is run from the top; ``submission_notebook_import_hint``
    tells students to put experiments under ``if __name__ == "__main__":``.

Also here: ``duplicate_definitions(text)`` (a function or class defined twice
at module level: Python silently keeps the last one; ``read_submission`` adds a
note for each) and ``template_notebook(source)`` (a template ``.py`` as a
notebook, for ``check show NN --template-only --notebook``).

Standard library only, plus ``nbformat`` (imported lazily: for nbformat 3
notebooks and for ``template_notebook``).  Never imports torch.
"""

from __future__ import annotations

import ast
import codecs
import hashlib
import itertools
import json
import re
import shlex
import stat
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UsageError
from ..messages import ENGINE, Msg

__all__ = [
    "ACCEPTED_SUFFIXES",
    "MAX_NOTEBOOK_BYTES",
    "SourceError",
    "SourceFile",
    "decode_submission",
    "duplicate_definitions",
    "read_submission",
    "template_notebook",
]

ACCEPTED_SUFFIXES = (".py", ".ipynb")
MAX_NOTEBOOK_BYTES = 50_000_000
NOTEBOOK_HEADER = "# -*- coding: utf-8 -*-  (the code cells of a Jupyter notebook, joined by nlp100-checker)"

# cell magics whose body IPython runs in the notebook's namespace: the body is kept
BODY_CELL_MAGICS = frozenset({"time", "capture"})
# line magics whose argument is a statement run in the notebook's namespace: the statement is kept
STATEMENT_LINE_MAGICS = frozenset({"time"})

_SHOWN = 80  # characters of a replaced line quoted in a note


class SourceError(UsageError):
    """The file cannot be graded: ``key`` and ``params`` name a message of the table.

    A usage error: the CLI prints ``render(lang)`` and exits with status 2.  ``str(e)`` is the English message.
    """

    def __init__(self, key: str, params: dict | None = None):
        self.key = key
        self.params = dict(params or {})
        super().__init__(msg=Msg(key, self.params))


render_msg = ENGINE.render_msg


@dataclass(frozen=True)
class SourceFile:
    """A submission that can be graded.

    ``text`` is the Python source to analyse and to import (LF line endings, no
    BOM); write it with ``write_py`` rather than copying ``path``, so that the
    sandbox imports exactly what was analysed.  ``line_map`` is empty for a
    ``.py``; for a notebook it has one ``(cell, line in cell)`` pair per line of
    ``text`` (cell ``None`` for the header and marker lines).
    """

    path: Path
    kind: str  # "py" | "ipynb"
    text: str
    raw_sha256: str
    encoding: str  # "utf-8" | "utf-8-sig" (a BOM was stripped)
    notes: tuple[Msg, ...] = ()
    line_map: tuple[tuple[int | None, int], ...] = field(default=(), repr=False)
    code_cells: int = 0  # notebooks: non-empty code cells joined into text

    def where(self, line: int) -> tuple[int | None, int]:
        """Where line ``line`` (1-based) of ``text`` is in the file: ``(cell, line in the cell)``
        for a notebook's code, ``(None, line)`` for a ``.py`` and for lines that come from no cell."""
        if self.line_map and 1 <= line <= len(self.line_map):
            cell, n = self.line_map[line - 1]
            if cell is not None:
                return cell, n
        return None, line

    def cells(self) -> list[tuple[int, int, int]]:
        """A notebook's code cells as (cell number, first line, last line) of ``text`` (empty for a ``.py``)."""
        out: list[list[int]] = []
        for i, (cell, _) in enumerate(self.line_map, start=1):
            if cell is None:
                continue
            if out and out[-1][0] == cell and out[-1][2] == i - 1:
                out[-1][2] = i
            else:
                out.append([cell, i, i])
        return [(c[0], c[1], c[2]) for c in out]

    def location(self, line: int) -> Msg:
        """``line`` of ``text`` as a message: "line 12" or "cell 3, line 4"."""
        cell, n = self.where(line)
        if cell is None:
            return Msg("submission_at_line", {"line": n})
        return Msg("submission_at_cell", {"cell": cell, "line": n})

    def describe(self, line: int, lang: str = "en") -> str:
        return render_msg(self.location(line), lang)

    def duplicates(self) -> dict[str, list[int]]:
        """``duplicate_definitions(self.text)``: lines of ``text`` (map them with ``where``)."""
        return duplicate_definitions(self.text)

    @property
    def py_name(self) -> str:
        """A file name for ``text`` in the sandbox: the stem with a lower-case ``.py``
        (``importlib`` only loads ``.py`` files as source, case-sensitively)."""
        return (self.path.stem or "submission") + ".py"

    def write_py(self, directory: Path) -> Path:
        """Write ``text`` (UTF-8) as ``directory / py_name`` and return that path.
        Never over the submitted file itself (ValueError)."""
        dest = Path(directory) / self.py_name
        if dest.resolve() == self.path.resolve():
            raise ValueError(f"write_py would overwrite the submission {self.path}")
        dest.write_text(self.text, encoding="utf-8", newline="\n")
        return dest


# -- reading the file ------------------------------------------------------------------


def read_submission(
    path: Path, max_bytes: int = 1_000_000, *, max_notebook_bytes: int = MAX_NOTEBOOK_BYTES
) -> SourceFile:
    """Read ``path`` as a submission, or raise ``SourceError``.

    ``max_bytes`` limits the Python text (a ``.py`` file, or the code extracted
    from a notebook); ``max_notebook_bytes`` limits a notebook file, outputs
    included.
    """
    path = Path(path)
    shown = str(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise SourceError("submission_missing", {"path": shown}) from None
    except OSError as e:
        raise SourceError("submission_unreadable", {"path": shown, "error": e.strerror or str(e)}) from None
    if stat.S_ISDIR(st.st_mode):
        raise SourceError("submission_directory", {"path": shown})
    if not stat.S_ISREG(st.st_mode):
        raise SourceError("submission_not_regular", {"path": shown})
    suffix = path.suffix.lower()
    if suffix not in ACCEPTED_SUFFIXES:
        raise _bad_suffix(path, st.st_size, max_bytes)
    notebook = suffix == ".ipynb"
    limit = max_notebook_bytes if notebook else max_bytes
    if st.st_size > limit:
        raise SourceError(
            "submission_notebook_too_large" if notebook else "submission_too_large",
            {"path": shown, "size": st.st_size, "limit": limit},
        )
    try:
        with open(path, "rb") as f:
            raw = f.read(limit + 1)
    except OSError as e:
        raise SourceError("submission_unreadable", {"path": shown, "error": e.strerror or str(e)}) from None
    return decode_submission(path, raw, max_bytes, max_notebook_bytes=max_notebook_bytes)


def decode_submission(
    path: Path, raw: bytes, max_bytes: int = 1_000_000, *, max_notebook_bytes: int = MAX_NOTEBOOK_BYTES
) -> SourceFile:
    """``read_submission`` for bytes already read (by a caller that opened the file itself):
    the same checks and the same ``SourceFile``; ``path`` names the file (its suffix decides
    .py or notebook) and is never opened."""
    path = Path(path)
    shown = str(path)
    suffix = path.suffix.lower()
    if suffix not in ACCEPTED_SUFFIXES:
        raise _bad_suffix(path, len(raw), max_bytes, raw)
    notebook = suffix == ".ipynb"
    limit = max_notebook_bytes if notebook else max_bytes
    if len(raw) > limit:  # it grew since stat(), or the caller read more
        raise SourceError(
            "submission_notebook_too_large" if notebook else "submission_too_large",
            {"path": shown, "size": len(raw), "limit": limit},
        )
    sha = hashlib.sha256(raw).hexdigest()
    text, encoding = _decode(path, raw, notebook)
    if _looks_like_html(text):
        raise SourceError("submission_html", {"path": shown})
    if notebook:
        return _read_notebook(path, text, encoding, sha, max_bytes)
    return _read_py(path, raw, text, encoding, sha)


def _bad_suffix(path: Path, size: int, max_bytes: int, raw: bytes | None = None) -> SourceError:
    shown = str(path)
    if 0 < size <= max_bytes:
        try:
            text = (path.read_bytes() if raw is None else raw).decode("utf-8-sig")
        except (OSError, UnicodeDecodeError):
            text = None
        if text is not None and _is_python_code(text):
            return SourceError("submission_bad_suffix_python", {"path": shown, "suggestion": path.stem + ".py"})
        if text is not None and _notebook_dict(text) is not None:
            return SourceError("submission_bad_suffix_python", {"path": shown, "suggestion": path.stem + ".ipynb"})
    return SourceError("submission_bad_suffix", {"path": shown})


def _decode(path: Path, raw: bytes, notebook: bool) -> tuple[str, str]:
    """UTF-8 (BOM allowed) with LF line endings, or a SourceError saying what the bytes are."""
    shown = str(path)
    body = raw[3:] if raw.startswith(codecs.BOM_UTF8) else raw
    if not body.strip():
        raise SourceError("submission_empty", {"path": shown})
    utf16 = raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if not utf16 and _looks_binary(raw):
        guess = _utf16_without_bom(raw)
        if guess is None:
            raise SourceError("submission_binary", {"path": shown})
        raise _not_utf8(path, raw, guess, 1)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise _not_utf8(path, raw, _guess_encoding(raw, None if notebook else _declared_coding(raw)), line) from None
    encoding = "utf-8-sig" if raw.startswith(codecs.BOM_UTF8) else "utf-8"
    return text.replace("\r\n", "\n").replace("\r", "\n"), encoding


def _not_utf8(path: Path, raw: bytes, guess: tuple[str, str], line: int) -> SourceError:
    label, iconv = guess
    fixed = path.stem + "-utf8" + path.suffix
    return SourceError(
        "submission_not_utf8",
        {
            "path": str(path),
            "encoding": label,
            "line": line,
            "iconv": iconv,
            "name": shlex.quote(path.name),
            "fixed": shlex.quote(fixed),
        },
    )


def _looks_binary(raw: bytes) -> bool:
    if b"\x00" in raw:
        return True
    sample = raw[:65536]
    control = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13, 27) or b == 127)
    return control > max(8, len(sample) // 100)


def _utf16_without_bom(raw: bytes) -> tuple[str, str] | None:
    """UTF-16 saved without a BOM: NUL in every other byte of ASCII text."""
    if len(raw) < 4 or len(raw) % 2 or max(raw[0::2].count(0), raw[1::2].count(0)) < len(raw) // 4:
        return None
    for codec, label, iconv in (("utf-16-le", "UTF-16 LE", "UTF-16LE"), ("utf-16-be", "UTF-16 BE", "UTF-16BE")):
        try:
            text = raw.decode(codec)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text and sum(c.isprintable() or c in "\t\n\r" for c in text) >= 0.95 * len(text):
            return label, iconv
    return None


_JA_ENCODINGS = (("cp932", "Shift_JIS (cp932)", "CP932"), ("euc_jp", "EUC-JP", "EUC-JP"))
_JA_FAMILIES = ({"cp932", "shift_jis", "shift_jis_2004", "shift_jisx0213"}, {"euc_jp", "euc_jis_2004", "euc_jisx0213"})


def _guess_encoding(raw: bytes, declared: str | None = None) -> tuple[str, str]:
    """(what to call the encoding, its iconv name): a guess.

    Order: a BOM (UTF-16/UTF-32), the encoding a coding line declares if the
    bytes decode with it, the Japanese encodings (Shift_JIS/cp932 or EUC-JP,
    whichever reads as more plausible Japanese), then Windows-1252 / Latin-1,
    which decode anything.
    """
    for bom, label, iconv in (
        (codecs.BOM_UTF32_LE, "UTF-32", "UTF-32"),
        (codecs.BOM_UTF32_BE, "UTF-32", "UTF-32"),
        (codecs.BOM_UTF16_LE, "UTF-16", "UTF-16"),
        (codecs.BOM_UTF16_BE, "UTF-16", "UTF-16"),
    ):
        if raw.startswith(bom):
            return label, iconv
    if declared:
        try:
            raw.decode(declared)
        except (UnicodeDecodeError, LookupError):
            pass
        else:
            name = codecs.lookup(declared).name
            for family, (_codec, label, iconv) in zip(_JA_FAMILIES, _JA_ENCODINGS):
                if name in family:
                    return label, iconv
            return declared, declared.upper()
    best, best_score, fallback = None, 0.0, None
    for codec, label, iconv in _JA_ENCODINGS:
        try:
            text = raw.decode(codec)
        except UnicodeDecodeError:
            continue
        score = _japanese_score(text)
        if score > best_score:
            best, best_score = (label, iconv), score
        if fallback is None and not any(0x80 <= ord(c) < 0xA0 or 0xE000 <= ord(c) <= 0xF8FF for c in text):
            fallback = (label, iconv)  # no kana or kanji (half-width katakana only?), but nothing implausible
    if best is not None:
        return best
    if fallback is not None:
        return fallback
    if any(0x80 <= b <= 0x9F for b in raw):
        try:
            raw.decode("cp1252")
            return "Windows-1252 (cp1252)", "CP1252"
        except UnicodeDecodeError:
            pass
    return "Latin-1 (ISO-8859-1)", "ISO-8859-1"


def _japanese_score(text: str) -> float:
    """How much ``text`` reads like Japanese: > 0 when kana, kanji and full-width punctuation dominate."""
    good = bad = other = 0
    for ch in text:
        o = ord(ch)
        if o < 0x80:
            continue
        if 0x3040 <= o <= 0x30FF:  # hiragana, katakana
            good += 2
        elif 0x4E00 <= o <= 0x9FFF or 0x3000 <= o <= 0x303F or 0xFF01 <= o <= 0xFF5E:  # kanji, punctuation, full-width
            good += 1
        elif 0xFF61 <= o <= 0xFF9F:  # half-width katakana: rare in code, common in mis-decodings
            bad += 1
        elif 0xE000 <= o <= 0xF8FF or o < 0xA0:  # private use, C1 controls
            bad += 3
        else:
            other += 1
    if good == 0:
        return 0.0
    return (good - 2 * bad - other) / (good + bad + other)


_COOKIE = re.compile(r"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)", re.ASCII)
_BLANK = re.compile(rb"^[ \t\f]*(?:[#\r\n]|$)")


def _declared_coding(raw: bytes) -> str | None:
    """The encoding a PEP 263 coding line declares on line 1 or 2, as Python reads it."""
    lines = raw.splitlines()[:2]
    for i, line in enumerate(lines):
        m = _COOKIE.match(line.decode("latin-1"))
        if m:
            return m.group(1)
        if i == 0 and not _BLANK.match(line):
            break
    return None


def _python_normal_name(name: str) -> str:
    """tokenize's normalisation: every utf-8-* is utf-8."""
    n = name.lower().replace("_", "-")
    return "utf-8" if n == "utf-8" or n.startswith("utf-8-") else n


def _looks_like_html(text: str) -> bool:
    head = text.lstrip()[:200].lower()
    return head.startswith(("<!doctype html", "<html"))


def _is_python_code(text: str) -> bool:
    """Parses as Python and has a def, a class or an import (a single word of prose parses too)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return any(
        isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom))
        for n in tree.body
    )


def _notebook_dict(text: str) -> dict | None:
    if not text.lstrip().startswith("{"):
        return None
    try:
        d = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if isinstance(d, dict) and ("cells" in d or "worksheets" in d) and "nbformat" in d:
        return d
    return None


# -- .py files -----------------------------------------------------------------------


def _read_py(path: Path, raw: bytes, text: str, encoding: str, sha: str) -> SourceFile:
    shown = str(path)
    declared = _declared_coding(raw)
    if declared is not None:
        lines = text.split("\n")[:2]
        line = 1 if _COOKIE.match(lines[0]) else 2
        try:
            codecs.lookup(declared)
            known = True
        except LookupError:
            known = False
        if not known or (_python_normal_name(declared) != "utf-8" and not raw.isascii()):
            raise SourceError("submission_coding_cookie", {"path": shown, "line": line, "declared": declared})
    if _notebook_dict(text) is not None:
        raise SourceError("submission_py_is_notebook", {"path": shown, "suggestion": path.stem + ".ipynb"})
    text, dropped = _drop_ipython_calls(text)
    notes = [
        Msg("submission_ipython_call_dropped", {"code": _short(code), "where": Msg("submission_at_line", {"line": n})})
        for n, code in dropped
    ]
    sf = SourceFile(path, "py", text, sha, encoding)
    return _with_duplicate_notes(sf, notes)


# -- notebooks -----------------------------------------------------------------------


def _read_notebook(path: Path, text: str, encoding: str, sha: str, max_bytes: int) -> SourceFile:
    shown = str(path)
    try:
        d = json.loads(text)
    except RecursionError:
        raise SourceError("submission_notebook_invalid", {"path": shown, "detail": "nested too deeply"}) from None
    except ValueError as e:
        if _is_python_code(text):
            raise SourceError(
                "submission_notebook_is_python", {"path": shown, "suggestion": path.stem + ".py"}
            ) from None
        raise SourceError(
            "submission_notebook_json",
            {"path": shown, "line": getattr(e, "lineno", "?"), "error": getattr(e, "msg", str(e))},
        ) from None
    cells = _notebook_cells(path, d, text)
    language = _notebook_language(d)
    if language is not None and "python" not in language:
        raise SourceError("submission_notebook_language", {"path": shown, "language": language})

    out = [NOTEBOOK_HEADER]
    line_map: list[tuple[int | None, int]] = [(None, 0)]
    notes: list[Msg] = []
    code_cells = 0
    for index, cell in enumerate(cells, 1):
        if cell.get("cell_type") != "code":
            continue
        src = _cell_source(path, cell, index)
        lines = src.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        if not any(line.strip() for line in lines):
            continue
        code_cells += 1
        lines, cell_notes = _transform_cell(lines, index)
        notes.extend(cell_notes)
        out.append(f"# %% cell {index}")
        line_map.append((None, 0))
        for n, line in enumerate(lines, 1):
            out.append(line)
            line_map.append((index, n))
    if code_cells == 0:
        raise SourceError("submission_notebook_no_code", {"path": shown})
    joined = "\n".join(out) + "\n"
    size = len(joined.encode("utf-8"))
    if size > max_bytes:
        raise SourceError("submission_code_too_large", {"path": shown, "size": size, "limit": max_bytes})
    joined, dropped = _drop_ipython_calls(joined)  # the line map stays valid: one line for one line
    sf = SourceFile(path, "ipynb", joined, sha, encoding, line_map=tuple(line_map), code_cells=code_cells)
    for n, code in dropped:
        notes.append(Msg("submission_ipython_call_dropped", {"code": _short(code), "where": sf.location(n)}))
    notes.sort(key=_note_order)
    return _with_duplicate_notes(sf, notes)


def _note_order(m: Msg) -> tuple[int, int]:
    w = m.params.get("where")
    if isinstance(w, Msg):
        return int(w.params.get("cell", 0)), int(w.params.get("line", 0))
    return int(m.params.get("cell", 0)), 0


def _notebook_cells(path: Path, d, text: str) -> list[dict]:
    shown = str(path)

    def invalid(detail: str) -> SourceError:
        return SourceError("submission_notebook_invalid", {"path": shown, "detail": detail})

    if not isinstance(d, dict):
        raise invalid("the top level is not a JSON object")
    major = d.get("nbformat")
    if "cells" not in d and "worksheets" in d or isinstance(major, int) and major == 3:
        try:
            import warnings

            import nbformat

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                nb = nbformat.reads(text, as_version=4)
            cells = [dict(c) for c in nb.cells]
        except Exception as e:  # noqa: BLE001 - nbformat raises many kinds
            raise invalid(f"nbformat {major} could not be converted: {type(e).__name__}: {str(e)[:200]}") from None
        return cells
    if isinstance(major, int) and major < 3:
        raise invalid(f"nbformat {major} is too old")
    listed = d.get("cells")
    if not isinstance(listed, list):
        raise invalid('no "cells" list')
    for i, cell in enumerate(listed, 1):
        if not isinstance(cell, dict):
            raise invalid(f"cell {i} is not a JSON object")
    return listed


def _cell_source(path: Path, cell: dict, index: int) -> str:
    src = cell.get("source", "")
    if src is None:
        return ""
    if isinstance(src, str):
        return src
    if isinstance(src, list) and all(isinstance(s, str) for s in src):
        return "".join(src)
    raise SourceError(
        "submission_notebook_invalid",
        {"path": str(path), "detail": f'cell {index}: "source" is not a string or a list of strings'},
    )


def _notebook_language(d: dict) -> str | None:
    meta = d.get("metadata")
    if not isinstance(meta, dict):
        return None
    for holder, key in (("kernelspec", "language"), ("language_info", "name")):
        sub = meta.get(holder)
        if isinstance(sub, dict) and isinstance(sub.get(key), str) and sub[key].strip():
            return sub[key].strip().lower()
    return None


# -- IPython syntax in a cell ----------------------------------------------------------

_HELP = re.compile(r"^\s*(?:\?{1,2}\s*[\w.*]+|[\w.*]+\s*\?{1,2})\s*$")
_ASSIGN = re.compile(r"^(?P<lhs>\s*[A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*)\s*=\s*(?P<esc>!|%)(?P<rest>.*)$")
_MAGIC_NAME = re.compile(r"^%{1,2}([A-Za-z_][\w]*)")


def _short(code: str) -> str:
    code = code.strip()
    return code if len(code) <= _SHOWN else code[: _SHOWN - 1] + "…"


def _at(cell: int, line: int) -> Msg:
    return Msg("submission_at_cell", {"cell": cell, "line": line})


def _transform_cell(lines: list[str], cell: int) -> tuple[list[str], list[Msg]]:
    """Replace the IPython-only lines of one code cell; the number of lines never changes."""
    first = next(i for i, line in enumerate(lines) if line.strip())
    head = lines[first].strip()
    if head.startswith("%%"):
        m = _MAGIC_NAME.match(head)
        name = m.group(1) if m else ""
        out = list(lines)
        if name in BODY_CELL_MAGICS:
            out[first] = "# " + lines[first]
            body, notes = _transform_lines(lines[first + 1 :], cell, first + 2)
            out[first + 1 :] = body
            return out, [Msg("submission_cell_magic_kept", {"magic": _short(head), "cell": cell})] + notes
        return ["# " + line if line.strip() else line for line in lines], [
            Msg("submission_cell_magic_dropped", {"magic": _short(head), "cell": cell})
        ]
    return _transform_lines(lines, cell, 1)


def _transform_lines(lines: list[str], cell: int, first_line: int) -> tuple[list[str], list[Msg]]:
    out: list[str] = []
    notes: list[Msg] = []
    scan = _Scanner()
    continued = False  # inside an escaped line continued with a backslash
    for k, line in enumerate(lines):
        n = first_line + k
        if continued:
            out.append("# " + line)
            continued = line.rstrip().endswith("\\")
            continue
        if scan.at_start:
            new, note = _escape(line, cell, n)
            if new is not None and note is not None:  # (both or neither)
                out.append(new)
                notes.append(note)
                continued = line.rstrip().endswith("\\")
                if not continued:
                    scan.reset_line()
                continue
        out.append(line)
        scan.feed(line)
    return out, notes


def _escape(line: str, cell: int, n: int) -> tuple[str | None, Msg | None]:
    """The replacement of an IPython-only logical line, or (None, None) when ``line`` is Python."""
    stripped = line.lstrip()
    indent = line[: len(line) - len(stripped)]
    code = stripped.rstrip()
    if not code:
        return None, None
    where = _at(cell, n)
    if code[0] in "%!":
        m = _MAGIC_NAME.match(code)
        if code[0] == "%" and m and m.group(1) in STATEMENT_LINE_MAGICS and not code.startswith("%%"):
            stmt = code[m.end() :].strip()
            if stmt and not stmt.startswith("-") and not code.endswith("\\"):
                return f"{indent}{stmt}", Msg("submission_magic_kept", {"code": _short(code), "where": where})
        return f"{indent}pass  # {code}", Msg("submission_magic_dropped", {"code": _short(code), "where": where})
    if _HELP.match(code):
        return f"{indent}pass  # {code}", Msg("submission_magic_dropped", {"code": _short(code), "where": where})
    m = _ASSIGN.match(line)
    if m:
        lhs, esc, rest = m.group("lhs"), m.group("esc"), m.group("rest")
        if esc == "%":
            name = _MAGIC_NAME.match("%" + rest)
            if name and name.group(1) in STATEMENT_LINE_MAGICS:
                expr = rest[name.end() - 1 :].strip()
                if expr and not expr.startswith("-") and not code.endswith("\\"):
                    return f"{lhs} = {expr}", Msg("submission_magic_kept", {"code": _short(code), "where": where})
        value = "[]" if esc == "!" else "None"
        return f"{lhs} = {value}  # {esc}{rest.strip()}", Msg(
            "submission_magic_replaced",
            {"code": _short(code), "where": where, "replacement": f"{lhs.strip()} = {value}"},
        )
    return None, None


class _Scanner:
    """Just enough of Python's tokenizer to know whether the next line starts a logical line."""

    def __init__(self) -> None:
        self.depth = 0  # open brackets
        self.string: str | None = None  # the quote of a string that runs past the line's end
        self.backslash = False  # the line ended with a backslash (outside strings)

    @property
    def at_start(self) -> bool:
        return self.depth == 0 and self.string is None and not self.backslash

    def reset_line(self) -> None:
        self.backslash = False

    def feed(self, line: str) -> None:
        i, n = 0, len(line)
        self.backslash = False
        while i < n:
            if self.string is not None:
                q = self.string
                while i < n:
                    c = line[i]
                    if c == "\\":
                        i += 2
                        continue
                    if line.startswith(q, i):
                        i += len(q)
                        self.string = None
                        break
                    i += 1
                else:
                    if len(q) == 1 and not line.endswith("\\"):
                        self.string = None  # an unterminated one-line string: a syntax error; move on
                    return
                continue
            c = line[i]
            if c == "#":
                return
            if c in "\"'":
                q = line[i : i + 3] if line[i : i + 3] in ('"""', "'''") else c
                self.string = q
                i += len(q)
                continue
            if c in "([{":
                self.depth += 1
            elif c in ")]}":
                self.depth = max(0, self.depth - 1)
            elif c == "\\" and i == n - 1:
                self.backslash = True
            i += 1


# -- get_ipython() calls (notebooks exported as .py) -----------------------------------

_IPYTHON_CALLS = frozenset({"run_line_magic", "system", "magic"})


def _drop_ipython_calls(text: str) -> tuple[str, list[tuple[int, str]]]:
    """``get_ipython().run_line_magic(...)`` etc., each alone on its line, outside functions,
    become ``pass  # ...``.  Returns the new text and (line, original code) of each."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return text, []
    found: list[ast.stmt] = []
    starts: dict[int, int] = {}

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            starts[node.lineno] = starts.get(node.lineno, 0) + 1
            compound = any(isinstance(getattr(node, f, None), list) for f in ("body", "handlers", "cases"))
            # a multi-line statement ends on another line
            if not compound and node.end_lineno is not None and node.end_lineno != node.lineno:
                starts[node.end_lineno] = starts.get(node.end_lineno, 0) + 1
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            if _is_ipython_call(node):
                found.append(node)
            for f in ("body", "orelse", "finalbody"):
                sub = getattr(node, f, None)
                if isinstance(sub, list):
                    visit(sub)
            for h in getattr(node, "handlers", []) or []:
                visit(h.body)

    visit(tree.body)
    if not found:
        return text, []
    lines = text.split("\n")
    dropped = []
    for node in found:
        if node.end_lineno != node.lineno or starts.get(node.lineno, 0) != 1:
            continue  # shares its line with another statement, or spans lines: leave it
        line = lines[node.lineno - 1]
        stripped = line.lstrip()
        lines[node.lineno - 1] = line[: len(line) - len(stripped)] + "pass  # " + stripped
        dropped.append((node.lineno, stripped.rstrip()))
    return "\n".join(lines), dropped


def _is_ipython_call(node: ast.stmt) -> bool:
    if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)):
        return False
    func = node.value.func
    return (
        isinstance(func, ast.Attribute)
        and func.attr in _IPYTHON_CALLS
        and isinstance(func.value, ast.Call)
        and isinstance(func.value.func, ast.Name)
        and func.value.func.id == "get_ipython"
    )


# -- definitions made twice ----------------------------------------------------------------


def duplicate_definitions(text: str) -> dict[str, list[int]]:
    """Functions and classes defined more than once directly at module level, with their lines.

    Only the module's own statements count (not definitions inside ``if``/``try``,
    where two versions are usually alternatives); ``@overload`` stubs and the
    name ``_`` (``@f.register`` implementations) are intentional and skipped.
    The line is that of ``def``/``class`` (after any decorators).  A text that
    does not parse gives ``{}`` (the syntax error is reported elsewhere).
    """
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    seen: dict[str, list[int]] = {}
    for node in tree.body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) or node.name == "_":
            continue
        if any(
            _decorator_name(d) in ("overload", "typing.overload", "typing_extensions.overload")
            for d in node.decorator_list
        ):
            continue
        seen.setdefault(node.name, []).append(node.lineno)
    return {name: lines for name, lines in seen.items() if len(lines) > 1}


def _decorator_name(node: ast.expr) -> str:
    if isinstance(node, ast.Call):
        node = node.func
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def _with_duplicate_notes(sf: SourceFile, notes: list[Msg]) -> SourceFile:
    for name, lines in duplicate_definitions(sf.text).items():
        notes.append(
            Msg(
                "submission_duplicate_definition",
                {"name": name, "count": len(lines), "first": sf.location(lines[0]), "last": sf.location(lines[-1])},
            )
        )
    return SourceFile(sf.path, sf.kind, sf.text, sf.raw_sha256, sf.encoding, tuple(notes), sf.line_map, sf.code_cells)


# -- templates as notebooks ------------------------------------------------------------------

_SECTION = re.compile(r"^# ---")


def template_notebook(source: str, title: str | None = None) -> str:
    """A template ``.py`` as a Jupyter notebook (nbformat 4 JSON text).

    One markdown cell: ``# title`` (default: the first line of the module
    docstring) and the rest of the docstring; then code cells: what comes
    before the first function (imports), then one cell per top-level
    function or class, a new cell also at each ``# ---`` section comment.
    Comments right above a ``def`` go with it.  Cell ids are fixed, so the
    output is the same every time.
    """
    import nbformat
    from nbformat import v4

    source = source.replace("\r\n", "\n").replace("\r", "\n")
    lines = source.split("\n")
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        tree = None
    doc = ast.get_docstring(tree, clean=True) if tree is not None else None
    body_start = 0  # index of the first line after the docstring
    if doc is not None and tree is not None:  # (a docstring: the text parsed)
        body_start = tree.body[0].end_lineno or 0  # (ast.parse sets end_lineno)
    splits: set[int] = set()  # 0-based line indexes where a new cell starts
    if tree is not None:
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                start = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
                while start - 1 >= body_start and lines[start - 1].startswith("#"):
                    start -= 1
                splits.add(start)
    for i in range(body_start, len(lines)):
        if _SECTION.match(lines[i]):
            j = i
            while j - 1 >= body_start and lines[j - 1].startswith("#"):
                j -= 1
            splits.add(j)
    bounds = sorted({body_start, *(s for s in splits if s >= body_start), len(lines)})
    chunks = []
    pending = ""  # a section comment with no code after it yet: it goes with the next cell
    for a, b in itertools.pairwise(bounds):
        chunk = "\n".join(lines[a:b]).strip("\n")
        if not chunk.strip():
            continue
        if pending:
            chunk = pending + "\n\n" + chunk
            pending = ""
        if all(not line.strip() or line.lstrip().startswith("#") for line in chunk.split("\n")):
            pending = chunk
            continue
        chunks.append(chunk)
    if pending:
        chunks.append(pending)

    nb = v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    heading, rest = title, ""
    if doc:
        first, _, more = doc.partition("\n")
        if heading is None:
            heading, rest = first.strip(), more.strip()
        else:
            rest = doc.strip()
    if heading or rest:
        md = f"# {heading}" if heading else ""
        if rest:
            md = f"{md}\n\n{rest}" if md else rest
        nb.cells.append(v4.new_markdown_cell(md, id="statement"))
    for k, chunk in enumerate(chunks, 1):
        nb.cells.append(v4.new_code_cell(chunk, id=f"code-{k}"))
    return nbformat.writes(nb) + "\n"
