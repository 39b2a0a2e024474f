"""`check grade-batch`: the instructor's authoritative run over a whole class.

    check grade-batch DIR|LIST [--jobs N] [--out results.jsonl] [--gradebook grades.csv] [--pattern exercise.py]

DIR holds one submission per entry: a ``.py`` file, or a folder (a cloned
repository) in which the submission is the file matching ``--pattern``
(default: ``exercise.py``, else the one ``.py`` file that defines chapter
functions).  LIST is a text file with one path per line.

Each submission is graded in its own grader process from a pool of N (each
with its own sandboxed worker, as in ``check submit``).  One JSON line per
submission is appended to the results file as soon as it finishes, in a
single write followed by fsync; an interrupted batch started again skips
what is already there (a torn last line is dropped) and loses nothing.  The
gradebook CSV is rewritten from the results file at the end, atomically.
"""
from __future__ import annotations

import csv
import io
import json
import os
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Entry:
    student: str      # the name of the file or folder in DIR
    path: Path        # the submission file


def find_submissions(source: Path, pattern: str = "exercise.py") -> tuple[list[Entry], list[str]]:
    """The submissions under ``source`` and a list of problems (entries with no submission)."""
    entries, problems = [], []
    if source.is_file() and source.suffix != ".py":
        lines = [ln.strip() for ln in source.read_text(encoding="utf-8").splitlines()]
        cands = [Path(ln) for ln in lines if ln and not ln.startswith("#")]
    elif source.is_dir():
        cands = sorted(p for p in source.iterdir() if not p.name.startswith("."))
    else:
        cands = [source]
    for c in cands:
        if c.is_file() and c.suffix == ".py":
            entries.append(Entry(c.stem if source.is_dir() else str(c), c))
        elif c.is_dir():
            hit = _submission_in(c, pattern)
            if hit is None:
                problems.append(f"{c.name}: no {pattern} (and no single .py file defining the chapter's functions)")
            else:
                entries.append(Entry(c.name, hit))
        else:
            problems.append(f"{c}: not a .py file or a folder")
    return entries, problems


def _submission_in(folder: Path, pattern: str) -> Path | None:
    direct = sorted(folder.rglob(pattern))
    direct = [p for p in direct if ".git" not in p.parts]
    if direct:
        return direct[0]
    from ..grading.handwritten import defined_functions
    from ..spec import discover

    names = {f for ex in discover().values() for f in ex.functions}
    hits = []
    for p in sorted(folder.rglob("*.py")):
        if ".git" in p.parts or p.stat().st_size > 1_000_000:
            continue
        if defined_functions(p.read_text(encoding="utf-8", errors="replace")) & names:
            hits.append(p)
    return hits[0] if len(hits) == 1 else None


def _grade_one(student: str, path: str, exercises, opts: dict) -> dict:
    """Runs in a pool process: one submission, one result line."""
    from ..api import Options, grade
    from ..errors import CheckerError

    t0 = time.monotonic()
    try:
        report = grade(Path(path), exercises, Options(**opts))
        d = report.to_dict()
        d.pop("output", None)
    except CheckerError as e:
        d = {"error": str(e), "exit_status": 2, "score": 0.0, "max_score": None, "exercises": []}
    except Exception as e:  # noqa: BLE001 - one broken submission must not stop the class
        d = {"error": f"internal error: {type(e).__name__}: {e}", "exit_status": 2, "score": 0.0, "max_score": None, "exercises": []}
    d["student"] = student
    d["path"] = str(path)
    if "sha256" not in d and Path(path).is_file():
        d["sha256"] = _sha(Path(path))
    d["graded_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    d["wall_s"] = round(time.monotonic() - t0, 3)
    return d


def read_results(out: Path) -> list[dict]:
    """The complete lines of a results file; a torn last line is cut off the file."""
    if not out.exists():
        return []
    raw = out.read_bytes()
    done, good_end = [], 0
    pos = 0
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


def _key(d: dict) -> tuple:
    return (d.get("student"), d.get("sha256"))


def _sha(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def append_line(out: Path, d: dict) -> None:
    data = (json.dumps(d, ensure_ascii=False, separators=(",", ":"), default=str) + "\n").encode("utf-8")
    fd = os.open(out, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def write_gradebook(results: list[dict], path: Path) -> None:
    latest: dict[str, dict] = {}
    for d in results:
        latest[d.get("student")] = d
    ex_ids = sorted({e["id"] for d in latest.values() for e in d.get("exercises", [])}, key=lambda s: (len(s), s))
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["student", "path", "sha256", "score", "max_score", *[f"ex{e}" for e in ex_ids], "exit_status", "error"])
    for student in sorted(latest, key=str):
        d = latest[student]
        per = {e["id"]: e["score"] for e in d.get("exercises", [])}
        w.writerow([student, d.get("path", ""), d.get("sha256", ""), d.get("score", ""), d.get("max_score", ""),
                    *[per.get(e, "") for e in ex_ids], d.get("exit_status", ""), d.get("error", "")])
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(buf.getvalue(), encoding="utf-8")
    os.replace(tmp, path)


def run_batch(source: Path, out: Path, gradebook: Path, jobs: int = 2, exercises=None, pattern: str = "exercise.py",
              opts: dict | None = None, log=print) -> int:
    entries, problems = find_submissions(source, pattern)
    for p in problems:
        log(f"grade-batch: skipped {p}")
    done = read_results(out)
    done_keys = {_key(d) for d in done}
    todo = [e for e in entries if (e.student, _sha(e.path)) not in done_keys]
    log(f"grade-batch: {len(entries)} submissions, {len(entries) - len(todo)} already graded, {len(todo)} to grade, {jobs} at a time")
    opts = dict(opts or {})
    t0 = time.monotonic()
    finished = 0
    results = list(done)
    import multiprocessing

    with ProcessPoolExecutor(max_workers=max(1, jobs), mp_context=multiprocessing.get_context("spawn")) as pool:
        pending = {pool.submit(_grade_one, e.student, str(e.path), exercises, opts): e for e in todo}
        try:
            while pending:
                ready, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in ready:
                    e = pending.pop(fut)
                    try:
                        d = fut.result()
                    except Exception as exc:  # noqa: BLE001 - a pool process died
                        d = {"student": e.student, "path": str(e.path), "sha256": _sha(e.path), "exit_status": 2,
                             "error": f"grader process failed: {type(exc).__name__}: {exc}", "score": 0.0, "exercises": []}
                    append_line(out, d)
                    results.append(d)
                    finished += 1
                    rate = finished / max(1e-9, time.monotonic() - t0) * 60
                    log(f"grade-batch: [{finished}/{len(todo)}] {e.student}: {d.get('score')}/{d.get('max_score')} "
                        f"({d.get('wall_s', 0):.1f} s; {rate:.1f}/min)")
        except KeyboardInterrupt:
            for fut in pending:
                fut.cancel()
            log("grade-batch: interrupted; run the same command again to continue")
            write_gradebook(results, gradebook)
            return 130
    write_gradebook(results, gradebook)
    log(f"grade-batch: {finished} graded in {time.monotonic() - t0:.1f} s; results in {out}, gradebook {gradebook}")
    return 0


def register(sub, env) -> None:
    from ..settings import BACKENDS, LANGS

    gb = sub.add_parser("grade-batch", help="grade a whole class: a folder of submissions (files or cloned repositories) or a list")
    gb.add_argument("source")
    gb.add_argument("--jobs", "-j", type=int, default=2)
    gb.add_argument("--out", default="results.jsonl", help="one JSON line per submission (appended; resumable)")
    gb.add_argument("--gradebook", default="gradebook.csv")
    gb.add_argument("--pattern", default="exercise.py", help="the submission's file name inside a repository folder")
    gb.add_argument("--exercise", "-e", action="append", dest="exercises", metavar="ID")
    gb.add_argument("--lang", default=env.lang, choices=LANGS)
    gb.add_argument("--seed", type=int, default=0)
    gb.add_argument("--max-examples", type=int, default=None)
    gb.add_argument("--backend", default=env.backend, choices=BACKENDS)
    gb.add_argument("--data", default="default")
    gb.set_defaults(run=main)


def main(args) -> int:
    opts = {"lang": args.lang, "seed": args.seed, "backend": args.backend, "data": args.data}
    if args.max_examples is not None:
        opts["max_examples"] = args.max_examples
    return run_batch(Path(args.source), Path(args.out), Path(args.gradebook), jobs=args.jobs, exercises=args.exercises,
                     pattern=args.pattern, opts=opts, log=lambda s: print(s, file=sys.stderr, flush=True))
