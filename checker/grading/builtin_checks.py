"""The engine's generic checks, usable by any exercise pack.

Per-case checks compare the student's result on one input with the trusted
reference (computed here in float64), check its dtype, finiteness and that
the inputs were left alone; ``hand_written`` applies the spec's ``forbidden``
list to the function's source.
"""

from __future__ import annotations

import torch

from .. import fmt
from ..numerics import compare
from ..numerics.tolerances import tolerance
from . import handwritten, values
from .context import at_line
from .outcome import CheckFailure, Msg, per_case


def _input_dtype(case) -> torch.dtype:
    for a in list(case.args) + list(case.kwargs.values()):
        if isinstance(a, torch.Tensor) and a.is_floating_point():
            return a.dtype
    return torch.float32


def _pairs(ctx, case):
    got = ctx.student(case)
    exp = ctx.expected(case)
    names = ctx.item.outputs or None
    base = (ctx.item.outputs or ["result"])[0]
    return list(zip(values.leaves(got, names, base), values.leaves(exp, names, base)))


@per_case
def check_matches_reference(ctx, case) -> None:
    """Every part of the result is close to the reference (tolerance from the dtype table, scaled by the input)."""
    for (name, g), (_, e) in _pairs(ctx, case):
        if isinstance(e, float):
            g_t, e_t = torch.tensor(float(g), dtype=torch.float64), torch.tensor(e, dtype=torch.float64)
        else:
            g_t, e_t = g, e
        rtol, atol = tolerance(_input_dtype(case), case.magnitude)
        m = compare.mismatch(g_t, e_t, rtol, atol)
        if m is not None:
            found = ctx.registry.find_hints(ctx.item.hints, case, g_t, e_t, name)
            head = m.entry(name)
            raise CheckFailure(
                head.key,
                head.params,
                details=m.details() + found,
                counterexample={
                    "got": fmt.value(g),
                    "expected": fmt.value(e_t.to(g_t.dtype) if g_t.is_floating_point() else e_t),
                },
            )


@per_case
def check_finite(ctx, case) -> None:
    """No NaN or inf in the result for finite input."""
    for name, g in values.leaves(ctx.student(case), ctx.item.outputs or None, (ctx.item.outputs or ["result"])[0]):
        if isinstance(g, torch.Tensor) and g.is_floating_point() and not bool(torch.isfinite(g).all()):
            bad = (~torch.isfinite(g)).nonzero()
            idx = tuple(bad[0].tolist()) if bad.numel() else ()
            val = g[idx] if idx else g
            details = [Msg(k) for k in ctx.item.params["finite_hints"]]
            raise CheckFailure(
                "non_finite",
                {"what": name, "index": fmt.index(idx), "value": fmt.number(val)},
                details=details,
                counterexample={"got": fmt.value(g)},
            )


@per_case
def check_dtype_preserved(ctx, case) -> None:
    """Each tensor of the result has the dtype of the input (float32 in, float32 out)."""
    like = ctx.expected_like(case)
    for (name, g), (_, e) in zip(
        values.leaves(ctx.student(case), ctx.item.outputs or None, (ctx.item.outputs or ["result"])[0]),
        values.leaves(like, ctx.item.outputs or None, (ctx.item.outputs or ["result"])[0]),
    ):
        if isinstance(g, torch.Tensor) and isinstance(e, torch.Tensor) and g.dtype != e.dtype:
            raise CheckFailure(
                "bad_dtype",
                {
                    "what": name,
                    "got": str(g.dtype).replace("torch.", ""),
                    "expected": str(e.dtype).replace("torch.", ""),
                },
            )


@per_case
def check_no_inplace(ctx, case) -> None:
    """The call leaves its input tensors as they were (the worker reports them: a claim, not believed from a file
    that reaches into the checker's process)."""
    bad = tampering(ctx)
    if bad:
        raise CheckFailure("tampering", {"name": bad[0].name, "at": at_line(bad[0].line)}).at_line(bad[0].line)
    after = ctx.args_after(case)
    names = ctx.arg_names()
    for i, (before, now) in enumerate(zip(case.args, after)):
        if isinstance(before, torch.Tensor) and (
            not isinstance(now, torch.Tensor)
            or now.shape != before.shape
            or not torch.equal(now.to(before.dtype), before)
        ):
            raise CheckFailure(
                "modified_input",
                {"arg": names[i] if i < len(names) else f"args[{i}]"},
                counterexample={"got": fmt.value(now), "expected": fmt.value(before)},
            )


def tampering(ctx) -> list:
    """Ways into the checker's process found in the file (parsed once per submission)."""
    key = ("tampering",)
    if key not in ctx.shared:
        try:
            ctx.shared[key] = handwritten.tampering(ctx.source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            ctx.shared[key] = []
    return ctx.shared[key]


def check_hand_written(ctx) -> None:
    """The function computes the result itself: no forbidden call in it or in the helpers it uses (static rule);
    no way into the checker's process anywhere in the file; and no forbidden call seen at run time (tripwire)."""
    try:
        found = handwritten.violations(ctx.source, ctx.item.function, ctx.item.forbidden)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as e:
        raise CheckFailure("source_unreadable", {"function": ctx.item.function, "error": str(e)[:200]}) from None
    if found:
        v = found[0]
        via = Msg("forbidden_via", {"helper": v.function}) if v.via else ""
        details = [
            Msg(
                "forbidden_call",
                {
                    "name": o.name,
                    "function": ctx.item.function,
                    "at": at_line(o.line),
                    "via": Msg("forbidden_via", {"helper": o.function}) if o.via else "",
                },
            )
            for o in found[1:4]
        ]
        raise CheckFailure(
            "forbidden_call",
            {"name": v.name, "function": ctx.item.function, "at": at_line(v.line), "via": via},
            details=details,
            check="hand_written",
        ).at_line(v.line)
    bad = tampering(ctx)
    if bad:
        raise CheckFailure(
            "tampering",
            {"name": bad[0].name, "at": at_line(bad[0].line)},
            details=[Msg("tampering_more", {"name": t.name, "at": at_line(t.line)}) for t in bad[1:4]],
            check="hand_written",
        ).at_line(bad[0].line)
    tripped = sorted(ctx.item_state.get("tripped", ()))
    if tripped:
        raise CheckFailure(
            "forbidden_runtime", {"name": tripped[0], "function": ctx.item.function}, check="hand_written"
        )
