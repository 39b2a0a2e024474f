"""How a check says "the submission is wrong": raise ``CheckFailure`` with a message key.

Anything else a check raises is a bug in the checker and becomes an internal
error, never a 0 for the student.  ``WorkerFatal`` carries a failure after
which the worker is gone (a crash or a timeout): the item ends there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeAlias, TypeVar

from ..messages import Msg
from .records import Status

__all__ = ["CheckFailure", "Msg", "Skip", "WorkerFatal"]

# A counterexample: "input", "got", "expected", "case" -> its text, or a message rendered in the report's language.
Counterexample: TypeAlias = dict[str, "Msg | str"]
_Check = TypeVar("_Check", bound=Callable[..., Any])


class CheckFailure(Exception):
    line: int | None = None

    def __init__(
        self,
        key: str,
        params: Mapping[str, object] | None = None,
        *,
        details: list[Msg] | None = None,
        counterexample: Counterexample | None = None,
        status: Status = Status.FAILED,
        check: str | None = None,
    ) -> None:
        super().__init__(key)
        self.msg = Msg(key, dict(params or {}))
        self.details = list(details or [])
        self.counterexample = counterexample
        self.status = status
        self.check = check

    def with_counterexample(self, ce: Counterexample) -> "CheckFailure":
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

    def __init__(self, failure: CheckFailure) -> None:
        super().__init__(failure.msg.key)
        self.failure = failure


class Skip(Exception):
    """The item cannot run here (e.g. no CUDA device): it is skipped, not failed."""

    def __init__(self, key: str, params: Mapping[str, object] | None = None) -> None:
        super().__init__(key)
        self.msg = Msg(key, dict(params or {}))


def per_case(fn: _Check) -> _Check:
    """Marks a check that runs once per case (``check(ctx, case)``) instead of once per item (``check(ctx)``)."""
    fn.per_case = True  # type: ignore[attr-defined]
    return fn


def is_per_case(fn: Callable[..., object]) -> bool:
    return bool(getattr(fn, "per_case", False))
