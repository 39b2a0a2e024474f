"""Tensor comparison that reports like ``torch.testing.assert_close``.

``mismatch(got, expected, rtol, atol)`` returns None when every element is
close, else the facts a student needs: how many elements are off (count and
share), the greatest absolute and relative difference with their index, and
the tolerances.  Values are compared in float64.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .. import fmt
from ..messages import Msg


@dataclass
class Mismatch:
    count: int
    total: int
    max_abs: float
    abs_index: tuple
    max_rel: float
    rel_index: tuple
    rtol: float
    atol: float
    got_at: float  # at worst_index: the element furthest outside its tolerance
    expected_at: float
    worst_index: tuple = ()

    def details(self) -> list[Msg]:
        share = f"{100.0 * self.count / max(1, self.total):.1f}%"
        return [
            Msg("mismatch_count", {"count": self.count, "total": self.total, "share": share}),
            Msg(
                "mismatch_abs",
                {"value": fmt.number(self.max_abs), "index": _idx(self.abs_index), "tol": f"{self.atol:.3g}"},
            ),
            Msg(
                "mismatch_rel",
                {"value": fmt.number(self.max_rel), "index": _idx(self.rel_index), "tol": f"{self.rtol:.3g}"},
            ),
        ]

    def entry(self, what: str) -> Msg:
        return Msg(
            "mismatch_entry",
            {
                "what": what,
                "index": fmt.index(self.worst_index),
                "got": fmt.number(self.got_at),
                "expected": fmt.number(self.expected_at),
            },
        )


def _idx(i: tuple) -> str:
    return "(" + ", ".join(str(x) for x in i) + ("," if len(i) == 1 else "") + ")"


def mismatch(got: torch.Tensor, expected: torch.Tensor, rtol: float, atol: float) -> Mismatch | None:
    a = got.detach().to(torch.float64)
    b = expected.detach().to(torch.float64)
    if a.shape != b.shape:
        raise ValueError("compare tensors of the same shape only")
    if a.numel() == 0:
        return None
    same_inf = torch.isinf(a) & torch.isinf(b) & (torch.sign(a) == torch.sign(b))
    diff = (a - b).abs()
    diff = torch.where(same_inf, torch.zeros_like(diff), diff)
    diff = torch.where(torch.isnan(diff), torch.full_like(diff, float("inf")), diff)
    allowed = atol + rtol * b.abs().nan_to_num(posinf=0.0)
    bad = diff > allowed
    count = int(bad.sum())
    if count == 0:
        return None
    # as torch.testing: relative to |expected|, inf where the expected value is 0 and the result is not
    rel = torch.where(diff == 0, torch.zeros_like(diff), diff / b.abs())
    ia = _unravel(int(torch.argmax(diff)), a.shape)
    ir = _unravel(int(torch.argmax(rel)), a.shape)
    # the headline names the element furthest outside its own tolerance
    worst = torch.where(bad, diff / allowed.clamp_min(torch.finfo(torch.float64).tiny), torch.full_like(diff, -1.0))
    iw = _unravel(int(torch.argmax(worst)), a.shape)
    return Mismatch(
        count=count,
        total=a.numel(),
        max_abs=float(diff[ia] if ia else diff),
        abs_index=ia,
        max_rel=float(rel[ir] if ir else rel),
        rel_index=ir,
        rtol=rtol,
        atol=atol,
        got_at=float(a[iw] if iw else a),
        expected_at=float(b[iw] if iw else b),
        worst_index=iw,
    )


def _unravel(flat: int, shape) -> tuple:
    out = []
    for s in reversed(tuple(shape)):
        out.append(flat % s)
        flat //= s
    return tuple(reversed(out))


def close(got: torch.Tensor, expected: torch.Tensor, rtol: float, atol: float) -> bool:
    return got.shape == expected.shape and mismatch(got, expected, rtol, atol) is None
