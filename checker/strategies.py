"""The toolkit for input spaces: cases, spaces and deterministic test tensors, in one module.

An exercise pack's input family ``<name>`` is a function ``space_<name>()``
returning a ``Space``: hand-picked ``fixed`` cases (always run first) and
``draw(data)``, which builds a ``Case`` from labelled hypothesis draws.  Tensors are made by
``make_tensor`` from a few small draws (kind, scale, seed) rather than
element by element: generation stays fast and hypothesis still shrinks to a
small shape, integer values, scale 1 and seed 0.  Every tensor is capped at
``MAX_ELEMENTS``.  A large tensor in a counterexample is shown as the
``make_tensor(...)`` call that rebuilds it::

    from checker.strategies import make_tensor
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import torch
from hypothesis import strategies as st

MAX_ROWS = 64
MAX_COLS = 16
MAX_ELEMENTS = MAX_ROWS * MAX_COLS
MAX_MAGNITUDE = 1e4
KINDS = ("ints", "normal", "uniform", "spiky")
SCALES = (1.0, 10.0, 100.0, 1e3, 1e4)
FLOATS = (torch.float32, torch.float64)


@dataclass
class Case:
    args: tuple
    kwargs: dict = field(default_factory=dict)
    magnitude: float = 1.0  # size of the intermediate values: scales the float tolerance
    recipes: dict = field(default_factory=dict)  # arg position / kwarg name -> make_tensor(...) text
    label: str = ""

    def float64(self) -> "Case":
        """The same case with every floating tensor in float64 (gradient checks)."""
        conv = lambda a: a.to(torch.float64) if isinstance(a, torch.Tensor) and a.is_floating_point() else a  # noqa: E731
        return Case(
            tuple(conv(a) for a in self.args),
            {k: conv(v) for k, v in self.kwargs.items()},
            self.magnitude,
            {},
            self.label,
        )

    def clone(self) -> "Case":
        cl = lambda a: a.clone() if isinstance(a, torch.Tensor) else a  # noqa: E731
        return Case(
            tuple(cl(a) for a in self.args),
            {k: cl(v) for k, v in self.kwargs.items()},
            self.magnitude,
            dict(self.recipes),
            self.label,
        )


@dataclass
class Space:
    fixed: list[Case]
    draw: Callable[[st.DataObject], Case]


def make_tensor(shape, dtype=torch.float32, kind: str = "normal", scale: float = 1.0, seed: int = 0) -> torch.Tensor:
    """A deterministic test tensor: the same arguments give the same values on every machine."""
    g = torch.Generator().manual_seed(int(seed))
    shape = tuple(int(s) for s in shape)
    if kind == "ints":
        t = torch.randint(-3, 4, shape, generator=g, dtype=torch.float64) * max(1.0, scale / 3)
    elif kind == "normal":
        t = (torch.randn(shape, generator=g, dtype=torch.float64) * scale / 3).clamp(-scale, scale)
    elif kind == "uniform":
        t = (torch.rand(shape, generator=g, dtype=torch.float64) * 2 - 1) * scale
    elif kind == "spiky":
        t = torch.randn(shape, generator=g, dtype=torch.float64)
        if t.numel():
            flat = t.view(-1)
            pos = int(torch.randint(0, flat.numel(), (1,), generator=g))
            flat[pos] = scale if torch.rand((), generator=g) < 0.5 else -scale
    else:
        raise ValueError(f"unknown kind {kind!r}")
    return t.to(dtype)


def recipe(shape, dtype, kind, scale, seed) -> str:
    return (
        f"make_tensor({tuple(shape)}, torch.{str(dtype).split('.')[-1]}, kind={kind!r}, scale={scale:g}, seed={seed})"
    )


def labels_for(n: int, classes: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(int(seed) + 7919)
    return torch.randint(0, classes, (n,), generator=g, dtype=torch.int64)


def draw_tensor(data, label: str, shape, dtype, scales=SCALES) -> tuple[torch.Tensor, str]:
    kind = data.draw(st.sampled_from(KINDS), label=f"{label}.kind")
    scale = data.draw(st.sampled_from(scales), label=f"{label}.scale")
    seed = data.draw(st.integers(0, 2**20), label=f"{label}.seed")
    return make_tensor(shape, dtype, kind, scale, seed), recipe(shape, dtype, kind, scale, seed)


def rows(data, label="n"):
    return data.draw(st.integers(1, MAX_ROWS), label=label)


def cols(data, label, lo=1, hi=MAX_COLS):
    return data.draw(st.integers(lo, hi), label=label)


def float_dtype(data):
    return data.draw(st.sampled_from(FLOATS), label="dtype")


def magnitude(*ts) -> float:
    return max([float(t.abs().max()) for t in ts if isinstance(t, torch.Tensor) and t.numel()] + [1.0])


def matmul_magnitude(a: torch.Tensor, b: torch.Tensor) -> float:
    a64, b64 = a.double().abs(), b.double().abs()
    if a64.dim() == 1:
        a64 = a64[None]
    return max(1.0, float((a64 @ b64).max())) if a64.numel() and b64.numel() else 1.0
