"""The chapter-8 hints: each likely-mistake hint fires on its mistake, and not on the right answer."""

from __future__ import annotations

import types

import numpy as np
import pytest
import torch

from checker.errors import SpecError
from checker.grading.installed import installed_registry
from checker.strategies import Case, make_tensor
from nlp100_ch08 import hints
from nlp100_ch08 import references as ch08

REGISTRY = installed_registry()
NAMES = sorted(k[len("hint_") :] for k in vars(hints) if k.startswith("hint_"))

D = torch.float64


def X():
    return make_tensor((5, 3), D, "normal", 3.0, 1)


def W():
    return make_tensor((3, 4), D, "normal", 3.0, 2)


def Z():
    return make_tensor((6, 4), D, "normal", 3.0, 3)


Y = torch.tensor([0, 3, 1, 2, 2, 0])
VEC = {
    "the": np.array([1.0, 0.0], np.float32),
    "cat": np.array([0.0, 2.0], np.float32),
    "sat": np.array([-1.0, 1.0], np.float32),
}


def _case_softmax():
    x = Z()
    return Case((x,), {"dim": 1}, 3.0), ch08.softmax(x, 1)


def _case_predict():
    x, w = X(), W()
    return Case((x, w), {}, 10.0), ch08.predict_proba(x, w)


def _case_ce():
    z = Z()
    return Case((z, Y), {}, 3.0), ch08.cross_entropy(z, Y)


def _case_ce_backward():
    z = Z()
    return Case((z, Y), {}, 3.0), ch08.softmax_cross_entropy_backward(z, Y)


def _case_linear_bias():
    x, w = X(), W()
    b = torch.tensor([1.0, -2.0, 0.5, 3.0], dtype=D)
    return Case((x, w, b), {}, 10.0), ch08.linear_forward(x, w, b)


def _case_square():
    x = make_tensor((4, 3), D, "normal", 3.0, 4)
    w = make_tensor((3, 4), D, "normal", 3.0, 5)
    return Case((x, w), {}, 10.0), ch08.linear_forward(x, w)


def _case_featurize():
    titles = [["the", "dog", "cat"], ["cat", "cat", "sat"], ["unknown"]]
    return Case((titles, VEC), {}, 2.0), ch08.featurize(titles, VEC).double()


CASES = {
    "transposed": (_case_square, lambda c, e: e.T.clone()),
    "sign_flipped": (_case_ce, lambda c, e: -e),
    "times_n": (_case_ce_backward, lambda c, e: e * 6),
    "over_n": (_case_ce_backward, lambda c, e: e / 6),
    "sum_not_mean": (_case_ce, lambda c, e: e * 6),
    "zero": (_case_predict, lambda c, e: torch.zeros_like(e)),
    "other_dim": (_case_softmax, lambda c, e: torch.softmax(c.args[0], dim=0)),
    "log_softmax": (_case_softmax, lambda c, e: torch.log_softmax(c.args[0], dim=1)),
    "no_softmax": (_case_predict, lambda c, e: c.args[0] @ c.args[1]),
    "bias_ignored": (_case_linear_bias, lambda c, e: c.args[0] @ c.args[1]),
    "no_onehot": (_case_ce_backward, lambda c, e: torch.softmax(c.args[0], -1) / c.args[0].shape[0]),
    "unknown_counted": (
        _case_featurize,
        lambda c, e: torch.tensor([[1 / 3, 2 / 3], [-1 / 3, 5 / 3], [0.0, 0.0]], dtype=D),
    ),
    "dedup": (_case_featurize, lambda c, e: torch.tensor([[0.5, 1.0], [-0.5, 1.5], [0.0, 0.0]], dtype=D)),
}


def test_every_hint_but_bias_axis_has_a_case_here():
    # bias_axis is recognised from the shape, in validate.like (test_unit_validate)
    assert set(NAMES) - {"bias_axis"} == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_hint_fires_on_its_mistake(name):
    make, wrong = CASES[name]
    case, expected = make()
    expected = expected.double()
    got = wrong(case, expected)
    msg = getattr(hints, f"hint_{name}")(case, got, expected, "out")
    assert msg is not None and msg.key == f"hint_{name}"
    assert [m.key for m in REGISTRY.find_hints([name], case, got, expected, "out")] == [f"hint_{name}"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_hint_is_silent_on_the_right_answer(name):
    make, _ = CASES[name]
    case, expected = make()
    expected = expected.double()
    assert getattr(hints, f"hint_{name}")(case, expected.clone(), expected, "out") is None
    # nor on a result that is wrong in some other way
    other = expected + 0.37 * torch.arange(expected.numel(), dtype=D).reshape(expected.shape) + 0.11
    assert getattr(hints, f"hint_{name}")(case, other, expected, "out") is None


def test_times_n_says_n():
    case, e = _case_ce_backward()
    assert hints.hint_times_n(case, e * 6, e, "g").params == {"n": 6}


def test_hints_that_need_n_above_one_are_silent_for_one_row():
    z = Z()[:1]
    y = Y[:1]
    case = Case((z, y), {}, 3.0)
    e = ch08.cross_entropy(z, y)
    assert hints.hint_sum_not_mean(case, e * 1, e, "loss") is None
    assert hints.hint_times_n(case, e * 1, e, "loss") is None


def test_other_dim_is_silent_for_1d_input():
    x = torch.tensor([1.0, 2.0, 3.0], dtype=D)
    case = Case((x,), {"dim": -1}, 3.0)
    assert hints.hint_other_dim(case, torch.softmax(x, 0), torch.softmax(x, 0), "p") is None


def test_bias_axis_is_recognised_from_the_shape_of_the_result():
    exp = (torch.zeros(2, 3), torch.zeros(3, 4), torch.zeros(4))
    wrong = (torch.zeros(2, 3), torch.zeros(3, 4), torch.zeros(2))  # grad_y summed over the other axis
    right = (torch.zeros(2, 3), torch.zeros(3, 4), torch.zeros(4))
    case = Case((torch.zeros(2, 4), torch.zeros(2, 3), torch.zeros(3, 4)), {}, 1.0)
    assert hints.hint_bias_axis(case, wrong, exp, "linear_backward").key == "hint_bias_axis"
    assert hints.hint_bias_axis(case, right, exp, "linear_backward") is None


def test_find_picks_only_the_matching_hints_and_skips_inapplicable_ones():
    case, e = _case_ce()
    got = -e
    found = REGISTRY.find_hints(["sum_not_mean", "sign_flipped", "transposed", "no_onehot"], case, got, e, "loss")
    assert [m.key for m in found] == ["hint_sign_flipped"]


def test_find_rejects_an_unknown_hint():
    case, e = _case_ce()
    with pytest.raises(SpecError):
        REGISTRY.find_hints(["no_such_hint"], case, e, e, "loss")


def test_find_uses_an_exercises_own_hints():
    case, e = _case_ce()

    def hint_custom(case, got, expected, what):
        from checker.messages import Msg

        return Msg("hint_zero") if bool((got == 42).all()) else None

    plugin = types.ModuleType("plugin")
    plugin.hint_custom = hint_custom
    reg = REGISTRY.extended(plugin)
    assert [m.key for m in reg.find_hints(["custom"], case, torch.tensor(42.0), e, "loss")] == ["hint_zero"]
    assert reg.find_hints(["custom"], case, e, e, "loss") == []
