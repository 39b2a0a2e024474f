"""Inputs for the function checks: fixed edge cases and hypothesis strategies, in one module.

Each input family ``<name>`` is a function ``space_<name>()`` returning a
``Space``: hand-picked ``fixed`` cases (always run first) and ``draw(data)``,
which builds a ``Case`` from labelled hypothesis draws.  Tensors are made by
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

import numpy as np
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
    magnitude: float = 1.0        # size of the intermediate values: scales the float tolerance
    recipes: dict = field(default_factory=dict)   # arg position / kwarg name -> make_tensor(...) text
    label: str = ""

    def float64(self) -> "Case":
        """The same case with every floating tensor in float64 (gradient checks)."""
        conv = lambda a: a.to(torch.float64) if isinstance(a, torch.Tensor) and a.is_floating_point() else a  # noqa: E731
        return Case(tuple(conv(a) for a in self.args), {k: conv(v) for k, v in self.kwargs.items()},
                    self.magnitude, {}, self.label)

    def clone(self) -> "Case":
        cl = lambda a: a.clone() if isinstance(a, torch.Tensor) else a  # noqa: E731
        return Case(tuple(cl(a) for a in self.args), {k: cl(v) for k, v in self.kwargs.items()},
                    self.magnitude, dict(self.recipes), self.label)


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
    return f"make_tensor({tuple(shape)}, torch.{str(dtype).split('.')[-1]}, kind={kind!r}, scale={scale:g}, seed={seed})"


def labels_for(n: int, classes: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(int(seed) + 7919)
    return torch.randint(0, classes, (n,), generator=g, dtype=torch.int64)


def draw_tensor(data, label: str, shape, dtype, scales=SCALES) -> tuple[torch.Tensor, str]:
    kind = data.draw(st.sampled_from(KINDS), label=f"{label}.kind")
    scale = data.draw(st.sampled_from(scales), label=f"{label}.scale")
    seed = data.draw(st.integers(0, 2**20), label=f"{label}.seed")
    return make_tensor(shape, dtype, kind, scale, seed), recipe(shape, dtype, kind, scale, seed)


def _rows(data, label="n"):
    return data.draw(st.integers(1, MAX_ROWS), label=label)


def _cols(data, label, lo=1, hi=MAX_COLS):
    return data.draw(st.integers(lo, hi), label=label)


def _dtype(data):
    return data.draw(st.sampled_from(FLOATS), label="dtype")


def _mag(*ts) -> float:
    return max([float(t.abs().max()) for t in ts if isinstance(t, torch.Tensor) and t.numel()] + [1.0])


def _matmul_mag(a: torch.Tensor, b: torch.Tensor) -> float:
    a64, b64 = a.double().abs(), b.double().abs()
    if a64.dim() == 1:
        a64 = a64[None]
    return max(1.0, float((a64 @ b64).max())) if a64.numel() and b64.numel() else 1.0


T = torch.tensor

# -- 71 -----------------------------------------------------------------------


def space_softmax() -> Space:
    fixed = [
        Case((T([[1.0, 2.0, 3.0]]),), {"dim": -1}, 3.0, label="a small row"),
        Case((T([1.0, 2.0, 3.0]),), {"dim": -1}, 3.0, label="1-D input"),
        Case((T([[1.0, 2.0], [3.0, 5.0]]),), {"dim": 0}, 5.0, label="dim=0"),
        Case((T([[1.0, 2.0], [3.0, 5.0]]),), {"dim": 1}, 5.0, label="dim=1"),
        Case((T([[1e4, -1e4, 0.0]]),), {"dim": -1}, 1e4, label="magnitude 1e4"),
        Case((T([[-1e4, -1e4 + 1.0]]),), {"dim": -1}, 1e4, label="large negative"),
        Case((T([[0.5, 0.5, 0.5, 0.5]], dtype=torch.float64),), {"dim": -1}, 1.0, label="float64, constant row"),
        Case((T([[3.0, -3.0]]),), {}, 3.0, label="default dim"),
    ]

    def draw(data) -> Case:
        ndim = data.draw(st.sampled_from([2, 1]), label="ndim")
        dtype = _dtype(data)
        if ndim == 2:
            shape = (_rows(data), _cols(data, "columns"))
            dim = data.draw(st.sampled_from([-1, 0, 1]), label="dim")
        else:
            shape = (_cols(data, "length"),)
            dim = data.draw(st.sampled_from([-1, 0]), label="dim")
        x, r = draw_tensor(data, "x", shape, dtype)
        return Case((x,), {"dim": dim}, _mag(x), {0: r})

    return Space(fixed, draw)


def space_predict_proba() -> Space:
    X = T([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]])
    W = T([[1.0, 0.0], [0.0, 1.0], [1.0, -1.0]])
    fixed = [
        Case((X, W), {}, _matmul_mag(X, W), label="a small batch"),
        Case((X[0], W), {}, _matmul_mag(X[0], W), label="1-D x"),
        Case((X * 1e2, W * 1e2), {}, _matmul_mag(X * 1e2, W * 1e2), label="scores near 1e4"),
    ]

    def draw(data) -> Case:
        one_d = data.draw(st.booleans(), label="1-D x")
        dtype = _dtype(data)
        d = _cols(data, "d")
        L = _cols(data, "L", 2)
        n = _rows(data)
        X, rx = draw_tensor(data, "X", (d,) if one_d else (n, d), dtype, SCALES[:3])
        W, rw = draw_tensor(data, "W", (d, L), dtype, SCALES[:3])
        return Case((X, W), {}, _matmul_mag(X, W), {0: rx, 1: rw})

    return Space(fixed, draw)


# -- 72 -----------------------------------------------------------------------


def _ce_fixed() -> list[Case]:
    z = T([[2.0, 1.0, 0.0], [0.0, 0.0, 3.0]])
    return [
        Case((z, T([0, 2])), {}, 3.0, label="a small batch"),
        Case((T([[1e4, -1e4]]), T([1])), {}, 1e4, label="one row, two classes, magnitude 1e4"),
        Case((T([[1e4, 0.0, -1e4], [-1e4, 1e4, 0.0]]), T([0, 2])), {}, 1e4, label="magnitude 1e4"),
        Case((z.double(), T([1, 1])), {}, 3.0, label="float64"),
    ]


def _draw_logits(data) -> Case:
    dtype = _dtype(data)
    n, L = _rows(data), _cols(data, "L", 2)
    z, r = draw_tensor(data, "logits", (n, L), dtype)
    y = labels_for(n, L, data.draw(st.integers(0, 2**16), label="y.seed"))
    return Case((z, y), {}, _mag(z), {0: r})


def space_cross_entropy() -> Space:
    return Space(_ce_fixed(), _draw_logits)


def space_softmax_cross_entropy_backward() -> Space:
    return Space(_ce_fixed(), _draw_logits)


def space_linear_forward() -> Space:
    x = T([[1.0, 2.0], [3.0, 4.0], [0.0, -1.0]])
    W = T([[1.0, 0.0, 2.0], [0.0, 1.0, -1.0]])
    b = T([0.5, -1.0, 2.0])
    fixed = [
        Case((x, W, b), {}, _matmul_mag(x, W) + 2, label="with bias"),
        Case((x, W), {}, _matmul_mag(x, W), label="no bias given"),
        Case((x, W, None), {}, _matmul_mag(x, W), label="b=None"),
    ]

    def draw(data) -> Case:
        dtype = _dtype(data)
        n, d, L = _rows(data), _cols(data, "d"), _cols(data, "L")
        x, rx = draw_tensor(data, "x", (n, d), dtype, SCALES[:3])
        W, rw = draw_tensor(data, "W", (d, L), dtype, SCALES[:3])
        if data.draw(st.booleans(), label="bias"):
            b, rb = draw_tensor(data, "b", (L,), dtype, SCALES[:3])
            return Case((x, W, b), {}, _matmul_mag(x, W) + _mag(b), {0: rx, 1: rw, 2: rb})
        return Case((x, W, None), {}, _matmul_mag(x, W), {0: rx, 1: rw})

    return Space(fixed, draw)


def space_linear_backward() -> Space:
    gy = T([[1.0, 0.0, -1.0], [0.5, 2.0, 0.0]])
    x = T([[1.0, 2.0], [3.0, -1.0]])
    W = T([[1.0, 0.0, 2.0], [0.0, 1.0, -1.0]])
    fixed = [
        Case((gy, x, W), {}, 8.0, label="a small batch"),
        Case((gy[:1], x[:1], W), {}, 8.0, label="one row"),
        Case((gy.double(), x.double(), W.double()), {}, 8.0, label="float64"),
    ]

    def draw(data) -> Case:
        dtype = _dtype(data)
        n, d, L = _rows(data), _cols(data, "d"), _cols(data, "L")
        gy, rg = draw_tensor(data, "grad_y", (n, L), dtype, SCALES[:3])
        x, rx = draw_tensor(data, "x", (n, d), dtype, SCALES[:3])
        W, rw = draw_tensor(data, "W", (d, L), dtype, SCALES[:3])
        mag = max(_matmul_mag(gy, W.T), _matmul_mag(x.T, gy), float(gy.abs().sum(0).max()) if gy.numel() else 1.0)
        return Case((gy, x, W), {}, mag, {0: rg, 1: rx, 2: rw})

    return Space(fixed, draw)


def space_loss_and_grad() -> Space:
    X = T([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]])
    W = T([[1.0, 0.0], [0.0, 1.0], [1.0, -1.0]])
    fixed = [
        Case((X, T([0, 1]), W), {}, 4.0, label="a small batch"),
        Case((X[:1], T([1]), W), {}, 4.0, label="one row"),
        Case((X.double() * 100, T([1, 0]), W.double() * 100), {}, 4e4, label="float64, scores near 1e4"),
    ]

    def draw(data) -> Case:
        dtype = _dtype(data)
        n, d, L = _rows(data), _cols(data, "d"), _cols(data, "L", 2)
        X, rx = draw_tensor(data, "X", (n, d), dtype, SCALES[:3])
        W, rw = draw_tensor(data, "W", (d, L), dtype, SCALES[:3])
        y = labels_for(n, L, data.draw(st.integers(0, 2**16), label="y.seed"))
        return Case((X, y, W), {}, max(_matmul_mag(X, W), _mag(X)), {0: rx, 2: rw})

    return Space(fixed, draw)


# -- 70 -----------------------------------------------------------------------


def space_featurize() -> Space:
    vec = {"the": np.array([1.0, 0.0], np.float32), "cat": np.array([0.0, 2.0], np.float32),
           "sat": np.array([-1.0, 1.0], np.float32)}
    fixed = [
        Case(([["the", "cat"], ["sat"]], vec), {}, 2.0, label="known words"),
        Case(([["the", "dog"], ["unknown", "words"]], vec), {}, 2.0, label="unknown words, a title with none known"),
        Case(([["cat", "cat", "the"]], vec), {}, 2.0, label="repeated tokens"),
        Case(([[]], vec), {}, 2.0, label="an empty title"),
    ]

    def draw(data) -> Case:
        V = data.draw(st.integers(1, 20), label="vocabulary size")
        d = data.draw(st.integers(1, 8), label="d")
        seed = data.draw(st.integers(0, 2**16), label="vectors.seed")
        scale = data.draw(st.sampled_from((1.0, 10.0, 100.0)), label="vectors.scale")
        mat = make_tensor((V, d), torch.float32, "normal", scale, seed).numpy()
        words = [f"w{i}" for i in range(V)]
        vectors = {w: mat[i].copy() for i, w in enumerate(words)}
        pool = st.one_of(st.sampled_from(words), st.sampled_from(["<unk>", "zzz", "Unknown", "w"]))
        titles = data.draw(st.lists(st.lists(pool, max_size=8), min_size=1, max_size=12), label="titles")
        return Case((titles, vectors), {}, scale)

    return Space(fixed, draw)


def space(name: str) -> Space:
    fn = globals().get(f"space_{name}")
    if fn is None:
        raise KeyError(f"no input space {name!r} in checker.strategies")
    return fn()


def names() -> list[str]:
    return sorted(k[len("space_"):] for k in globals() if k.startswith("space_"))
