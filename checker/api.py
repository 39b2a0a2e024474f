"""The small public API: ``grade(path, exercises, options) -> Report``."""

from __future__ import annotations

import time
from pathlib import Path

from .errors import SandboxError
from .grading.plan import Options, Submission, WarmLauncher, make_launcher, make_plan

__all__ = ["grade", "Options", "Submission"]


def grade(
    path: Path | str,
    exercises: list[str] | None = None,
    options: Options | None = None,
    *,
    submission: Submission | None = None,
):
    """Grade one submission file. Raises ``CheckerError`` (UsageError, SandboxError, ...) when it cannot grade.

    ``submission``: the file already read (``Submission.from_bytes``, as ``grade-batch`` does): it is
    graded as it is and ``path`` only names it."""
    t0 = time.monotonic()
    options = options or Options()
    plan = make_plan(path, exercises, options, submission)
    base = make_launcher(options)
    warm = None
    if plan.exercises and plan.submission.source:
        try:
            warm = WarmLauncher(base, plan.limits)  # the worker imports torch while we do
        except (OSError, RuntimeError) as e:
            raise SandboxError(str(e)) from e
    from .grading import engine  # imports torch

    failures = getattr(base, "failures", 0)  # a warm pool's launcher: breaks of the pool while it served
    try:
        report = engine.run(plan, warm or base, t0)
    finally:
        if warm is not None:
            warm.discard()
    if getattr(base, "failures", 0) > failures:
        # the pool's parent died or was distrusted while it served this grading: grade it again, fresh workers only
        report = engine.run(plan, base.fallback(), t0)
    return report
