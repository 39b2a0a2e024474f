"""Grading one submission: select exercises, run each item's checks against the sandbox, make records.

The public entry point is ``grade(path, exercises, options) -> Report``.  The
sandboxed worker is started first, so that it imports torch while the grader
does the same; the submission is imported only there.  Each item ends as one
``ItemRecord``: passed, failed (wrong values), error (the code raised or
crashed), timeout, not_implemented or skipped.  An exception from a check
that is not a ``CheckFailure`` is a bug in the checker and is recorded as an
internal error, never as a 0 for the student.
"""
from __future__ import annotations

import inspect
import time
import traceback
import zlib
from dataclasses import dataclass, field
from typing import Callable

from . import __version__, fmt, handwritten
from .messages import render
from .plan import MAX_SOURCE_BYTES, Options, Submission
from .outcome import CheckFailure, Msg, Skip
from .records import ExerciseRecord, ItemRecord, Report, Status
from .sandbox.limits import Limits
from .sandbox.session import SandboxError, StudentError, WorkerGone, WorkerSession
from .spec import Exercise, Item, resolve

def render_msg(m: Msg | str, lang: str) -> str:
    if isinstance(m, str):
        return m
    params = {k: render_msg(v, lang) if isinstance(v, Msg) else v for k, v in m.params.items()}
    return render(m.key, lang, **params)


# -- errors from the sandbox, as failures ------------------------------------------

def student_failure(err: dict, call: str, limits: Limits) -> CheckFailure:
    typ = str(err.get("type", "Exception"))
    msg = str(err.get("message", ""))[:1500]
    frames = err.get("frames") or []
    details = [Msg("raised_at", {"line": f.get("line"), "function": f.get("function"), "code": f.get("code", "")}) for f in frames[-3:]
               if isinstance(f, dict)]
    line = frames[-1].get("line") if frames and isinstance(frames[-1], dict) else None
    if typ == "SystemExit":
        f = CheckFailure("called_exit", {"call": call, "code": msg}, details=details, status=Status.ERROR)
    elif typ == "ModuleNotAvailable":
        f = CheckFailure("module_not_available", {"module": err.get("module", "?")}, details=details, status=Status.ERROR)
    elif typ == "MemoryError" or "can't allocate memory" in msg or "not enough memory" in msg:
        f = CheckFailure("memory_error", {"call": call, "memory_mb": limits.memory_mb}, details=details, status=Status.ERROR)
    else:
        f = CheckFailure("raised", {"call": call, "type": typ, "message": msg}, details=details, status=Status.ERROR)
    return f.at_line(line)


def gone_failure(e: WorkerGone, call: str, limits: Limits) -> CheckFailure:
    if e.kind == "timeout":
        return CheckFailure("call_timeout", {"call": call, "limit": f"{e.elapsed:.1f}"}, status=Status.TIMEOUT)
    if e.kind == "protocol":
        return CheckFailure("protocol", {"detail": e.detail}, status=Status.ERROR)
    if e.exit_code is not None and e.exit_code < 0:
        import signal

        try:
            name = signal.Signals(-e.exit_code).name
        except ValueError:
            name = str(-e.exit_code)
        detail = Msg("killed_signal", {"signal": name})
    else:
        detail = Msg("exit_status", {"code": e.exit_code})
    return CheckFailure("call_crashed", {"call": call, "detail": detail, "memory_mb": limits.memory_mb}, status=Status.ERROR)


class WorkerFatal(Exception):
    def __init__(self, failure: CheckFailure):
        super().__init__(failure.msg.key)
        self.failure = failure


# -- the context a check sees ----------------------------------------------------------

@dataclass
class ItemContext:
    item: Item
    exercise: Exercise
    session: WorkerSession
    submission: Submission
    options: Options
    defined: set[str]
    limits: Limits
    extra_hints: dict = field(default_factory=dict)
    data: object = None                 # the dataset of training exercises
    artifacts: dict = field(default_factory=dict)
    facts: dict = field(default_factory=dict)
    shared: dict = field(default_factory=dict)   # per-submission: training runs several items use
    _cache: dict = field(default_factory=dict)

    @property
    def lang(self) -> str:
        return self.options.lang

    @property
    def source(self) -> str:
        return self.submission.source

    @property
    def seed(self) -> int:
        return (self.options.seed * 1_000_003 + zlib.crc32(f"{self.exercise.id}/{self.item.name}".encode())) % (2**31)

    def defines(self, name: str) -> bool:
        return name in self.defined

    def reference(self, name: str | None = None):
        ref = self.item.reference
        if name is None:
            return resolve(ref)
        return resolve(f"{ref.partition(':')[0]}:{name}")

    def arg_names(self) -> list[str]:
        try:
            return list(inspect.signature(self.reference()).parameters)
        except (TypeError, ValueError):
            return []

    def begin_case(self) -> None:
        self._cache.clear()

    # -- calls into the sandbox -------------------------------------------------
    def _call(self, fn: str, args, kwargs, return_args: bool = False):
        call_text = fmt.call(fn, args, kwargs) if len(fmt.call(fn, args, kwargs)) < 120 else f"{fn}(...)"
        try:
            return self.session.call(fn, args, kwargs, seed=self.seed, return_args=return_args,
                                     timeout=self.exercise.limits.call_timeout_s)
        except StudentError as e:
            raise student_failure(e.error, call_text, self.limits) from None
        except WorkerGone as e:
            raise WorkerFatal(gone_failure(e, call_text, self.limits)) from None

    def map(self, fn: str, args, vary: int, stack, select: int | None = None) -> list:
        try:
            return self.session.map(fn, args, vary, stack, select=select, seed=self.seed,
                                    timeout=self.exercise.limits.call_timeout_s * 4)
        except StudentError as e:
            raise student_failure(e.error, f"{fn}(...)", self.limits) from None
        except WorkerGone as e:
            raise WorkerFatal(gone_failure(e, f"{fn}(...)", self.limits)) from None

    def expected(self, case):
        """The reference result in float64 (computed here, never in the sandbox)."""
        key = ("expected", id(case))
        if key not in self._cache:
            c64 = case.float64()
            out = self.reference()(*c64.args, **c64.kwargs)
            self._cache[key] = _to64(out)
            self._cache[("raw", id(case))] = out
            self._cache[("case", id(case))] = case  # keep the id alive while cached
        return self._cache[key]

    def expected_like(self, case):
        """The reference result with the input's dtype: what a correct submission returns."""
        key = ("like", id(case))
        if key not in self._cache:
            dtype = None
            for a in list(case.args) + list(case.kwargs.values()):
                if hasattr(a, "is_floating_point") and a.is_floating_point():
                    dtype = a.dtype
                    break
            self.expected(case)
            self._cache[key] = _cast(self._cache[("raw", id(case))], dtype)
        return self._cache[key]

    def student(self, case):
        """The student's result on ``case``, validated against the reference's structure."""
        from . import validate

        key = ("student", id(case))
        if key not in self._cache:
            needs_args = "no_inplace" in self.item.checks
            res = self._call(self.item.function, list(case.args), case.kwargs, return_args=needs_args)
            base = (self.item.outputs or ["result"])[0] if len(self.item.outputs) <= 1 else self.item.function
            try:
                value = validate.like(res.value, self.expected_like(case), base, self.item.outputs or None)
            except CheckFailure as f:
                f.counterexample = {"got": fmt.value(res.value)}
                raise
            self._cache[key] = value
            self._cache[("args", id(case))] = res.meta.get("args_after")
        return self._cache[key]

    def args_after(self, case):
        self.student(case)
        after = self._cache.get(("args", id(case)))
        return tuple(after) if isinstance(after, (tuple, list)) else ()

    def call_like(self, case, args, kwargs):
        """The student's function on other arguments, validated like ``case``'s result."""
        from . import validate

        res = self._call(self.item.function, list(args), kwargs)
        return validate.like(res.value, self.expected_like(case), (self.item.outputs or ["result"])[0], self.item.outputs or None)

    student_on = student


def _to64(v):
    import torch

    if isinstance(v, torch.Tensor):
        return v.detach().to(torch.float64) if v.is_floating_point() else v.detach()
    if isinstance(v, tuple):
        return tuple(_to64(x) for x in v)
    return v


def _cast(v, dtype):
    import torch

    if isinstance(v, torch.Tensor):
        v = v.detach()
        return v.to(dtype) if dtype is not None and v.is_floating_point() else v
    if isinstance(v, tuple):
        return tuple(_cast(x, dtype) for x in v)
    return v


# -- running checks ----------------------------------------------------------------------

def _input_text(ctx: ItemContext, case) -> str:
    return fmt.call(ctx.item.function, case.args, case.kwargs, case.recipes)


def _run_on(ctx: ItemContext, checks: list[tuple[str, Callable]], case) -> None:
    ctx.begin_case()
    for name, chk in checks:
        try:
            chk(ctx, case)
        except CheckFailure as f:
            f.check = f.check or name
            f.with_counterexample({"input": _input_text(ctx, case)})
            if case.label:
                f.counterexample.setdefault("case", case.label)
            raise


def run_cases(ctx: ItemContext, checks: list[tuple[str, Callable]], space) -> None:
    """Fixed cases first, then hypothesis-generated ones, shrunk to the smallest failing input."""
    for case in space.fixed:
        _run_on(ctx, checks, case)
    if ctx.options.max_examples <= 0:
        return
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hseed
    from hypothesis import strategies as st
    from hypothesis.errors import Flaky

    state: dict = {"fatal": None, "failed": False}
    deadline = time.monotonic() + ctx.item.budget_s

    @settings(max_examples=ctx.options.max_examples, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck), phases=(Phase.generate, Phase.shrink),
              report_multiple_bugs=False, print_blob=False)
    @hseed(ctx.seed)
    @given(st.data())
    def prop(data):
        if state["fatal"] is not None or (not state["failed"] and time.monotonic() > deadline):
            return
        case = space.draw(data)
        try:
            _run_on(ctx, checks, case)
        except WorkerFatal as e:
            e.failure.with_counterexample({"input": _input_text(ctx, case)})
            state["fatal"] = e
        except CheckFailure:
            state["failed"] = True
            raise

    try:
        prop()
    except CheckFailure:
        raise
    except Flaky:
        raise CheckFailure("nondeterministic", {"call": f"{ctx.item.function}(...)"}) from None
    if state["fatal"] is not None:
        raise state["fatal"]


def run_item(ctx: ItemContext, registry: dict, spaces) -> ItemRecord:
    item = ctx.item
    t0 = time.monotonic()
    rec = ItemRecord(name=item.name, status=Status.PASSED, score=item.points, max_score=item.points,
                     visibility=item.visibility, line=handwritten.def_line(ctx.source, item.function) if item.function else None)
    missing = [f for f in item.requires if f not in ctx.defined]
    if missing:
        rec.status, rec.score = Status.NOT_IMPLEMENTED, 0.0
        rec.message = render_msg(Msg("not_implemented", {"function": missing[0]}) if len(missing) == 1 else
                                 Msg("not_implemented_many", {"functions": ", ".join(f"`{m}`" for m in missing)}), ctx.lang)
        return rec
    failures: list[CheckFailure] = []
    try:
        if not ctx.session.alive:
            ctx.session.restart()
        per = [(n, registry[n]) for n in item.checks if getattr(registry[n], "per_case", False)]
        whole = [(n, registry[n]) for n in item.checks if not getattr(registry[n], "per_case", False)]
        if per:
            try:
                run_cases(ctx, per, spaces(item.inputs))
            except CheckFailure as f:
                failures.append(f)
        for name, chk in whole:
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
        rec.message = render_msg(s.msg, ctx.lang)
        rec.counts_to_max = item.skipped_counts
        if not item.skipped_counts:
            rec.max_score = item.points
        return _finish(rec, ctx, t0)
    except StudentError as e:  # the restart's import failed
        failures.append(student_failure(e.error, "import", ctx.limits))
    except WorkerGone as e:
        failures.append(gone_failure(e, "import", ctx.limits))
    except SandboxError:
        raise
    except Exception as e:  # noqa: BLE001 - anything else is the checker's own bug
        rec.status, rec.score, rec.internal = Status.ERROR, 0.0, True
        rec.message = render("internal_error", ctx.lang, error=f"{type(e).__name__}: {e}")
        rec.details = traceback.format_exc().splitlines()[-12:]
        return _finish(rec, ctx, t0)
    if failures:
        first = failures[0]
        rec.status, rec.score = first.status, 0.0
        rec.check = first.check
        rec.message = render_msg(first.msg, ctx.lang)
        rec.details = [render_msg(d, ctx.lang) for d in first.details]
        rec.details += [render_msg(f.msg, ctx.lang) for f in failures[1:]]
        rec.counterexample = first.counterexample
        if rec.counterexample is not None:
            rec.counterexample["repro"] = ctx.facts.get("repro", "")
        if getattr(first, "line", None):
            rec.line = first.line
    else:
        rec.message = render("passed", ctx.lang)
        rec.details = [str(x) for x in ctx.facts.pop("table", [])]
    return _finish(rec, ctx, t0)


def _finish(rec: ItemRecord, ctx: ItemContext, t0: float) -> ItemRecord:
    rec.duration_s = round(time.monotonic() - t0, 3)
    rec.artifacts.update(ctx.artifacts)
    rec.data.update({k: v for k, v in ctx.facts.items() if k != "repro"})
    return rec


# -- one submission ---------------------------------------------------------------------------

def run(plan, launcher, t0: float) -> Report:
    """Grade a planned submission (see ``plan.make_plan``) with a launcher whose worker may already be starting."""
    options, sub, chosen, limits, path = plan.options, plan.submission, plan.exercises, plan.limits, plan.path
    session = WorkerSession(limits, launcher)
    if chosen and sub.source:
        session.start()
    from .checks import registry as make_registry
    from . import strategies

    report = Report(submission=path.name, sha256=sub.sha256, checker_version=__version__, backend="", isolation="",
                    lang=options.lang, seed=options.seed, max_examples=options.max_examples, exercises=[])
    report.repro = f"check submit {path} " + " ".join(f"--exercise {e.id}" for e in chosen) + f" --seed {options.seed}"
    try:
        load_failure, defined = _load(session, sub, limits, options, chosen)
        report.backend = session.backend or (options.backend if options.backend != "auto" else "local")
        report.isolation = session.isolation
        dataset = None
        shared: dict = {}
        if any(e.kind == "training" for e in chosen) and load_failure is None:
            from .data import load_dataset

            dataset = load_dataset(options.data)
            report.data = dataset.describe()
        for ex in chosen:
            plugin = ex.plugin()
            registry = make_registry(plugin)
            extra_hints = {k: v for k, v in vars(plugin).items() if k.startswith("hint_")} if plugin else {}

            def spaces(name, plugin=plugin):
                fn = getattr(plugin, f"space_{name}", None) if plugin else None
                return fn() if fn else strategies.space(name)

            items = []
            for item in ex.items:
                if options.progress:
                    options.progress("item", exercise=ex.id, item=item.name)
                if load_failure is not None and all(f in sub.defined for f in item.requires):
                    rec = ItemRecord(item.name, load_failure.status, 0.0, item.points, visibility=item.visibility,
                                     message=render_msg(load_failure.msg, options.lang),
                                     details=[render_msg(d, options.lang) for d in load_failure.details],
                                     check="import", line=getattr(load_failure, "line", None))
                elif session.remaining() <= 0 and all(f in defined for f in item.requires):
                    rec = ItemRecord(item.name, Status.TIMEOUT, 0.0, item.points, visibility=item.visibility,
                                     message=render("total_timeout", options.lang, limit=f"{limits.total_timeout_s:.0f}"))
                else:
                    ctx = ItemContext(item=item, exercise=ex, session=session, submission=sub, options=options,
                                      defined=defined, limits=limits, extra_hints=extra_hints, data=dataset, shared=shared)
                    ctx.facts["repro"] = f"check submit {path} --exercise {ex.id} --seed {options.seed}"
                    try:
                        rec = run_item(ctx, registry, spaces)
                    except SandboxError:
                        raise
                    except Exception as e:  # noqa: BLE001 - a bug of ours while making the record
                        rec = ItemRecord(item.name, Status.ERROR, 0.0, item.points, internal=True,
                                         message=render("internal_error", options.lang, error=f"{type(e).__name__}: {e}"),
                                         details=traceback.format_exc().splitlines()[-12:])
                items.append(rec)
                if options.progress:
                    options.progress("done", exercise=ex.id, item=item.name, status=rec.status.value)
            report.exercises.append(ExerciseRecord(ex.id, ex.title.get(options.lang), items))
    finally:
        session.close()
    report.output = session.output()
    report.output["limit_kb"] = limits.output_kb
    if not report.isolation:
        report.isolation = session.isolation or "none (nothing was run)"
    if "reduced" in report.isolation:
        report.notes.append("isolation: reduced (bubblewrap not found)" if "not found" in report.isolation else report.isolation)
    from .spec import hidden_dir

    if hidden_dir() is None and chosen:
        report.notes.append("public checks only: no hidden checks on this machine (the instructor's grade may include more)")
    if report.internal_errors:
        report.notes.append(render("internal_errors_note", options.lang, n=report.internal_errors))
    report.duration_s = time.monotonic() - t0
    return report


def _load(session: WorkerSession, sub: Submission, limits: Limits, options: Options, chosen) -> tuple[CheckFailure | None, set[str]]:
    """Import the submission in the sandbox. Returns (failure or None, the functions it defines)."""
    if not chosen:
        return None, set()
    if not sub.source:
        return CheckFailure("file_too_large", {"limit": MAX_SOURCE_BYTES}, status=Status.ERROR), set()
    try:
        compile(sub.source, sub.path.name, "exec", dont_inherit=True)
    except SyntaxError as e:
        f = CheckFailure("syntax_error", {"line": e.lineno, "error": e.msg}, status=Status.ERROR).at_line(e.lineno)
        session.close()
        return f, set()
    except (ValueError, RecursionError, MemoryError) as e:
        session.close()
        return CheckFailure("import_failed", {"error": str(e)[:200]}, status=Status.ERROR), set()
    try:
        h = session.load(sub.path, seed=options.seed)
    except StudentError as e:
        err = e.error
        if err.get("type") == "SystemExit":
            return CheckFailure("import_exit", {"code": err.get("message")}, status=Status.ERROR), set()
        f = student_failure(err, "import", limits)
        if f.msg.key == "raised":
            f = CheckFailure("import_failed", {"error": f"{err.get('type')}: {str(err.get('message'))[:500]}"},
                             details=f.details, status=Status.ERROR).at_line(f.line)
        return f, set()
    except WorkerGone as e:
        if e.kind == "timeout":
            return CheckFailure("import_timeout", {"limit": f"{limits.load_timeout_s:.0f}"}, status=Status.TIMEOUT), set()
        g = gone_failure(e, "import", limits)
        return CheckFailure("import_crashed", {"detail": g.msg.params.get("detail", "")}, status=Status.ERROR), set()
    funcs = h.get("functions")
    if not isinstance(funcs, list):
        funcs = []
    return None, {str(f) for f in funcs if isinstance(f, str)} & (sub.defined | {str(f) for f in funcs})
