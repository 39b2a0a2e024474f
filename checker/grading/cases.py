"""Per-case checks over an input space: fixed cases first, then hypothesis draws shrunk to the smallest failure."""

from __future__ import annotations

import time
from typing import Callable

from .. import fmt
from .context import ItemContext
from .outcome import CheckFailure, WorkerFatal


def input_text(ctx: ItemContext, case) -> str:
    return fmt.call(str(ctx.item.function), case.args, case.kwargs, case.recipes)


def run_on(ctx: ItemContext, checks: list[tuple[str, Callable]], case) -> None:
    ctx.begin_case()
    for name, chk in checks:
        try:
            chk(ctx, case)
        except CheckFailure as f:
            f.check = f.check or name
            f.with_counterexample({"input": input_text(ctx, case)})
            if case.label and f.counterexample is not None:  # (not None: with_counterexample set it)
                f.counterexample.setdefault("case", case.label)
            raise


def run_cases(ctx: ItemContext, checks: list[tuple[str, Callable]], space) -> None:
    """Fixed cases first, then hypothesis-generated ones, shrunk to the smallest failing input."""
    for case in space.fixed:
        run_on(ctx, checks, case)
    if ctx.options.max_examples <= 0:
        return
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hseed
    from hypothesis import strategies as st
    from hypothesis.errors import Flaky

    state: dict = {"fatal": None, "failed": False}
    deadline = time.monotonic() + ctx.item.budget_s

    @settings(
        max_examples=ctx.options.max_examples,
        deadline=None,
        database=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
        phases=(Phase.generate, Phase.shrink),
        report_multiple_bugs=False,
        print_blob=False,
    )
    @hseed(ctx.seed)
    @given(st.data())
    def prop(data):
        if state["fatal"] is not None or (not state["failed"] and time.monotonic() > deadline):
            return
        case = space.draw(data)
        try:
            run_on(ctx, checks, case)
        except WorkerFatal as e:
            e.failure.with_counterexample({"input": input_text(ctx, case)})
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
