"""checker.compare.mismatch and checker.tolerances."""

from __future__ import annotations

import math

import pytest
import torch

from checker.numerics import compare, tolerances
from checker.messages import render

D = torch.float64


def t(*v):
    return torch.tensor(v, dtype=D)


def test_close_tensors_give_none():
    assert compare.mismatch(t(1.0, 2.0, 3.0), t(1.0, 2.0, 3.0 + 1e-9), 1e-7, 1e-8) is None
    assert compare.close(t(1.0), t(1.0), 0, 0)


def test_count_share_and_indices():
    got = torch.zeros(2, 5, dtype=D)
    exp = torch.zeros(2, 5, dtype=D)
    got[0, 1] = 0.5
    got[1, 3] = -2.0
    m = compare.mismatch(got, exp, 1e-5, 1e-6)
    assert m is not None
    assert (m.count, m.total) == (2, 10)
    assert m.max_abs == pytest.approx(2.0) and m.abs_index == (1, 3)
    assert m.got_at == -2.0 and m.expected_at == 0.0
    text = [render(d.key, "en", **d.params) for d in m.details()]
    assert text[0] == "Mismatched elements: 2 / 10 (20.0%)"
    assert "at index (1, 3)" in text[1]
    assert render(m.entry("p").key, "en", **m.entry("p").params).startswith("`p[1, 3]` = -2.0")


def test_relative_difference_and_its_index():
    got, exp = t(10.0, 1.5), t(11.0, 1.0)
    m = compare.mismatch(got, exp, 1e-5, 1e-6)
    assert m.abs_index == (0,) and m.max_abs == pytest.approx(1.0)
    assert m.rel_index == (1,) and m.max_rel == pytest.approx(0.5)
    assert (m.rtol, m.atol) == (1e-5, 1e-6)


def test_tolerance_is_atol_plus_rtol_times_expected():
    exp = t(100.0)
    assert compare.mismatch(t(100.0 + 0.0011), exp, 1e-5, 1e-4) is None  # 0.0011 <= 1e-4 + 1e-3
    assert compare.mismatch(t(100.0 + 0.0012), exp, 1e-5, 1e-4) is not None


def test_zero_dim_tensors():
    assert compare.mismatch(torch.tensor(1.0, dtype=D), torch.tensor(1.0, dtype=D), 1e-7, 0) is None
    m = compare.mismatch(torch.tensor(2.0, dtype=D), torch.tensor(1.0, dtype=D), 1e-7, 0)
    assert (m.count, m.total) == (1, 1)
    assert m.abs_index == () and m.max_abs == 1.0 and m.got_at == 2.0 and m.expected_at == 1.0
    assert render(m.entry("loss").key, "en", **m.entry("loss").params) == "`loss` = 2.0, but should be roughly 1.0"


def test_empty_tensors_match():
    assert compare.mismatch(torch.empty(0, 3), torch.empty(0, 3), 0, 0) is None


def test_shapes_must_agree():
    with pytest.raises(ValueError):
        compare.mismatch(torch.zeros(2), torch.zeros(3), 0, 0)
    assert not compare.close(torch.zeros(2), torch.zeros(3), 0, 0)


def test_nan_in_result_is_a_mismatch():
    m = compare.mismatch(t(1.0, float("nan")), t(1.0, 0.5), 1e-5, 1e-6)
    assert m is not None and m.count == 1 and m.abs_index == (1,)
    assert math.isinf(m.max_abs) and math.isnan(m.got_at)


@pytest.mark.parametrize("inf", [float("inf"), -float("inf")])
def test_same_sign_infinities_are_equal(inf):
    assert compare.mismatch(t(inf, 1.0), t(inf, 1.0), 1e-5, 1e-6) is None


def test_infinity_against_finite_or_opposite_sign_is_a_mismatch():
    m = compare.mismatch(t(float("inf"), 1.0), t(-float("inf"), 1.0), 1e-5, 1e-6)
    assert m is not None and m.count == 1 and m.abs_index == (0,)
    m = compare.mismatch(t(float("inf")), t(3.0), 1e-5, 1e-6)
    assert m is not None and m.count == 1
    # an infinite expected value gives no infinite tolerance to the other entries
    m = compare.mismatch(t(float("inf"), 5.0), t(float("inf"), 1.0), 1e-5, 1e-6)
    assert m is not None and m.count == 1 and m.abs_index == (1,)


def test_float32_inputs_are_compared_in_float64():
    got = torch.tensor([1.0 + 2**-20], dtype=torch.float32)
    exp = torch.tensor([1.0], dtype=torch.float64)
    m = compare.mismatch(got, exp, 0, 1e-7)
    assert m is not None and m.max_abs == pytest.approx(2**-20)


def test_headline_entry_names_an_element_that_is_out_of_tolerance():
    got, exp = t(1000.001, 0.0005), t(1000.0, 0.0)
    rtol, atol = 1e-5, 1e-6
    m = compare.mismatch(got, exp, rtol, atol)
    assert m is not None and m.count == 1
    i = m.worst_index
    assert abs(float(got[i]) - float(exp[i])) > atol + rtol * abs(float(exp[i]))
    assert m.entry("y").params["index"] == "[1]"
    assert m.abs_index == (0,)  # the statistics still report the greatest absolute difference, as assert_close does


# -- tolerances ------------------------------------------------------------------------------


def test_float32_atol_grows_with_magnitude():
    r1, a1 = tolerances.tolerance(torch.float32, 1.0)
    r2, a2 = tolerances.tolerance(torch.float32, 1e4)
    assert r1 == r2 == tolerances.TABLE[torch.float32].rtol
    assert a2 > a1 * 100
    eps = torch.finfo(torch.float32).eps
    assert a2 == pytest.approx(1e-6 + 16 * eps * 1e4)


def test_magnitude_below_one_does_not_shrink_atol():
    assert tolerances.tolerance(torch.float32, 1e-3) == tolerances.tolerance(torch.float32, 1.0)


def test_float64_is_tighter_than_float32():
    r32, a32 = tolerances.tolerance(torch.float32, 10.0)
    r64, a64 = tolerances.tolerance(torch.float64, 10.0)
    assert r64 < r32 and a64 < a32


def test_sound_float32_rounding_at_1e4_passes_and_a_real_error_does_not():
    x = torch.tensor([[1e4, -1e4, 0.0, 9999.5]], dtype=torch.float32)
    exp = torch.softmax(x.double() * 0.5, -1) * 1e4  # values up to 1e4
    got = exp.to(torch.float32)  # rounding only
    rtol, atol = tolerances.tolerance(torch.float32, 1e4)
    assert compare.mismatch(got, exp, rtol, atol) is None
    assert compare.mismatch(got * 1.001, exp, rtol, atol) is not None


def test_gradient_tolerance_is_not_scaled():
    assert tolerances.GRADIENT.eps_factor == 0.0


def test_relative_difference_is_inf_where_the_expected_value_is_zero():
    # as torch.testing.assert_close reports it, not |diff| / tiny (which printed 1.348e+308)
    from checker.numerics.compare import mismatch

    m = mismatch(torch.tensor([3.0, 1.0]), torch.tensor([0.0, 1.0]), 1e-5, 1e-6)
    assert m is not None and m.max_rel == float("inf") and m.rel_index == (0,)
    same = mismatch(torch.tensor([0.0, 2.0]), torch.tensor([0.0, 1.0]), 1e-5, 1e-6)
    assert same is not None and same.max_rel == 1.0 and same.rel_index == (1,)
