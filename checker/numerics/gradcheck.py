"""Numerical gradients for the backward checks, batched so they cost few pipe round trips.

``slopes`` compares a claimed gradient with central differences of a scalar
function along ``k`` random unit directions: one batch of ``2k`` function
values (one request to the worker when the function is the student's).
Only when a slope disagrees does ``numeric_gradient`` localise the fault
entry by entry, again in batches.  Everything runs in float64.
"""

from __future__ import annotations

from typing import Callable

import torch

from .tolerances import GRADIENT

FBatch = Callable[[torch.Tensor], torch.Tensor]  # (m, *shape) -> (m,) float64


def step(x: torch.Tensor) -> float:
    return 1e-6 * max(1.0, float(x.abs().max()) if x.numel() else 1.0)


def slopes(f: FBatch, x: torch.Tensor, grad: torch.Tensor, k: int = 3, seed: int = 0):
    """[(numeric, analytic)] along k random unit directions, and the step used."""
    g = torch.Generator().manual_seed(seed)
    x = x.to(torch.float64)
    dirs = torch.randn((k, *x.shape), generator=g, dtype=torch.float64)
    dirs = dirs / dirs.reshape(k, -1).norm(dim=1).clamp_min(1e-300).reshape(k, *([1] * x.dim()))
    h = step(x)
    stack = torch.cat([x + h * dirs, x - h * dirs])
    vals = f(stack).to(torch.float64)
    numeric = (vals[:k] - vals[k:]) / (2 * h)
    analytic = (dirs * grad.to(torch.float64)).reshape(k, -1).sum(1)
    return list(zip(numeric.tolist(), analytic.tolist())), h, float(vals.abs().max()) if vals.numel() else 0.0


def tolerance(h: float, fmag: float) -> tuple[float, float]:
    eps = torch.finfo(torch.float64).eps
    return GRADIENT.rtol, GRADIENT.atol + 64 * eps * max(1.0, fmag) / h + h * h


def disagreeing(pairs, h: float, fmag: float) -> int | None:
    rtol, atol = tolerance(h, fmag)
    for i, (num, ana) in enumerate(pairs):
        if not abs(num - ana) <= atol + rtol * max(abs(num), abs(ana)):
            return i
    return None


def numeric_gradient(f: FBatch, x: torch.Tensor, chunk: int = 256) -> torch.Tensor:
    """Central differences for every entry of x, in batches of ``chunk`` entries."""
    x = x.to(torch.float64)
    h = step(x)
    n = x.numel()
    out = torch.empty(n, dtype=torch.float64)
    flat = x.reshape(-1)
    for start in range(0, n, chunk):
        idx = torch.arange(start, min(n, start + chunk))
        m = len(idx)
        plus = flat.repeat(m, 1)
        plus[torch.arange(m), idx] += h
        minus = flat.repeat(m, 1)
        minus[torch.arange(m), idx] -= h
        vals = f(torch.cat([plus, minus]).reshape(2 * m, *x.shape)).to(torch.float64)
        out[start : start + m] = (vals[:m] - vals[m:]) / (2 * h)
    return out.reshape(x.shape)
