"""One table of tolerances per dtype (in the spirit of torch.testing's defaults).

A comparison of a result with the reference allows
``|got - expected| <= atol + rtol * |expected|`` where ``atol`` grows with the
magnitude of the inputs: ``atol = base_atol + eps_factor * eps(dtype) * magnitude``,
so a sound float32 computation that rounds differently at 1e4 still passes.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Tol:
    rtol: float
    atol: float
    eps_factor: float = 16.0


TABLE: dict[torch.dtype, Tol] = {
    torch.float16: Tol(rtol=1e-3, atol=1e-5),
    torch.bfloat16: Tol(rtol=1.6e-2, atol=1e-5),
    torch.float32: Tol(rtol=1e-5, atol=1e-6),
    torch.float64: Tol(rtol=1e-7, atol=1e-10),
}

# numerical gradients (central differences, float64): slopes agree to this
GRADIENT = Tol(rtol=1e-4, atol=1e-6, eps_factor=0.0)


def tolerance(dtype: torch.dtype, magnitude: float = 1.0) -> tuple[float, float]:
    """(rtol, atol) for comparing values of ``dtype`` computed from inputs up to ``magnitude``."""
    tol = TABLE.get(dtype, TABLE[torch.float32])
    eps = torch.finfo(dtype).eps if dtype.is_floating_point else 0.0
    return tol.rtol, tol.atol + tol.eps_factor * eps * max(1.0, float(magnitude))
