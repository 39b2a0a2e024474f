"""checker.gradcheck: slopes along random directions, entry-wise numeric gradients, batching."""

from __future__ import annotations

import pytest
import torch

from checker.numerics import gradcheck
from nlp100_ch08 import references as ch08

D = torch.float64


class Counting:
    """A batched scalar function (m, *shape) -> (m,) that counts its calls and the rows it evaluated."""

    def __init__(self, f):
        self.f = f
        self.calls = 0
        self.rows = 0

    def __call__(self, stack):
        self.calls += 1
        self.rows += stack.shape[0]
        return torch.stack([self.f(row) for row in stack])


def cube_sum(x):
    return (x**3).sum() + (x[..., :1] * x[..., 1:2]).sum()


def cube_sum_grad(x):
    g = 3 * x**2
    g[..., 0] += x[..., 1]
    g[..., 1] += x[..., 0]
    return g


X = torch.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], dtype=D)


def test_slopes_agree_for_a_correct_gradient():
    f = Counting(cube_sum)
    pairs, h, fmag = gradcheck.slopes(f, X, cube_sum_grad(X), k=3, seed=1)
    assert len(pairs) == 3
    assert gradcheck.disagreeing(pairs, h, fmag) is None
    for num, ana in pairs:
        assert num == pytest.approx(ana, rel=1e-6, abs=1e-8)
    assert f.calls == 1 and f.rows == 6  # one batch of 2k evaluations


@pytest.mark.parametrize(
    "wrong",
    [
        lambda g: 2 * g,
        lambda g: -g,
        lambda g: g.T.reshape(g.shape),
        lambda g: g + 1e-2,
        lambda g: torch.zeros_like(g),
    ],
    ids=["doubled", "sign", "scrambled", "offset", "zero"],
)
def test_slopes_disagree_for_a_wrong_gradient(wrong):
    f = Counting(cube_sum)
    pairs, h, fmag = gradcheck.slopes(f, X, wrong(cube_sum_grad(X)), k=3, seed=1)
    assert gradcheck.disagreeing(pairs, h, fmag) is not None


def test_slopes_are_deterministic_per_seed():
    a = gradcheck.slopes(Counting(cube_sum), X, cube_sum_grad(X), seed=5)[0]
    b = gradcheck.slopes(Counting(cube_sum), X, cube_sum_grad(X), seed=5)[0]
    c = gradcheck.slopes(Counting(cube_sum), X, cube_sum_grad(X), seed=6)[0]
    assert a == b and a != c


def test_numeric_gradient_matches_autograd():
    x = X.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(cube_sum(x), x)
    num = gradcheck.numeric_gradient(Counting(cube_sum), X)
    assert num.shape == X.shape and num.dtype == D
    assert torch.allclose(num, g, rtol=1e-6, atol=1e-7)


def test_numeric_gradient_of_the_reference_cross_entropy_matches_its_backward():
    z = torch.tensor([[2.0, 1.0, 0.0], [0.0, 0.0, 3.0], [1.0, -1.0, 0.5]], dtype=D)
    y = torch.tensor([0, 2, 1])
    f = Counting(lambda row: ch08.cross_entropy(row, y))
    num = gradcheck.numeric_gradient(f, z)
    assert torch.allclose(num, ch08.softmax_cross_entropy_backward(z, y), rtol=1e-6, atol=1e-8)


def test_numeric_gradient_is_batched():
    x = torch.linspace(-1, 1, 1200, dtype=D).reshape(300, 4)
    f = Counting(lambda row: (row**2).sum())
    num = gradcheck.numeric_gradient(f, x)
    assert torch.allclose(num, 2 * x, rtol=1e-6, atol=1e-6)
    # 1200 entries, two evaluations each, in chunks of 256 entries: a handful of calls, not 2400
    assert f.calls <= 8
    assert f.rows == 2 * x.numel()


def test_step_scales_with_the_input():
    assert gradcheck.step(torch.tensor([0.1])) == pytest.approx(1e-6)
    assert gradcheck.step(torch.tensor([-500.0, 3.0])) == pytest.approx(5e-4)
    assert gradcheck.step(torch.empty(0)) == pytest.approx(1e-6)


def test_tolerance_grows_with_the_function_magnitude():
    r1, a1 = gradcheck.tolerance(1e-6, 1.0)
    r2, a2 = gradcheck.tolerance(1e-6, 1e4)
    assert r1 == r2 and a2 > a1
