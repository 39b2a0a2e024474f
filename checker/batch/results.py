"""grade-batch's records: what keys a result, the results file, the gradebook, and one grading.

The results file holds one JSON line per grading (schema below), appended in one write and
fsynced.  A line counts for a submission when its ``student``, ``sha256`` (of the bytes graded)
and ``key`` (a hash of every option that changes a grade, ``batch_key``) are the submission's
now and it is not a ``checker_fault``; everything else is graded again.  The gradebook is made
from the lines of the current key only.

Keys of a line: ``student``, ``path`` (shown: escaped), ``sha256`` (null for a file refused
before reading), ``key``, ``grade_key`` (what ``key`` hashes: seed, max_examples, data, the
data secret's short hash, exercises, the specs' hash, the hidden spec files' hash, checker
version), ``score``, ``max_score``, ``exit_status``, ``exercises`` (per exercise and item, as in
``check submit -f json``), ``error`` (why it could not be graded: the student's, shown in the
gradebook), ``checker_fault`` (true: the checker failed, the score is not the student's and the
next run grades it again), ``refused`` (true: the file was refused before reading: a link, not a
regular file, too large), ``attempts``, ``graded_at``, ``wall_s``; for a grading, the report's
own fields too (``isolation``, ``backend``, ``notes``, ``seed``, ...).  The data secret itself is
never written.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from pathlib import Path

from ..messages import render
from ..grading.plan import Options, Submission
from ..grading.source import SourceError


def batch_key(options: Options, exercises: list[str] | None) -> dict:
    """Every input that changes a grade besides the file: ``Options.grade_key()``, the exercises,
    the exercise specs as discovered (public and hidden items), the hidden spec files, the checker."""
    from .._version import __version__
    from ..spec import discover, hidden_dir

    specs = hashlib.sha256()
    for ex_id, ex in sorted(discover(options.exercises_dir).items()):
        specs.update(f"{ex_id}\0{ex.model_dump_json()}\0".encode())
    hidden = hashlib.sha256()
    folder = hidden_dir()
    if folder is not None and folder.is_dir():
        for spec in sorted(folder.glob("*/spec.toml")):
            hidden.update(f"{spec.parent.name}\0".encode() + spec.read_bytes() + b"\0")
    return {
        **options.grade_key(),
        "exercises": sorted(set(exercises)) if exercises else None,
        "specs": specs.hexdigest()[:16],
        "hidden": hidden.hexdigest()[:16] if folder else None,
        "checker": __version__,
    }


def key_of(grade_key: dict) -> str:
    return hashlib.sha256(json.dumps(grade_key, sort_keys=True).encode()).hexdigest()[:16]


def read_results(out: Path) -> list[dict]:
    """The complete lines of a results file; a torn last line is cut off the file."""
    if not out.exists():
        return []
    raw = out.read_bytes()
    done, good_end, pos = [], 0, 0
    for line in raw.splitlines(keepends=True):
        pos += len(line)
        if not line.endswith(b"\n"):
            break
        try:
            done.append(json.loads(line))
            good_end = pos
        except ValueError:
            break
    if good_end != len(raw):
        with open(out, "r+b") as fh:
            fh.truncate(good_end)
    return done


def append_line(out: Path, d: dict) -> None:
    """One line, one write, fsynced: a crash leaves at most a torn last line (dropped on reading)."""
    try:
        text = json.dumps(d, ensure_ascii=False, separators=(",", ":"), default=str)
        data = (text + "\n").encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate somewhere: escaped JSON is still valid
        data = (json.dumps(d, ensure_ascii=True, separators=(",", ":"), default=str) + "\n").encode("ascii")
    fd = os.open(out, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def grade_bytes(name: str, raw: bytes, exercises: list[str] | None, options: Options) -> dict:
    """Grade a submission's bytes (in a grading process): the report as a dict, or why not.

    The file's fault (a ``SourceError``: not UTF-8, empty, a .txt, a broken notebook) is the
    student's 0 with its message; anything else that stops the grading (a sandbox that cannot
    start, a bug) is a checker fault, never a score."""
    from ..api import grade
    from ..errors import CheckerError

    try:
        sub = Submission.from_bytes(Path(name), raw)
        report = grade(name, exercises, options, submission=sub)
    except SourceError as e:
        return student_zero(e.render(options.lang))
    except CheckerError as e:
        return checker_fault(f"{e.kind}: {e}", options.lang)
    except Exception as e:  # noqa: BLE001 - a bug of ours: not the student's 0
        return checker_fault(f"internal error: {type(e).__name__}: {e}", options.lang)
    d = report.to_dict()
    d.pop("output", None)
    if report.internal_errors:
        d.update(
            checker_fault(f"{report.internal_errors} item(s) hit a checker bug", options.lang), exercises=d["exercises"]
        )
    elif not report.exercises:
        d["error"] = render("batch_no_functions", options.lang, path=name)
    return d


def student_zero(error: str) -> dict:
    return {"score": 0.0, "max_score": None, "exit_status": 2, "error": error, "exercises": []}


def checker_fault(detail: str, lang: str) -> dict:
    return {
        "checker_fault": True,
        "score": None,
        "max_score": None,
        "exit_status": 2,
        "exercises": [],
        "error": render("batch_checker_fault", lang, detail=detail),
    }


COLUMNS = ("student", "path", "sha256", "score", "max_score")
TAIL = ("exit_status", "error", "checker_fault")


def write_gradebook(rows: list[dict], path: Path) -> None:
    """One row per submission (``rows``: its result line, or a stand-in), written atomically.
    A checker fault's score is left empty: it is not the student's."""
    ex_ids = sorted({e["id"] for d in rows for e in d.get("exercises") or []}, key=lambda s: (len(s), s))
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([*COLUMNS, *[f"ex{e}" for e in ex_ids], *TAIL])
    for d in sorted(rows, key=lambda d: str(d.get("student"))):
        fault = bool(d.get("checker_fault"))
        per = {} if fault else {e["id"]: e["score"] for e in d.get("exercises") or []}
        cells = [
            d.get("student"),
            d.get("path"),
            d.get("sha256"),
            None if fault else d.get("score"),
            None if fault else d.get("max_score"),
        ]
        w.writerow(
            ["" if c is None else c for c in cells]
            + [per.get(e, "") for e in ex_ids]
            + [d.get("exit_status", ""), d.get("error") or "", "yes" if fault else ""]
        )
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(buf.getvalue(), encoding="utf-8")
    os.replace(tmp, path)
