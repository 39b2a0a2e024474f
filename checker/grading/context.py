"""What a check sees: ``ItemContext`` — the item, the submission, the sandbox (typed), the reference.

Errors of the worker become item failures here and nowhere else:
``failure_from`` turns a ``StudentError`` (the submission raised or exited)
into a ``CheckFailure`` and a ``WorkerGone`` (crash, timeout, protocol) into
a ``WorkerFatal`` that ends the item.  Checks call ``ctx.sandbox.<op>(...,
call="text shown to the student")`` and never see either exception.
"""

from __future__ import annotations

import inspect
import signal
import zlib
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable

from .. import fmt
from ..messages import Msg
from ..sandbox.client import SandboxClient
from ..sandbox.limits import Limits
from ..sandbox.session import StudentError, WorkerGone, WorkerSession
from ..spec import Exercise, Item
from . import values
from .outcome import CheckFailure, WorkerFatal
from .records import Status
from .registry import Registry, resolve_reference


# -- errors from the sandbox, as failures ------------------------------------------


def at_line(line) -> Msg:
    """A place in the submission ("line 12"; the engine shows "cell 3, line 4" for a notebook)."""
    return Msg("submission_at_line", {"line": line if isinstance(line, int) and not isinstance(line, bool) else "?"})


def student_failure(err: dict, call: str, limits: Limits) -> CheckFailure:
    typ = str(err.get("type", "Exception"))
    msg = str(err.get("message", ""))[:1500]
    frames = err.get("frames") or []
    details = [
        Msg(
            "raised_at",
            {
                "at": at_line(f.get("line")),
                "function": str(f.get("function"))[:100],
                "code": str(f.get("code", ""))[:200],
            },
        )
        for f in frames[-3:]
        if isinstance(f, dict)
    ]
    line = frames[-1].get("line") if frames and isinstance(frames[-1], dict) else None
    if typ == "SystemExit":
        f = CheckFailure("called_exit", {"call": call, "code": msg}, details=details, status=Status.ERROR)
    elif typ == "ModuleNotAvailable":
        f = CheckFailure(
            "module_not_available", {"module": err.get("module", "?")}, details=details, status=Status.ERROR
        )
    elif typ == "MemoryError" or "can't allocate memory" in msg or "not enough memory" in msg:
        f = CheckFailure(
            "memory_error", {"call": call, "memory_mb": limits.memory_mb}, details=details, status=Status.ERROR
        )
    else:
        f = CheckFailure("raised", {"call": call, "type": typ, "message": msg}, details=details, status=Status.ERROR)
    return f.at_line(line if isinstance(line, int) and not isinstance(line, bool) else None)


def gone_failure(e: WorkerGone, call: str, limits: Limits) -> CheckFailure:
    if e.kind == "timeout":
        return CheckFailure("call_timeout", {"call": call, "limit": f"{e.elapsed:.1f}"}, status=Status.TIMEOUT)
    if e.kind == "protocol":
        return CheckFailure("protocol", {"detail": e.detail}, status=Status.ERROR)
    if e.exit_code is not None and e.exit_code < 0:
        try:
            name = signal.Signals(-e.exit_code).name
        except ValueError:
            name = str(-e.exit_code)
        detail = Msg("killed_signal", {"signal": name})
    else:
        detail = Msg("exit_status", {"code": e.exit_code})
    return CheckFailure(
        "call_crashed", {"call": call, "detail": detail, "memory_mb": limits.memory_mb}, status=Status.ERROR
    )


def failure_from(e: Exception, call: str, limits: Limits) -> Exception:
    """The one translation of a worker error: a failure of the item (or, when the worker is gone, of the rest)."""
    if isinstance(e, StudentError):
        return student_failure(e.error, call, limits)
    if isinstance(e, WorkerGone):
        return WorkerFatal(gone_failure(e, call, limits))
    return e


class GuardedClient:
    """The typed sandbox client with worker errors already turned into failures.

    ``ctx.sandbox.predict(model, x, call="model(X)")``: ``call`` is how the student is told which call failed.
    """

    def __init__(self, client: SandboxClient, limits: Limits, default_timeout: float):
        self._client = client
        self._limits = limits
        self._timeout = default_timeout

    @property
    def session(self) -> WorkerSession:
        return self._client.session

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self._client, name)

        def guarded(*args, call: str | None = None, **kwargs):
            kwargs.setdefault("timeout", self._timeout)
            try:
                return method(*args, **kwargs)
            except (StudentError, WorkerGone) as e:
                raise failure_from(e, call or f"{name}()", self._limits) from None

        return guarded


# -- the context a check sees ----------------------------------------------------------


@dataclass
class ItemContext:
    item: Item
    exercise: Exercise
    session: WorkerSession
    submission: Any  # grading.plan.Submission
    options: Any  # grading.plan.Options
    defined: set[str]
    limits: Limits
    registry: Registry
    resources: Any = None  # grading.engine.Resources: the dataset, shared per submission
    client: Any = None  # a SandboxClient (default: one over ``session``; tests pass a stand-in)
    artifacts: dict = field(default_factory=dict)
    facts: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)  # Msgs shown under the item whatever its status
    item_state: dict = field(default_factory=dict)  # what the item's cases gather (e.g. calls the tripwire saw)
    shared: dict = field(default_factory=dict)  # per-submission: training runs several items use
    _cache: dict = field(default_factory=dict)

    @property
    def lang(self) -> str:
        return self.options.lang

    @property
    def source(self) -> str:
        return self.submission.source

    @property
    def data(self):
        """The exercise pack's dataset for ``--data`` (loaded on first use, once per submission)."""
        return self.resources.data(self.exercise) if self.resources is not None else None

    @property
    def seed(self) -> int:
        """This item's seed: derived from ``--seed`` and the item's name only, so any subset reproduces it."""
        return derive_seed(self.options.seed, f"{self.exercise.id}/{self.item.name}")

    def run_seed(self, run: str) -> int:
        """The seed of a shared run (e.g. a training run several items use): from ``--seed`` and the run's name."""
        return derive_seed(self.options.seed, run)

    @cached_property
    def sandbox(self) -> GuardedClient:
        return GuardedClient(
            self.client or SandboxClient(self.session), self.limits, self.exercise.limits.call_timeout_s
        )

    def sandbox_of(self, session: WorkerSession | None = None) -> GuardedClient:
        """The guarded client of ``session`` (default: the submission's main worker)."""
        if session is None or session is self.session:
            return self.sandbox
        return GuardedClient(SandboxClient(session), self.limits, self.exercise.limits.call_timeout_s)

    def fresh_session(self) -> WorkerSession:
        """A new worker for this submission that has seen nothing of the others (the submission imported anew)."""
        try:
            return self.resources.fresh_session()
        except (StudentError, WorkerGone) as e:
            raise failure_from(e, "import", self.limits) from None

    def text(self, key: str, **params) -> str:
        """A message of the table in the report's language (plot labels, titles)."""
        return self.registry.catalog.render(key, self.lang, **params)

    def artifacts_dir(self):
        return self.resources.artifacts_dir()

    def write_artifact(self, path, data: bytes) -> None:
        self.resources.write_artifact(path, data)

    def save_figure(self, fig, path) -> None:
        import io

        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=90)
        self.write_artifact(path, buf.getvalue())

    def defines(self, name: str) -> bool:
        return name in self.defined

    def reference(self, name: str | None = None):
        ref = self.item.reference
        assert ref is not None  # only items with a reference ask for it
        if name is not None:
            ref = f"{ref.partition(':')[0]}:{name}"
        key = ("ref", ref)
        if key not in self.shared:
            self.shared[key] = resolve_reference(ref, self.exercise.directory)
        return self.shared[key]

    def arg_names(self) -> list[str]:
        try:
            return list(inspect.signature(self.reference()).parameters)
        except (TypeError, ValueError):
            return []

    def begin_case(self) -> None:
        self._cache.clear()

    # -- the item's function on one case -------------------------------------------
    def _call(self, fn: str, args, kwargs, return_args: bool = False):
        text = fmt.call(fn, args, kwargs)
        trip = self.item.forbidden if fn == self.item.function and "hand_written" in self.item.checks else None
        res = self.sandbox.call(
            fn,
            args,
            kwargs,
            seed=self.seed,
            return_args=return_args,
            tripwire=trip,
            call=text if len(text) < 120 else f"{fn}(...)",
        )
        if trip:
            tripped = res.meta.get("tripped")
            if isinstance(tripped, list):
                from .handwritten import canonical_forbidden

                self.item_state.setdefault("tripped", set()).update(
                    canonical_forbidden([str(t)[:100] for t in tripped[:20]], trip)
                )
        return res

    def map(self, fn: str, args, vary: int, stack, select: int | None = None) -> list:
        return self.sandbox.map(
            fn,
            args,
            vary,
            stack,
            select=select,
            seed=self.seed,
            timeout=self.exercise.limits.call_timeout_s * 4,
            call=f"{fn}(...)",
        )

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
        key = ("student", id(case))
        if key not in self._cache:
            needs_args = "no_inplace" in self.item.checks
            res = self._call(self.item.function, list(case.args), case.kwargs, return_args=needs_args)
            base = (self.item.outputs or ["result"])[0] if len(self.item.outputs) <= 1 else self.item.function
            try:
                value = values.like(res.value, self.expected_like(case), base, self.item.outputs or None)
            except CheckFailure as f:
                f.counterexample = {"got": fmt.value(res.value)}
                if f.msg.key == "bad_shape":  # a likely mistake may be recognised from the shapes alone
                    f.details += self.registry.find_hints(
                        self.item.hints, case, res.value, self.expected_like(case), base
                    )
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
        res = self._call(self.item.function, list(args), kwargs)
        return values.like(
            res.value, self.expected_like(case), (self.item.outputs or ["result"])[0], self.item.outputs or None
        )


def derive_seed(seed: int, name: str) -> int:
    return (int(seed) * 1_000_003 + zlib.crc32(name.encode())) % (2**31)


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
