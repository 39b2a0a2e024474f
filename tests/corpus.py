"""One manifest format for every test corpus: each file carries its own expectations in a header.

A corpus file begins with its expectations, TOML between the lines ``# --- expect`` and ``# ---``, each line
after ``# `` (a bare ``#`` is an empty line)::

    # --- expect
    # exercises = ["71"]
    # failing = ["softmax"]
    # why = "softmax ignores `dim`"
    # ---
    \"\"\"The file's docstring and code follow.\"\"\"

The corpora and the keys each allows (``CORPORA``; a key's type is checked, and so are its choices):

* ``tests/submissions/`` (the function corpus, 70–72; ``test_e2e_submissions.py``): ``kind``, ``exercises``,
  ``failing``, ``passing``, ``exit``, ``why``;
* ``tests/training_submissions/`` (73–79, written by ``make_bugs.py``; ``test_e2e_training.py``):
  ``exercises``, ``failing``, ``passing``, and optionally ``hint``, ``why``;
* ``tests/adversarial/cases/`` (``adversarial/test_cases.py``, whose docstring says what each key means);
* ``tests/adversarial/integrity/`` (``adversarial/test_integrity.py``).

``expect(path)`` reads and validates the header of one file (the corpus is the file's folder);
``cases(folder)`` lists the files of a corpus, each of which must have a header; ``header(data, corpus)``
writes one.  Every problem is a ``CorpusError`` whose message starts with the file's path.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

TESTS = Path(__file__).resolve().parent
START = "# --- expect"
END = "# ---"

CAPABILITIES = ("private-files", "private-network", "signal-scope", "process-tracking", "memory-cgroup")


class CorpusError(ValueError):
    """A corpus file without a valid header; the message names the file."""


@dataclass(frozen=True)
class Key:
    """One header key: its type (``str``, ``int``, ``bool``, ``number``, ``list[str]``, ``table[str]``) and,
    for ``str`` and ``list[str]``, the values it may take (empty: any)."""

    type: str
    choices: tuple = ()


@dataclass(frozen=True)
class Corpus:
    folder: str  # relative to tests/
    required: dict = field(default_factory=dict)  # name -> Key
    optional: dict = field(default_factory=dict)
    exclude: tuple = ()  # files of the folder that are not corpus files

    @property
    def keys(self) -> dict:
        return {**self.required, **self.optional}


STRS = Key("list[str]")
EXERCISES = Key("list[str]", tuple(str(i) for i in range(70, 80)))

CORPORA = {
    c.folder: c
    for c in (
        Corpus(
            "submissions",
            required={
                "kind": Key("str", ("correct", "bug")),
                "exercises": EXERCISES,
                "failing": STRS,
                "passing": STRS,
                "exit": Key("int"),
                "why": Key("str"),
            },
        ),
        Corpus(
            "training_submissions",
            exclude=("make_bugs.py",),
            required={"exercises": EXERCISES, "failing": STRS, "passing": STRS},
            optional={"hint": Key("str"), "why": Key("str")},
        ),
        Corpus(
            "adversarial/cases",
            required={
                "exercises": EXERCISES,
                "verdict": Key("str", ("graded", "passed", "exit2")),
                "zero": STRS,
                "passing": STRS,
                "leaves_nothing": Key("bool"),
                "why": Key("str"),
            },
            optional={
                "requires": Key("list[str]", CAPABILITIES),
                "alone": Key("bool"),
                "attack_runs": Key("bool"),
                "output_contains": STRS,
                "output_truncated": Key("bool"),
                "output_bytes_at_least": Key("int"),
                "max_shmem_growth_mb": Key("number"),
                "messages": Key("table[str]"),
                "counterexample": STRS,
                "absent": STRS,
                "renders": Key("list[str]", ("text", "github", "junit", "gradescope")),
                "render_contains": STRS,
                "render_escaped_only": STRS,
            },
        ),
        Corpus(
            "adversarial/integrity",
            required={"exercises": EXERCISES, "verdict": Key("str", ("graded",)), "zero": STRS, "why": Key("str")},
            optional={"passing": STRS, "not_passing": STRS},
        ),
    )
}


def corpus_of(path: Path) -> Corpus:
    folder = Path(path).resolve().parent
    try:
        return CORPORA[folder.relative_to(TESTS).as_posix()]
    except (ValueError, KeyError):
        raise CorpusError(f"{_shown(path)}: not in a known corpus folder ({', '.join(sorted(CORPORA))})") from None


def _shown(path: Path) -> str:
    p = Path(path).resolve()
    try:
        return str(p.relative_to(TESTS.parent))
    except ValueError:
        return str(p)


def header_text(path: Path) -> str:
    """The TOML of the file's header, without the ``# `` of each line."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    if not lines or lines[0] != START:
        raise CorpusError(f"{_shown(path)}: the file does not begin with a {START!r} line")
    try:
        end = lines.index(END, 1)
    except ValueError:
        raise CorpusError(f"{_shown(path)}: the header has no closing {END!r} line") from None
    body = []
    for n, line in enumerate(lines[1:end], start=2):
        if line == "#":
            body.append("")
        elif line.startswith("# "):
            body.append(line[2:])
        else:
            raise CorpusError(f"{_shown(path)}:{n}: a header line must start with '# ': {line!r}")
    return "\n".join(body)


def _check(shown: str, name: str, key: Key, value) -> None:
    def bad(what: str):
        raise CorpusError(f"{shown}: {name!r} must be {what}, not {value!r}")

    if key.type == "str":
        if not isinstance(value, str) or not value.strip():
            bad("a non-empty string")
    elif key.type == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            bad("an integer")
    elif key.type == "bool":
        if not isinstance(value, bool):
            bad("true or false")
    elif key.type == "number":
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            bad("a number")
    elif key.type == "list[str]":
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            bad("a list of non-empty strings")
        if len(set(value)) != len(value):
            bad("a list without repetitions")
    elif key.type == "table[str]":
        if not isinstance(value, dict) or not all(isinstance(v, str) and v for v in value.values()):
            bad("a table of non-empty strings")
    else:  # pragma: no cover - a typo in CORPORA
        raise AssertionError(key.type)
    values = [value] if key.type == "str" else value if key.type == "list[str]" else []
    wrong = [v for v in values if key.choices and v not in key.choices]
    if wrong:
        raise CorpusError(f"{shown}: {name!r} has {', '.join(map(repr, wrong))}; allowed: {', '.join(key.choices)}")


def expect(path: Path) -> dict:
    """The validated expectations of one corpus file (a plain dict of the header's keys)."""
    path = Path(path)
    shown, corpus = _shown(path), corpus_of(path)
    try:
        data = tomllib.loads(header_text(path))
    except tomllib.TOMLDecodeError as e:
        raise CorpusError(f"{shown}: the header is not valid TOML: {e}") from None
    unknown = sorted(set(data) - set(corpus.keys))
    if unknown:
        raise CorpusError(
            f"{shown}: unknown key(s) {', '.join(unknown)} in the header; "
            f"a file of tests/{corpus.folder}/ may have: {', '.join(corpus.keys)}"
        )
    missing = [k for k in corpus.required if k not in data]
    if missing:
        raise CorpusError(f"{shown}: the header lacks {', '.join(missing)}")
    for name, value in data.items():
        _check(shown, name, corpus.keys[name], value)
    return data


def cases(folder: Path) -> list[Path]:
    """The files of a corpus folder, sorted by name; each must carry a valid header (else CorpusError)."""
    folder = Path(folder).resolve()
    corpus = corpus_of(folder / "x.py")
    found = sorted(p for p in folder.glob("*.py") if p.name not in corpus.exclude)
    for p in found:
        expect(p)
    return found


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    raise TypeError(type(value))


def header(data: dict, folder: str) -> str:
    """The header lines for ``data`` in the corpus ``folder`` (keys in the corpus's order), with a newline."""
    corpus = CORPORA[folder]
    unknown = set(data) - set(corpus.keys)
    if unknown:
        raise CorpusError(f"tests/{folder}: unknown key(s) {', '.join(sorted(unknown))}")
    lines = [START] + [f"# {k} = {_toml(data[k])}" for k in corpus.keys if k in data] + [END]
    return "\n".join(lines) + "\n"
