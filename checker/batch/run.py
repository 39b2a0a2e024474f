"""The run of a class batch (``run_batch``), for `check grade-batch` (its docstring says what a run does) and
the Dask client (checker.batch.cluster): the plan, the lines already graded, the records appended, the
interrupts, the warm pool and the summary."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from .results import append_line, batch_key, checker_fault, key_of, read_results, student_zero, write_gradebook
from .files import Entry, find_submissions, read_entry, shown
from ..grading.plan import Options
from ..grading.source import SourceError
from ..messages import render

__all__ = ["find_submissions", "read_results", "run_batch"]


class Interrupts:
    """SIGINT and SIGTERM: the first asks the run to stop, the second ends the process at once."""

    def __init__(self, log):
        self.requested, self.count, self.pool, self.log, self.saved = False, 0, None, log, {}
        self.warm = None  # the batch's warm pool (checker.sandbox.poold.OwnedPool)

    def __enter__(self):
        for sig in (signal.SIGINT, signal.SIGTERM):
            self.saved[sig] = signal.signal(sig, self._handler)
        return self

    def __exit__(self, *exc):
        for sig, h in self.saved.items():
            signal.signal(sig, h)

    def _handler(self, signum, frame):
        self.count += 1
        self.requested = True
        if self.count == 1:
            os.write(2, b"grade-batch: stopping (press Ctrl-C again to quit at once)\n")
            return
        if self.warm is not None:
            self.warm.emergency()
        if self.pool is not None:
            self.pool.emergency()
        os.write(
            2,
            b"grade-batch: interrupted again: stopped at once; the results file holds every finished "
            b"grading (the gradebook was not rewritten); run the same command to continue\n",
        )
        os._exit(130)


@dataclass
class Planned:
    entry: Entry
    sha: str | None = None
    refused: str | None = None  # the file was refused before grading: the student's 0, and why


class BatchRun:
    """The state of one run: what to grade, what is done, and the records it appends."""

    def __init__(self, out: Path, options: Options, exercises, log):
        self.out, self.options, self.exercises, self.log = out, options, exercises, log
        self.grade_key = batch_key(options, exercises)
        self.key = key_of(self.grade_key)
        self.lines = [d for d in read_results(out) if d.get("key") == self.key]
        self.graded = 0
        self.t0 = time.monotonic()

    def done_for(self, p: Planned) -> dict | None:
        """The latest line of the current key for this file (a checker fault included)."""
        for d in reversed(self.lines):
            if (
                d.get("student") == p.entry.student
                and d.get("sha256") == p.sha
                and (p.sha or d.get("error") == p.refused)
            ):
                return d
        return None

    def plan(self, entries: list[Entry], stop) -> list[Planned]:
        planned = []
        for e in entries:
            if stop.requested:
                break
            try:
                planned.append(Planned(e, sha=hashlib.sha256(read_entry(e)).hexdigest()))
            except SourceError as err:
                planned.append(self.refuse(Planned(e), err))
        return planned

    def refuse(self, p: Planned, err: SourceError) -> Planned:
        p.sha, p.refused = None, err.render(self.options.lang)
        self.log(f"grade-batch: refused {p.entry.student}: {err}")
        if self.done_for(p) is None:
            self.append(p, {**student_zero(p.refused), "refused": True, "attempts": 0})
        return p

    def to_grade(self, p: Planned) -> bool:
        """Read, and no line of the current key for it, or only a checker fault."""
        d = self.done_for(p)
        return p.sha is not None and (d is None or bool(d.get("checker_fault")))

    def append(self, p: Planned, d: dict) -> dict:
        d = {
            **d,
            "student": p.entry.student,
            "path": shown(p.entry.path),
            "sha256": p.sha,
            "key": self.key,
            "grade_key": self.grade_key,
            "graded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        append_line(self.out, d)
        self.lines.append(d)
        return d

    def payload(self, task) -> bytes | None:
        p: Planned = task.info["planned"]
        try:
            raw = read_entry(p.entry)
        except SourceError as err:  # it changed since the plan: refused now
            self.refuse(p, err)
            return None
        p.sha = hashlib.sha256(raw).hexdigest()
        msg = {"id": task.id, "student": p.entry.student, "name": p.entry.name, "data": base64.b64encode(raw).decode()}
        return (json.dumps(msg) + "\n").encode()

    def record(self, task, result: dict) -> None:
        result = {**result, "attempts": task.attempts + 1, "wall_s": round(time.monotonic() - task.started, 3)}
        d = self.append(task.info["planned"], result)
        self.graded += 1
        rate = self.graded / max(1e-9, time.monotonic() - self.t0) * 60
        what = (
            "checker fault: " + str(d.get("error"))
            if d.get("checker_fault")
            else f"{d.get('score')}/{d.get('max_score')}"
        )
        self.log(
            f"grade-batch: [{self.graded}/{task.info['of']}] {task.student}: {what} ({d['wall_s']:.1f} s; {rate:.1f}/min)"
        )

    def fault(self, task, why: str) -> None:
        self.record(task, checker_fault(why, self.options.lang))

    def rows(self, planned: list[Planned]) -> list[dict]:
        not_graded = render("batch_not_graded", self.options.lang)
        out = []
        for p in planned:
            d = self.done_for(p)
            out.append(
                d or {"student": p.entry.student, "path": shown(p.entry.path), "sha256": p.sha, "error": not_graded}
            )
        return out


def start_warm_pool(options: Options, slots: int, log, stop=None):
    """The warm pool of a batch (``checker.sandbox.poold.OwnedPool``), or None (then fresh workers, and why)."""
    from ..sandbox import pool as warm_pool, poold

    config = poold.config_for(options, slots)
    if config is None:
        log("grade-batch: no warm pool for a grading that passes a GPU; fresh workers")
        return None
    try:
        owned = poold.OwnedPool(config, cancelled=(lambda: stop.requested) if stop is not None else None)
    except warm_pool.PoolUnavailable as e:
        if stop is None or not stop.requested:
            log(f"grade-batch: no warm pool ({e}); fresh workers")
        return None
    log(f"grade-batch: {owned.describe()}")
    return owned


def run_batch(
    source: Path,
    out: Path,
    gradebook: Path,
    jobs: int = 2,
    exercises=None,
    pattern: str = "exercise.py",
    options: Options | None = None,
    log=print,
    pool: bool = True,
) -> int:
    """Grade a class; returns the exit status (0, 2 when checker faults are left, 130 when interrupted).

    ``pool``: the grading processes take their sandboxed workers from a warm pool (started here, stopped at the
    end; fresh workers where it cannot be had, or when it breaks)."""
    from .procs import Pool, Task
    from ..grading.plan import select_exercises
    from ..spec import discover

    from ..sandbox import cgroups

    options = options or Options()
    if exercises:
        select_exercises(discover(options.exercises_dir), exercises, set())  # unknown ids: a usage error now
    cgroups.sweep_stale()  # what a grader killed with SIGKILL left (empty folders only)
    entries, problems = find_submissions(source, pattern)
    for p in problems:
        log(f"grade-batch: skipped {p}")
    run = BatchRun(out, options, exercises, log)
    with Interrupts(log) as stop:
        planned = run.plan(entries, stop)
        todo = [p for p in planned if run.to_grade(p)]
        log(
            f"grade-batch: {len(entries)} submissions, {len(planned) - len(todo)} already graded, {len(todo)} to grade, "
            f"{jobs} at a time (options key {run.key}; isolation: {options.backend}/{options.isolation} for every submission)"
        )
        tasks = [Task(i, p.entry.student, info={"planned": p, "of": len(todo)}) for i, p in enumerate(todo)]
        warm = start_warm_pool(options, 2 * jobs + 2, log, stop) if pool and tasks and not stop.requested else None
        stop.warm = warm
        try:
            config = {
                "options": {**child_options(options), "pool": str(warm.socket) if warm else None},
                "exercises": exercises,
                "secret": options.data_secret.hex() if options.data_secret else None,
            }
            graders = Pool(jobs, config, stop, log, run.payload, run.record, run.fault)
            stop.pool = graders
            if not stop.requested:
                graders.run(tasks)
            stop.pool = None
        finally:
            stop.warm = None
            if warm is not None:
                warm.stop()
        rows = run.rows(planned)
        write_gradebook(rows, gradebook)
    return summary(run, rows, stop.requested, out, gradebook, log)


def summary(run: BatchRun, rows: list[dict], interrupted: bool, out: Path, gradebook: Path, log) -> int:
    graded = sum(1 for d in rows if "key" in d and not d.get("checker_fault"))
    faults = sum(1 for d in rows if d.get("checker_fault"))
    if interrupted:
        log(
            f"grade-batch: interrupted: {graded} graded, run the same command to continue "
            f"({len(rows) - graded} left; results in {out}, gradebook {gradebook})"
        )
        return 130
    log(
        f"grade-batch: {run.graded} graded in {time.monotonic() - run.t0:.1f} s; {graded} of {len(rows)} in the "
        f"gradebook {gradebook}; results in {out}"
    )
    if faults:
        log(
            f"grade-batch: {faults} checker fault(s): not the students' scores; run the same command to grade them again"
        )
        return 2
    return 0


def child_options(o: Options) -> dict:
    return {
        "lang": o.lang,
        "seed": o.seed,
        "max_examples": o.max_examples,
        "backend": o.backend,
        "isolation": o.isolation,
        "threads": o.threads,
        "data": o.data,
        "gpus": o.gpus,
        "image": o.image,
        "pool": o.pool,
    }


def resolve_isolation(options: Options) -> None:
    """Decide the backend and isolation once, before grading, for every submission: never per submission."""
    if options.backend == "auto":
        from ..sandbox.docker import engine as docker_backend

        options.backend = "docker" if docker_backend.available() else "local"
    if options.backend == "local" and options.isolation == "auto":
        from ..sandbox.local import bwrap_path

        options.isolation = "bwrap" if bwrap_path() else "rlimits"
