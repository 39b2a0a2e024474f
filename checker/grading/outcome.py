"""How a check says "the submission is wrong": raise ``CheckFailure`` with a message key.

Anything else a check raises is a bug in the checker and becomes an internal
error, never a 0 for the student.  ``WorkerFatal`` carries a failure after
which the worker is gone (a crash or a timeout): the item ends there.
"""

from __future__ import annotations

from typing import Callable

from ..messages import Msg
from .records import Status

__all__ = ["CheckFailure", "Msg", "Skip", "WorkerFatal"]


class CheckFailure(Exception):
    line: int | None = None

    def __init__(
        self,
        key: str,
        params: dict | None = None,
        *,
        details: list[Msg] | None = None,
        counterexample: dict | None = None,
        status: Status = Status.FAILED,
        check: str | None = None,
    ):
        super().__init__(key)
        self.msg = Msg(key, dict(params or {}))
        self.details = list(details or [])
        self.counterexample = counterexample
        self.status = status
        self.check = check

    def with_counterexample(self, ce: dict) -> "CheckFailure":
        if self.counterexample is None:
            self.counterexample = ce
        else:
            self.counterexample = {**ce, **self.counterexample}
        return self

    def at_line(self, line: int | None) -> "CheckFailure":
        self.line = line
        return self

    def __repr__(self) -> str:
        return f"CheckFailure({self.msg.key!r}, {self.msg.params!r})"


class WorkerFatal(Exception):
    """The worker died or stopped answering: ``failure`` is the item's result, the item ends."""

    def __init__(self, failure: CheckFailure):
        super().__init__(failure.msg.key)
        self.failure = failure


class Skip(Exception):
    """The item cannot run here (e.g. no CUDA device): it is skipped, not failed."""

    def __init__(self, key: str, params: dict | None = None):
        super().__init__(key)
        self.msg = Msg(key, dict(params or {}))


def per_case(fn: Callable) -> Callable:
    """Marks a check that runs once per case (``check(ctx, case)``) instead of once per item (``check(ctx)``)."""
    fn.per_case = True  # type: ignore[attr-defined]
    return fn


def is_per_case(fn: Callable) -> bool:
    return bool(getattr(fn, "per_case", False))
