"""checker.validate.like: the structure of a returned value, before any comparison."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from checker.grading import values as validate
from checker.messages import ENGINE

render_msg = ENGINE.render_msg
from checker.grading.outcome import CheckFailure  # noqa: E402 - after the path set-up above
from checker.sandbox.wire import Handle, Opaque  # noqa: E402 - after the path set-up above


def failure(got, expected, what="p", names=None) -> CheckFailure:
    with pytest.raises(CheckFailure) as e:
        validate.like(got, expected, what, names)
    return e.value


def text(f: CheckFailure, lang="en") -> str:
    return render_msg(f.msg, lang)


def test_a_plain_tensor_of_the_right_shape_passes_unchanged():
    g = torch.zeros(2, 3)
    assert validate.like(g, torch.ones(2, 3, dtype=torch.float64), "p") is g


def test_dtype_is_not_this_functions_business():
    g = torch.zeros(2, dtype=torch.float16)
    assert validate.like(g, torch.zeros(2), "p") is g


@pytest.mark.parametrize(
    "got, described",
    [
        ([[0.1, 0.9]], "a list"),
        (np.zeros((1, 2)), "numpy.ndarray"),
        (None, "NoneType"),
        (0.5, "float"),
        ((torch.zeros(1, 2),), "a tuple of 1"),
        ({"p": 1}, "a dict"),
        (Handle(1), "Handle"),
    ],
    ids=lambda v: type(v).__name__,
)
def test_non_tensor_where_a_tensor_is_expected(got, described):
    f = failure(got, torch.zeros(1, 2))
    assert f.msg.key == "bad_type"
    t = text(f)
    assert t.startswith("`p` is ") and "should be a torch.Tensor" in t and described in t


def test_tensor_subclass_is_rejected_with_its_type_named():
    f = failure(Opaque("submission.Sneaky", "a subclass of torch.Tensor"), torch.zeros(3))
    assert f.msg.key == "bad_type"
    assert "subclass of torch.Tensor (submission.Sneaky)" in text(f)
    assert "サブクラス" in text(f, "ja")


def test_opaque_object_is_rejected_with_its_type_named():
    f = failure(Opaque("submission.Evil", ""), torch.zeros(3))
    assert "an object of type submission.Evil" in text(f)


def test_wrong_shape_is_reported():
    f = failure(torch.zeros(3, 2), torch.zeros(2, 4), "grad_W")
    assert f.msg.key == "bad_shape"
    assert text(f) == "`grad_W` has shape (3, 2), but should have shape (2, 4)"
    assert f.details == []


def test_transposed_shape_gets_the_hint():
    f = failure(torch.zeros(4, 2), torch.zeros(2, 4), "grad_W")
    assert f.msg.key == "bad_shape"
    assert [d.key for d in f.details] == ["hint_transposed"]


def test_one_d_shapes_get_no_transposed_hint():
    f = failure(torch.zeros(3), torch.zeros(2), "p")
    assert "(3,)" in text(f) and "(2,)" in text(f)
    assert f.details == []


def test_zero_dim_expected_rejects_a_vector():
    f = failure(torch.zeros(1), torch.tensor(0.0), "loss")
    assert text(f) == "`loss` has shape (1,), but should have shape ()"


def test_tuple_parts_are_named_and_validated():
    exp = (torch.zeros(2, 3), torch.zeros(3, 4), torch.zeros(4))
    names = ["grad_x", "grad_W", "grad_b"]
    ok = validate.like([torch.ones(2, 3), torch.ones(3, 4), torch.ones(4)], exp, "linear_backward", names)
    assert isinstance(ok, tuple) and len(ok) == 3
    f = failure((torch.ones(2, 3), torch.ones(4, 3), torch.ones(4)), exp, "linear_backward", names)
    assert f.msg.params["what"] == "grad_W" and [d.key for d in f.details] == ["hint_transposed"]
    f = failure((torch.ones(2, 3), torch.ones(3, 4), torch.ones(2)), exp, "linear_backward", names)
    assert f.msg.params["what"] == "grad_b"


def test_tuple_parts_without_names_are_indexed():
    f = failure((torch.ones(2), "x"), (torch.zeros(2), torch.zeros(2)), "out")
    assert f.msg.params["what"] == "out[1]"


def test_tuple_of_the_wrong_length_or_kind():
    exp = (torch.tensor(0.0), torch.zeros(2, 2))
    f = failure((torch.tensor(0.0),), exp, "loss_and_grad")
    assert f.msg.key == "bad_len" and "has 1 elements, but should have 2" in text(f)
    f = failure(torch.zeros(2, 2), exp, "loss_and_grad")
    assert f.msg.key == "bad_type" and "a tuple of 2" in text(f)


def test_float_rules():
    assert validate.like(3, 0.0, "acc") == 3.0 and isinstance(validate.like(3, 0.0, "acc"), float)
    assert validate.like(0.25, 0.0, "acc") == 0.25
    assert validate.like(torch.tensor([0.5]), 0.0, "acc") == 0.5
    assert validate.like(Opaque("numpy.float32", "0.75"), 0.0, "acc") == 0.75
    for bad in (True, "0.5", torch.tensor([1, 2]), torch.tensor(1), Opaque("numpy.int64", "3"), None):
        f = failure(bad, 0.0, "acc")
        assert f.msg.key == "bad_type" and "a Python float" in text(f)


def test_unknown_expected_kind_is_a_checker_bug_not_a_failure():
    with pytest.raises(TypeError):
        validate.like(1, "str", "x")


def test_leaves_names_tuple_parts():
    v = (torch.zeros(1), torch.ones(2))
    assert [n for n, _ in validate.leaves(v, ["loss", "grad_W"], "loss_and_grad")] == ["loss", "grad_W"]
    assert [n for n, _ in validate.leaves(torch.zeros(1), None, "p")] == ["p"]
