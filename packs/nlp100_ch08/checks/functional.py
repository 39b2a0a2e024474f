"""Checks of the function exercises (70–72).

Per-case checks receive the item context and one input ``case``; the
context calls the student's function in the sandbox (once per case, cached),
validates what came back against the shape of the reference result, and
computes the reference in float64 in the grader's own process.
"""

from __future__ import annotations

import torch

from checker import fmt
from checker.grading import values
from checker.grading.outcome import CheckFailure, Msg
from checker.grading.registry import per_case
from checker.numerics import compare, gradcheck
from checker.numerics.tolerances import tolerance


def _dim(case) -> int:
    return case.kwargs.get("dim", -1)


@per_case
def check_sums_to_one(ctx, case) -> None:
    """Probabilities sum to 1 along the softmax dimension."""
    p = ctx.student(case)
    dim = _dim(case)
    s = p.double().sum(dim)
    _, atol = tolerance(p.dtype, case.magnitude)
    tol = atol * 4 + 8 * torch.finfo(p.dtype).eps * p.shape[dim]
    bad = ((s - 1).abs() > tol) | ~torch.isfinite(s)
    if bool(bad.any()):
        idx = tuple(bad.nonzero()[0].tolist())
        raise CheckFailure(
            "not_sum_to_one",
            {"dim": dim, "value": fmt.precise(s[idx] if idx else s)},
            counterexample={"got": fmt.value(p)},
        )


@per_case
def check_probabilities(ctx, case) -> None:
    """Every value lies in [0, 1]."""
    p = ctx.student(case)
    bad = (p < 0) | (p > 1) | torch.isnan(p)
    if bool(bad.any()):
        idx = tuple(bad.nonzero()[0].tolist())
        raise CheckFailure(
            "not_probability",
            {
                "what": (ctx.item.outputs or ["result"])[0],
                "index": fmt.index(idx),
                "value": fmt.number(p[idx] if idx else p),
            },
            counterexample={"got": fmt.value(p)},
        )


@per_case
def check_shift_invariant(ctx, case) -> None:
    """softmax(x + c) == softmax(x) for a constant c."""
    x = case.args[0]
    shift = 10.0
    p = ctx.student(case)
    q = ctx.call_like(case, (x + shift,) + tuple(case.args[1:]), case.kwargs)
    rtol, atol = tolerance(x.dtype, case.magnitude + shift)
    m = compare.mismatch(q, p, rtol, atol)
    if m is not None:
        raise CheckFailure(
            "not_shift_invariant",
            {
                "shift": fmt.number(shift),
                "what": (ctx.item.outputs or ["result"])[0],
                "index": fmt.index(m.abs_index),
                "before": fmt.number(m.expected_at),
                "after": fmt.number(m.got_at),
            },
            counterexample={"got": fmt.value(q), "expected": fmt.value(p)},
        )


@per_case
def check_rows_sum_to_zero(ctx, case) -> None:
    """Each row of dL/dlogits sums to 0 (softmax minus one-hot)."""
    g = ctx.student(case)
    s = g.double().sum(-1)
    _, atol = tolerance(g.dtype, case.magnitude)
    tol = 4 * atol + 8 * torch.finfo(g.dtype).eps * g.shape[-1]
    bad = ((s.abs() > tol) | ~torch.isfinite(s)).nonzero()
    if bad.numel():
        r = int(bad[0][0])
        raise CheckFailure(
            "rows_not_zero", {"row": r, "value": fmt.precise(s[r])}, counterexample={"got": fmt.value(g)}
        )


# -- gradients ------------------------------------------------------------------


def _forwards(ctx, name: str, base_args: list, vary: int, reduce):
    """Batched scalar functions for a gradient check: the reference's, and the student's ``name`` when defined."""
    ref = ctx.reference(name)

    def ref_batch(stack):
        out = []
        for row in stack:
            a = list(base_args)
            a[vary] = row
            out.append(reduce(ref(*a)))
        return torch.stack(out).double()

    if not ctx.defines(name):
        return ref_batch, None
    like = ref(*base_args)

    def student_batch(stack):
        res = ctx.map(name, base_args, vary, stack)
        return torch.stack([reduce(values.like(r, like, f"{name}(...)")).double().reshape(()) for r in res])

    return ref_batch, student_batch


def _grad_check(ctx, x: torch.Tensor, grad: torch.Tensor, what: str, name: str, ref_f, student_f) -> None:
    """The gradient agrees with central differences of the forward function, along random directions.

    The student's own forward is used when it is sound here (its slopes agree with the reference's);
    otherwise the reference's, so that a wrong forward fails its own item and not this one.
    """
    ref_pairs, h, fmag = gradcheck.slopes(ref_f, x, grad, k=3, seed=ctx.seed)
    f, fname, pairs = ref_f, Msg("reference_forward", {"fn": name}), ref_pairs
    if student_f is not None:
        try:
            s_pairs, _, s_mag = gradcheck.slopes(student_f, x, grad, k=3, seed=ctx.seed)
        except CheckFailure:
            s_pairs = None  # the forward raised or returned nonsense: its own item reports that
        if (
            s_pairs is not None
            and gradcheck.disagreeing([(a, b) for (a, _), (b, _) in zip(s_pairs, ref_pairs)], h, max(fmag, s_mag))
            is None
        ):
            f, fname, pairs = student_f, Msg("your_forward", {"fn": name}), s_pairs
    bad = gradcheck.disagreeing(pairs, h, fmag)
    if bad is None:
        return
    details = []
    if x.numel() <= ctx.item.params["localise_max"]:
        num = gradcheck.numeric_gradient(f, x)
        rtol, atol = gradcheck.tolerance(h, fmag)
        m = compare.mismatch(grad.double(), num, rtol * 10, atol * 10)
        if m is not None:
            details.append(
                Msg(
                    "grad_entry",
                    {
                        "what": what,
                        "index": fmt.index(m.abs_index),
                        "got": fmt.number(m.got_at),
                        "expected": fmt.number(m.expected_at),
                        "forward": fname,
                    },
                )
            )
            details += m.details()
    num, ana = pairs[bad]
    raise CheckFailure(
        "grad_inconsistent",
        {"what": what, "forward": fname, "numeric": fmt.number(num), "analytic": fmt.number(ana)},
        details=details,
        counterexample={"got": fmt.value(grad)},
    )


@per_case
def check_gradient_linear(ctx, case) -> None:
    """linear_backward agrees with central differences of sum(grad_y * linear_forward(x, W, b)), in float64."""
    c = case.float64()
    gy, x, W = c.args
    grads = ctx.student(c)
    args = [x, W, torch.zeros(W.shape[1], dtype=torch.float64)]
    reduce = lambda y: (gy * y).sum()  # noqa: E731
    for vary, (what, grad) in enumerate(zip(("grad_x", "grad_W", "grad_b"), grads)):
        ref_f, student_f = _forwards(ctx, "linear_forward", args, vary, reduce)
        _grad_check(ctx, args[vary], grad, what, "linear_forward", ref_f, student_f)


@per_case
def check_gradient_softmax_cross_entropy(ctx, case) -> None:
    """softmax_cross_entropy_backward agrees with central differences of cross_entropy, in float64."""
    c = case.float64()
    z, y = c.args
    ref_f, student_f = _forwards(ctx, "cross_entropy", [z, y], 0, lambda v: v)
    _grad_check(ctx, z, ctx.student(c), "grad_logits", "cross_entropy", ref_f, student_f)


@per_case
def check_gradient_loss_and_grad(ctx, case) -> None:
    """The gradient of loss_and_grad agrees with central differences of its own loss, in float64."""
    c = case.float64()
    X, y, W = c.args
    loss, g = ctx.student(c)
    ref_f, _ = _forwards(ctx, "loss_and_grad", [X, y, W], 2, lambda out: out[0])

    def student_f(stack):
        res = ctx.map("loss_and_grad", [X, y, W], 2, stack, select=0)
        return torch.stack([values.like(r, loss, "loss").double().reshape(()) for r in res])

    _grad_check(ctx, W, g, "grad_W", "loss_and_grad", ref_f, student_f)
