"""Input spaces of chapter 8's function exercises (70–72): fixed edge cases and hypothesis draws.

Each ``space_<name>()`` returns a :class:`checker.strategies.Space`; a spec names it with
``inputs = "<name>"``.  Tensors come from :func:`checker.strategies.make_tensor`, so a large
counterexample is shown as the call that rebuilds it.  A fixed case's label is a message
(``Msg``, chapter 8's table), rendered in the report's language when the record is made.
"""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import strategies as st

from checker.messages import Msg
from checker.strategies import (
    SCALES,
    Case,
    Space,
    cols,
    draw_tensor,
    float_dtype,
    labels_for,
    magnitude,
    make_tensor,
    matmul_magnitude,
    rows,
)

T = torch.tensor

# -- 71 -----------------------------------------------------------------------


def space_softmax() -> Space:
    fixed = [
        Case((T([[1.0, 2.0, 3.0]]),), {"dim": -1}, 3.0, label=Msg("case_small_row")),
        Case((T([1.0, 2.0, 3.0]),), {"dim": -1}, 3.0, label=Msg("case_1d_input")),
        Case((T([[1.0, 2.0], [3.0, 5.0]]),), {"dim": 0}, 5.0, label=Msg("case_dim0")),
        Case((T([[1.0, 2.0], [3.0, 5.0]]),), {"dim": 1}, 5.0, label=Msg("case_dim1")),
        Case((T([[1e4, -1e4, 0.0]]),), {"dim": -1}, 1e4, label=Msg("case_magnitude_1e4")),
        Case((T([[-1e4, -1e4 + 1.0]]),), {"dim": -1}, 1e4, label=Msg("case_large_negative")),
        Case(
            (T([[0.5, 0.5, 0.5, 0.5]], dtype=torch.float64),), {"dim": -1}, 1.0, label=Msg("case_float64_constant_row")
        ),
        Case((T([[3.0, -3.0]]),), {}, 3.0, label=Msg("case_default_dim")),
    ]

    def draw(data) -> Case:
        ndim = data.draw(st.sampled_from([2, 1]), label="ndim")
        dtype = float_dtype(data)
        if ndim == 2:
            shape = (rows(data), cols(data, "columns"))
            dim = data.draw(st.sampled_from([-1, 0, 1]), label="dim")
        else:
            shape = (cols(data, "length"),)
            dim = data.draw(st.sampled_from([-1, 0]), label="dim")
        x, r = draw_tensor(data, "x", shape, dtype)
        return Case((x,), {"dim": dim}, magnitude(x), {0: r})

    return Space(fixed, draw)


def space_predict_proba() -> Space:
    X = T([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]])
    W = T([[1.0, 0.0], [0.0, 1.0], [1.0, -1.0]])
    X3 = T([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0], [0.0, -1.0, 3.0]])
    fixed = [
        Case((X, W), {}, matmul_magnitude(X, W), label=Msg("case_small_batch")),
        Case((X[0], W), {}, matmul_magnitude(X[0], W), label=Msg("case_1d_x")),
        Case((X * 1e2, W * 1e2), {}, matmul_magnitude(X * 1e2, W * 1e2), label=Msg("case_scores_1e4")),
        # X @ W of the two cases above is symmetric: normalising over the batch (dim=0) gives the same numbers
        Case((X3, W), {}, matmul_magnitude(X3, W), label=Msg("case_three_rows_two_classes")),
    ]

    def draw(data) -> Case:
        one_d = data.draw(st.booleans(), label="1-D x")
        dtype = float_dtype(data)
        d = cols(data, "d")
        L = cols(data, "L", 2)
        n = rows(data)
        X, rx = draw_tensor(data, "X", (d,) if one_d else (n, d), dtype, SCALES[:3])
        W, rw = draw_tensor(data, "W", (d, L), dtype, SCALES[:3])
        return Case((X, W), {}, matmul_magnitude(X, W), {0: rx, 1: rw})

    return Space(fixed, draw)


# -- 72 -----------------------------------------------------------------------


def _ce_fixed() -> list[Case]:
    z = T([[2.0, 1.0, 0.0], [0.0, 0.0, 3.0]])
    return [
        Case((z, T([0, 2])), {}, 3.0, label=Msg("case_small_batch")),
        Case((T([[1e4, -1e4]]), T([1])), {}, 1e4, label=Msg("case_one_row_two_classes")),
        Case((T([[1e4, 0.0, -1e4], [-1e4, 1e4, 0.0]]), T([0, 2])), {}, 1e4, label=Msg("case_magnitude_1e4")),
        Case((z.double(), T([1, 1])), {}, 3.0, label=Msg("case_float64")),
    ]


def _draw_logits(data) -> Case:
    dtype = float_dtype(data)
    n, L = rows(data), cols(data, "L", 2)
    z, r = draw_tensor(data, "logits", (n, L), dtype)
    y = labels_for(n, L, data.draw(st.integers(0, 2**16), label="y.seed"))
    return Case((z, y), {}, magnitude(z), {0: r})


def space_cross_entropy() -> Space:
    return Space(_ce_fixed(), _draw_logits)


def space_softmax_cross_entropy_backward() -> Space:
    return Space(_ce_fixed(), _draw_logits)


def space_linear_forward() -> Space:
    x = T([[1.0, 2.0], [3.0, 4.0], [0.0, -1.0]])
    W = T([[1.0, 0.0, 2.0], [0.0, 1.0, -1.0]])
    b = T([0.5, -1.0, 2.0])
    fixed = [
        Case((x, W, b), {}, matmul_magnitude(x, W) + 2, label=Msg("case_with_bias")),
        Case((x, W), {}, matmul_magnitude(x, W), label=Msg("case_no_bias_given")),
        Case((x, W, None), {}, matmul_magnitude(x, W), label=Msg("case_b_none")),
    ]

    def draw(data) -> Case:
        dtype = float_dtype(data)
        n, d, L = rows(data), cols(data, "d"), cols(data, "L")
        x, rx = draw_tensor(data, "x", (n, d), dtype, SCALES[:3])
        W, rw = draw_tensor(data, "W", (d, L), dtype, SCALES[:3])
        if data.draw(st.booleans(), label="bias"):
            b, rb = draw_tensor(data, "b", (L,), dtype, SCALES[:3])
            return Case((x, W, b), {}, matmul_magnitude(x, W) + magnitude(b), {0: rx, 1: rw, 2: rb})
        return Case((x, W, None), {}, matmul_magnitude(x, W), {0: rx, 1: rw})

    return Space(fixed, draw)


def space_linear_backward() -> Space:
    gy = T([[1.0, 0.0, -1.0], [0.5, 2.0, 0.0]])
    x = T([[1.0, 2.0], [3.0, -1.0]])
    W = T([[1.0, 0.0, 2.0], [0.0, 1.0, -1.0]])
    fixed = [
        Case((gy, x, W), {}, 8.0, label=Msg("case_small_batch")),
        Case((gy[:1], x[:1], W), {}, 8.0, label=Msg("case_one_row")),
        Case((gy.double(), x.double(), W.double()), {}, 8.0, label=Msg("case_float64")),
    ]

    def draw(data) -> Case:
        dtype = float_dtype(data)
        n, d, L = rows(data), cols(data, "d"), cols(data, "L")
        gy, rg = draw_tensor(data, "grad_y", (n, L), dtype, SCALES[:3])
        x, rx = draw_tensor(data, "x", (n, d), dtype, SCALES[:3])
        W, rw = draw_tensor(data, "W", (d, L), dtype, SCALES[:3])
        mag = max(
            matmul_magnitude(gy, W.T), matmul_magnitude(x.T, gy), float(gy.abs().sum(0).max()) if gy.numel() else 1.0
        )
        return Case((gy, x, W), {}, mag, {0: rg, 1: rx, 2: rw})

    return Space(fixed, draw)


def space_loss_and_grad() -> Space:
    X = T([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]])
    W = T([[1.0, 0.0], [0.0, 1.0], [1.0, -1.0]])
    fixed = [
        Case((X, T([0, 1]), W), {}, 4.0, label=Msg("case_small_batch")),
        Case((X[:1], T([1]), W), {}, 4.0, label=Msg("case_one_row")),
        Case((X.double() * 100, T([1, 0]), W.double() * 100), {}, 4e4, label=Msg("case_float64_scores_1e4")),
    ]

    def draw(data) -> Case:
        dtype = float_dtype(data)
        n, d, L = rows(data), cols(data, "d"), cols(data, "L", 2)
        X, rx = draw_tensor(data, "X", (n, d), dtype, SCALES[:3])
        W, rw = draw_tensor(data, "W", (d, L), dtype, SCALES[:3])
        y = labels_for(n, L, data.draw(st.integers(0, 2**16), label="y.seed"))
        return Case((X, y, W), {}, max(matmul_magnitude(X, W), magnitude(X)), {0: rx, 2: rw})

    return Space(fixed, draw)


# -- 70 -----------------------------------------------------------------------


def space_featurize() -> Space:
    vec = {
        "the": np.array([1.0, 0.0], np.float32),
        "cat": np.array([0.0, 2.0], np.float32),
        "sat": np.array([-1.0, 1.0], np.float32),
    }
    fixed = [
        Case(([["the", "cat"], ["sat"]], vec), {}, 2.0, label=Msg("case_known_words")),
        Case(([["the", "dog"], ["unknown", "words"]], vec), {}, 2.0, label=Msg("case_unknown_words")),
        Case(([["cat", "cat", "the"]], vec), {}, 2.0, label=Msg("case_repeated_tokens")),
        Case(([[]], vec), {}, 2.0, label=Msg("case_empty_title")),
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
