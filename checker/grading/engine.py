"""Grading one submission: run each item's checks against the sandbox, make one record per item.

The sandboxed worker is started first (``checker.api``), so that it imports
torch while the grader does the same; the submission is imported only there.
Each item ends as one ``ItemRecord``: passed, failed (wrong values), error
(the code raised or crashed), timeout, not_implemented or skipped.  An
exception from a check that is not a ``CheckFailure`` is a bug in the checker
and is recorded as an internal error, never as a 0 for the student.  A
``CheckerError`` (cannot grade: a dataset or spec problem) stops the grading.
"""

from __future__ import annotations

import os
import shlex
import tempfile
import time
import traceback
from collections.abc import Set
from pathlib import Path
from typing import Any

from .._version import __version__
from ..errors import CheckerError, UsageError
from ..messages import Catalog, Msg, render
from ..sandbox.limits import Limits
from ..sandbox.session import StudentError, WorkerGone, WorkerSession
from ..spec import Exercise, hidden_dir
from . import handwritten
from .cases import run_cases
from .context import ItemContext, at_line, gone_failure, student_failure
from .outcome import CheckFailure, Skip, WorkerFatal
from .plan import DEFAULT_MAX_EXAMPLES, MAX_SOURCE_BYTES, Options, Submission
from .records import ExerciseRecord, ItemRecord, Report, Status
from .installed import installed_registry
from .registry import Registry, is_per_case


class Resources:
    """What the items of one submission share: the pack's dataset (loaded once, on first use), further
    workers started for probes, the folder for report artifacts."""

    def __init__(
        self, options: Options, submission: Submission | None = None, limits: Limits | None = None, launcher=None
    ):
        self.options = options
        self.submission = submission
        self.limits = limits
        self.launcher = launcher
        self._data: dict = {}
        self.shared: dict = {}  # training runs and references several items use
        self.described: dict | None = None
        self.sessions: list[WorkerSession] = []
        self._artifacts: Path | None = None

    def fresh_session(self) -> WorkerSession:
        """A worker of its own for this submission (closed with the grading)."""
        limits, submission = self.limits, self.submission
        assert limits is not None and submission is not None  # run() gives both
        s = WorkerSession(limits, self.launcher)
        self.sessions.append(s)
        s.start()
        s.load(submission.source, seed=self.options.seed)
        return s

    def close(self) -> None:
        for s in self.sessions:
            s.close()

    def artifacts_dir(self) -> Path:
        """One folder per grading for plots: the one asked for (``-o``), else a fresh private one (mode 0700)."""
        if self._artifacts is None:
            asked = self.options.artifacts_dir
            if asked is None:
                self._artifacts = Path(tempfile.mkdtemp(prefix="nlp100-report-"))
            else:
                asked = Path(asked)
                try:
                    asked.mkdir(mode=0o700, parents=True)
                except FileExistsError:
                    if asked.is_symlink() or not asked.is_dir():
                        raise UsageError(f"{asked} exists and is not a folder of this report's files") from None
                self._artifacts = asked
        return self._artifacts

    @staticmethod
    def write_artifact(path, data: bytes) -> None:
        """Write a report file without following a symbolic link planted at its name."""
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)

    def data(self, exercise: Exercise):
        from ..spec.packs import installed

        packs = installed()
        pack = next((p for p in packs if p.name == exercise.pack and p.data), None) or next(
            (p for p in packs if p.data), None
        )
        if pack is None or not pack.data:  # (a pack found here has data)
            return None
        key = (pack.name, self.options.data)
        if key not in self._data:
            ds = pack.attr(pack.data)(self.options.data, self.options)
            self._data[key] = ds
            self.described = ds.describe() if hasattr(ds, "describe") else None
        return self._data[key]


def _not_implemented(item, defined: Set[str], catalog: Catalog, lang: str, stubs: Set[str] = frozenset()) -> str | None:
    missing = [f for f in item.requires if f not in defined]
    if not missing:
        return None
    if len(missing) == 1:
        return catalog.render(
            "not_implemented_stub" if missing[0] in stubs else "not_implemented", lang, function=missing[0]
        )
    return catalog.render("not_implemented_many", lang, functions=", ".join(f"`{m}`" for m in missing))


def run_item(ctx: ItemContext) -> ItemRecord:
    item, catalog = ctx.item, ctx.registry.catalog
    t0 = time.monotonic()
    rec = ItemRecord(
        name=item.name,
        status=Status.PASSED,
        score=item.points,
        max_score=item.points,
        visibility=item.visibility,
        line=handwritten.def_line(ctx.source, item.function) if item.function else None,
    )
    missing = _not_implemented(item, ctx.defined, catalog, ctx.lang, ctx.submission.stubs)
    if missing is not None:
        rec.status, rec.score, rec.message = Status.NOT_IMPLEMENTED, 0.0, missing
        return rec
    failures: list[CheckFailure] = []
    try:
        if not ctx.session.alive:
            ctx.session.restart()
        checks = [(n, ctx.registry.checks[n]) for n in item.checks]
        per = [(n, c) for n, c in checks if is_per_case(c)]
        if per:
            try:
                run_cases(ctx, per, ctx.registry.space(item.inputs))
            except CheckFailure as f:
                failures.append(f)
        for name, chk in checks:
            if is_per_case(chk):
                continue
            try:
                chk(ctx)
            except CheckFailure as f:
                f.check = f.check or name
                failures.append(f)
                if f.status in (Status.TIMEOUT, Status.ERROR) and not ctx.session.alive:
                    break
    except WorkerFatal as e:
        failures.append(e.failure)
    except Skip as s:
        rec.status, rec.score = Status.SKIPPED, 0.0
        rec.message = catalog.render_msg(s.msg, ctx.lang)
        rec.counts_to_max = item.skipped_counts
        return _finish(rec, ctx, t0)
    except StudentError as e:  # the restart's import failed
        failures.append(student_failure(e.error, "import", ctx.limits))
    except WorkerGone as e:
        failures.append(gone_failure(e, "import", ctx.limits))
    except CheckerError:
        raise
    except Exception as e:  # noqa: BLE001 - anything else is the checker's own bug
        rec.status, rec.score, rec.internal = Status.ERROR, 0.0, True
        rec.message = catalog.render("internal_error", ctx.lang, error=f"{type(e).__name__}: {e}")
        rec.details = traceback.format_exc().splitlines()[-12:]
        return _finish(rec, ctx, t0)
    if failures:
        first = failures[0]
        if first.msg.key == "raised" and first.msg.params.get("type") == "NotImplementedError":
            first = CheckFailure(
                "not_implemented_raised", {"call": first.msg.params.get("call", "")}, status=Status.NOT_IMPLEMENTED
            ).at_line(first.line)
        rec.status, rec.score = first.status, 0.0
        rec.check = first.check
        rec.message = catalog.render_msg(_localised(first.msg, ctx.submission), ctx.lang)
        rec.details = [catalog.render_msg(_localised(d, ctx.submission), ctx.lang) for d in first.details]
        rec.details += [catalog.render_msg(f.msg, ctx.lang) for f in failures[1:]]
        if first.counterexample is not None:
            rec.counterexample = {k: catalog.render_msg(v, ctx.lang) for k, v in first.counterexample.items()}
            rec.counterexample["repro"] = ctx.facts.get("repro", "")
        if first.line:
            rec.line = first.line
    else:
        rec.message = catalog.render("passed", ctx.lang)
        rec.details = [catalog.render_msg(x, ctx.lang) for x in ctx.facts.pop("table", [])]
    return _finish(rec, ctx, t0)


def _finish(rec: ItemRecord, ctx: ItemContext, t0: float) -> ItemRecord:
    catalog = ctx.registry.catalog
    _locate(rec, ctx.submission, catalog, ctx.lang)
    rec.details += [catalog.render_msg(m, ctx.lang) for m in ctx.notes]
    rec.duration_s = round(time.monotonic() - t0, 3)
    rec.artifacts.update(ctx.artifacts)
    rec.data.update(
        {
            k: catalog.render_msg(v, ctx.lang) if hasattr(v, "key") and hasattr(v, "params") else v
            for k, v in ctx.facts.items()
            if k not in ("repro", "table")
        }
    )
    return rec


# -- one submission ---------------------------------------------------------------------------


def _locate(rec: ItemRecord, sub: Submission, catalog: Catalog, lang: str) -> ItemRecord:
    """In a notebook, a line of the graded text is shown as the cell and the line in it."""
    if rec.line is not None and sub.file is not None and sub.file.kind == "ipynb":
        rec.where = catalog.render_msg(sub.where(rec.line), lang)
    return rec


def _localised(m, sub: Submission):
    """A failure's message with its places (``at`` params, "line 12") shown as notebook cells when the file is one."""
    if sub.file is None or sub.file.kind != "ipynb" or not hasattr(m, "params"):
        return m
    params = {k: _localised(v, sub) for k, v in m.params.items()}
    at = params.get("at")
    if at is not None and getattr(at, "key", None) == "submission_at_line" and isinstance(at.params.get("line"), int):
        params["at"] = sub.where(at.params["line"])
    return type(m)(m.key, params)


def _failed_record(
    item, failure: CheckFailure, catalog: Catalog, lang: str, sub: Submission, check: str = "import"
) -> ItemRecord:
    rec = ItemRecord(
        item.name,
        failure.status,
        0.0,
        item.points,
        visibility=item.visibility,
        message=catalog.render_msg(_localised(failure.msg, sub), lang),
        details=[catalog.render_msg(_localised(d, sub), lang) for d in failure.details],
        check=check,
        line=failure.line,
    )
    return _locate(rec, sub, catalog, lang)


def run(plan, launcher, t0: float, registry: Registry | None = None, session: WorkerSession | None = None) -> Report:
    """Grade a planned submission (see ``plan.make_plan``) with a launcher whose worker may already be starting.

    ``registry`` and ``session`` replace the installed packs' registry and the real worker (the engine's own tests)."""
    options, sub, chosen, limits, path = plan.options, plan.submission, plan.exercises, plan.limits, plan.path
    session = session or WorkerSession(limits, launcher)
    if chosen and sub.source:
        session.start()
    base_registry = registry or installed_registry()
    resources = Resources(options, sub, limits, launcher)
    report = Report(
        submission=path.name,
        sha256=sub.sha256,
        checker_version=__version__,
        backend="",
        isolation="",
        lang=options.lang,
        seed=options.seed,
        max_examples=options.max_examples,
        exercises=[],
    )
    report.repro = repro_line(path, [e.id for e in chosen], options)
    try:
        load_failure, defined = _load(session, sub, limits, options, chosen)
        report.backend = session.backend or (options.backend if options.backend != "auto" else "local")
        report.isolation = session.isolation
        for ex in chosen:
            reg = base_registry.extended(ex.plugin())
            items = []
            for item in ex.items:
                if options.progress:
                    options.progress("item", exercise=ex.id, item=item.name)
                items.append(
                    _grade_item(ex, item, reg, session, sub, options, limits, defined, load_failure, resources, path)
                )
                if options.progress:
                    options.progress("done", exercise=ex.id, item=item.name, status=items[-1].status.value)
            report.exercises.append(ExerciseRecord(ex.id, ex.title.get(options.lang), items))
    finally:
        session.close()
        resources.close()
    report.data = resources.described
    for key in (report.data or {}).get("notes", []):
        if key in base_registry.catalog:
            report.notes.append(base_registry.catalog.render(key, options.lang))
    report.output = _merged_output([session] + resources.sessions, limits)
    report.output["limit_kb"] = limits.output_kb
    if not report.isolation:
        report.isolation = session.isolation or render("isolation_nothing_run", options.lang)
    report.notes += _isolation_notes(report.isolation, options.lang)
    if hidden_dir() is None and chosen:
        report.notes.append(render("note_public_checks_only", options.lang))
    report.notes += _source_notes(sub, base_registry.catalog, options.lang)
    if report.internal_errors:
        report.notes.append(render("internal_errors_note", options.lang, n=report.internal_errors))
    report.duration_s = time.monotonic() - t0
    return report


def _isolation_notes(isolation: str, lang: str) -> list[str]:
    """The note that explains a reduced isolation, in the report's language (the description itself stays technical)."""
    if "reduced" not in isolation:
        return []
    if "not found" in isolation:
        return [render("note_isolation_no_bwrap", lang)]
    if "by request" in isolation:
        return [render("note_isolation_by_request", lang)]
    return [render("note_isolation_reduced", lang, description=isolation)]


def repro_line(path: Path, exercise_ids: list[str], options: Options) -> str:
    """A command the student can paste: shell-quoted, the file as seen from where they stand, every option that
    changes the result (not the instructor's secret, which the student cannot have)."""
    path = Path(path)
    try:
        shown = os.path.relpath(path.resolve(), Path.cwd())
        if shown.startswith(".."):
            shown = path.name
    except (OSError, ValueError):
        shown = path.name
    parts = ["check", "submit", shown]
    for e in exercise_ids:
        parts += ["--exercise", e]
    parts += ["--seed", str(options.seed)]
    if options.max_examples != DEFAULT_MAX_EXAMPLES:
        parts += ["--max-examples", str(options.max_examples)]
    if options.data != "default":
        parts += ["--data", str(options.data)]
    if options.lang != "en":
        parts += ["--lang", options.lang]
    return " ".join(shlex.quote(p) for p in parts)


def _merged_output(sessions: list[WorkerSession], limits: Limits) -> dict[str, Any]:
    """What the submission printed, over every worker it had, each stream cut at the cap."""
    cap = limits.output_kb * 1024
    text = {"stdout": "", "stderr": ""}
    size = {"stdout": 0, "stderr": 0}
    truncated = False
    for s in sessions:
        o = s.output()
        for name in ("stdout", "stderr"):
            room = max(0, cap - len(text[name].encode("utf-8", "replace")))
            piece = o[name].encode("utf-8", "replace")
            text[name] += piece[:room].decode("utf-8", "ignore")
            size[name] += o[f"{name}_bytes"]
            truncated = truncated or o["truncated"] or len(piece) > room
    return {
        "stdout": text["stdout"],
        "stderr": text["stderr"],
        "truncated": truncated,
        "stdout_bytes": size["stdout"],
        "stderr_bytes": size["stderr"],
    }


def _source_notes(sub: Submission, catalog: Catalog, lang: str) -> list[str]:
    """What reading the file changed or found: notebook magics dropped, functions defined twice (with their lines),
    notebook cells that failed or ran too long when it was imported."""
    if sub.file is None:
        return []
    return [catalog.render_msg(m, lang) for m in [*sub.file.notes, *sub.cell_errors]]


def _grade_item(ex, item, reg, session, sub, options, limits, defined, load_failure, resources, path) -> ItemRecord:
    catalog = reg.catalog
    if load_failure is not None and all(f in sub.defined for f in item.requires):
        return _failed_record(item, load_failure, catalog, options.lang, sub)
    if session.remaining() <= 0 and all(f in defined for f in item.requires):
        return ItemRecord(
            item.name,
            Status.TIMEOUT,
            0.0,
            item.points,
            visibility=item.visibility,
            message=catalog.render("total_timeout", options.lang, limit=f"{limits.total_timeout_s:.0f}"),
        )
    ctx = ItemContext(
        item=item,
        exercise=ex,
        session=session,
        submission=sub,
        options=options,
        defined=defined,
        limits=limits,
        registry=reg,
        resources=resources,
        shared=resources.shared,
    )
    ctx.facts["repro"] = repro_line(path, [ex.id], options)
    try:
        return run_item(ctx)
    except CheckerError:
        raise
    except Exception as e:  # noqa: BLE001 - a bug of ours while making the record
        return ItemRecord(
            item.name,
            Status.ERROR,
            0.0,
            item.points,
            internal=True,
            message=catalog.render("internal_error", options.lang, error=f"{type(e).__name__}: {e}"),
            details=traceback.format_exc().splitlines()[-12:],
        )


def _load(
    session: WorkerSession, sub: Submission, limits: Limits, options: Options, chosen
) -> tuple[CheckFailure | None, set[str]]:
    """Import the submission in the sandbox. Returns (failure or None, the functions it defines)."""
    if not chosen:
        return None, set()
    if not sub.source:
        return CheckFailure("file_too_large", {"limit": MAX_SOURCE_BYTES}, status=Status.ERROR), set()
    try:
        compile(sub.source, sub.path.name, "exec", dont_inherit=True)
    except SyntaxError as e:
        f = CheckFailure(
            "syntax_error", {"at": at_line(e.lineno), "error": str(e.msg)[:300]}, status=Status.ERROR
        ).at_line(e.lineno)
        session.close()
        return f, set()
    except (ValueError, RecursionError, MemoryError) as e:
        session.close()
        return CheckFailure("import_failed", {"error": str(e)[:200]}, status=Status.ERROR), set()
    try:
        cells = sub.file.cells() if sub.file is not None and sub.file.kind == "ipynb" else None
        h = session.load(sub.source, seed=options.seed, cells=cells)
    except StudentError as e:
        err = e.error
        if err.get("type") == "SystemExit":
            return CheckFailure("import_exit", {"code": err.get("message")}, status=Status.ERROR), set()
        f = student_failure(err, "import", limits)
        if f.msg.key == "raised":
            f = CheckFailure(
                "import_failed",
                {"error": f"{err.get('type')}: {str(err.get('message'))[:500]}"},
                details=f.details,
                status=Status.ERROR,
            ).at_line(f.line)
        return f, set()
    except WorkerGone as e:
        if e.kind == "timeout":
            return CheckFailure(
                "import_timeout", {"limit": f"{limits.load_timeout_s:.0f}"}, status=Status.TIMEOUT
            ), set()
        g = gone_failure(e, "import", limits)
        return CheckFailure("import_crashed", {"detail": g.msg.params.get("detail", "")}, status=Status.ERROR), set()
    funcs = h.get("functions")
    if not isinstance(funcs, list):
        funcs = []
    sub.cell_errors = _cell_errors(h.get("cell_errors"))
    return None, {str(f) for f in funcs if isinstance(f, str)} & sub.defined


def _cell_errors(raw) -> list[Msg]:
    """The notebook cells that failed or ran too long while it was imported cell by cell (what the worker said)."""
    out = []
    for e in raw[:20] if isinstance(raw, list) else []:
        if not isinstance(e, dict) or not isinstance(e.get("cell"), int):
            continue
        if e.get("type") == "timeout":
            out.append(Msg("notebook_cell_slow", {"cell": e["cell"], "s": str(e.get("message", ""))[:10]}))
        else:
            out.append(
                Msg(
                    "notebook_cell_failed",
                    {"cell": e["cell"], "type": str(e.get("type"))[:100], "message": str(e.get("message", ""))[:300]},
                )
            )
    return out
