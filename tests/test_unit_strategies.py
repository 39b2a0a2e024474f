"""checker.strategies: every input space stays within the caps, in its fixed cases and its draws."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker import strategies
from checker.errors import SpecError
from checker.grading.installed import installed_registry
from checker.strategies import FLOATS, MAX_COLS, MAX_ELEMENTS, MAX_MAGNITUDE, MAX_ROWS, Case, make_tensor
from nlp100_ch08 import references as ch08

REGISTRY = installed_registry()
SPACES = sorted(REGISTRY.spaces)

# space -> (position of the labels, where the number of classes is read: (arg, dim))
LABEL_SPACES = {
    "cross_entropy": (1, (0, 1)),
    "softmax_cross_entropy_backward": (1, (0, 1)),
    "loss_and_grad": (1, (2, 1)),
}


def check_case(name: str, case: Case) -> None:
    assert isinstance(case, Case) and isinstance(case.args, tuple) and isinstance(case.kwargs, dict)
    assert case.magnitude >= 1.0 or name == "featurize"
    floats = []
    for a in list(case.args) + list(case.kwargs.values()):
        if isinstance(a, torch.Tensor):
            assert a.numel() <= MAX_ELEMENTS
            assert a.dim() <= 2
            if a.dim() == 2:
                assert a.shape[0] <= MAX_ROWS and a.shape[1] <= MAX_COLS
            if a.is_floating_point():
                assert a.dtype in FLOATS
                assert bool(torch.isfinite(a).all())
                if a.numel():
                    assert float(a.abs().max()) <= MAX_MAGNITUDE
                floats.append(a)
            else:
                assert a.dtype == torch.int64
    # all floating inputs of one case share a dtype
    assert len({a.dtype for a in floats}) <= 1
    if name in LABEL_SPACES:
        yi, (ci, cd) = LABEL_SPACES[name]
        y = case.args[yi]
        n_classes = case.args[ci].shape[cd]
        assert y.dtype == torch.int64 and y.dim() == 1
        assert y.shape[0] == case.args[0].shape[0]
        assert bool((y >= 0).all()) and bool((y < n_classes).all())
    if name == "featurize":
        titles, vectors = case.args
        assert isinstance(titles, list) and all(
            isinstance(t, list) and all(isinstance(w, str) for w in t) for t in titles
        )
        dims = {v.shape for v in vectors.values()}
        assert len(dims) == 1
        for v in vectors.values():
            assert isinstance(v, np.ndarray) and v.dtype == np.float32 and np.all(np.abs(v) <= MAX_MAGNITUDE)
    if name == "softmax":
        dim = case.kwargs.get("dim", -1)
        assert -case.args[0].dim() <= dim < case.args[0].dim()
    # the reference accepts the case (so the expected value exists)
    ref = getattr(ch08, name)
    ref(*case.args, **case.kwargs)


def test_spaces_cover_the_function_exercises():
    assert set(SPACES) >= {
        "featurize",
        "softmax",
        "predict_proba",
        "cross_entropy",
        "linear_forward",
        "linear_backward",
        "softmax_cross_entropy_backward",
        "loss_and_grad",
    }


@pytest.mark.parametrize("name", SPACES)
def test_fixed_cases_respect_the_caps(name):
    sp = REGISTRY.space(name)
    assert sp.fixed, "every space has hand-picked cases"
    for case in sp.fixed:
        check_case(name, case)
        assert case.label


@pytest.mark.parametrize("name", SPACES)
def test_draws_respect_the_caps(name):
    sp = REGISTRY.space(name)

    @settings(max_examples=60, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(st.data())
    def prop(data):
        check_case(name, sp.draw(data))

    prop()


def test_draws_reach_both_dtypes_and_large_magnitudes():
    sp = REGISTRY.space("softmax")
    seen_dtypes, seen_max = set(), 0.0

    @settings(max_examples=80, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(st.data())
    def prop(data):
        nonlocal seen_max
        c = sp.draw(data)
        seen_dtypes.add(c.args[0].dtype)
        seen_max = max(seen_max, float(c.args[0].abs().max()))

    prop()
    assert seen_dtypes == set(FLOATS)
    assert seen_max >= 1e3


def test_unknown_space_is_a_spec_error():
    with pytest.raises(SpecError):
        REGISTRY.space("no_such_space")


@pytest.mark.parametrize("kind", strategies.KINDS)
@pytest.mark.parametrize("scale", strategies.SCALES)
def test_make_tensor_is_deterministic_and_bounded(kind, scale):
    a = make_tensor((7, 5), torch.float32, kind, scale, seed=11)
    b = make_tensor((7, 5), torch.float32, kind, scale, seed=11)
    assert torch.equal(a, b)
    assert a.dtype == torch.float32 and a.shape == (7, 5)
    assert float(a.abs().max()) <= max(scale, 10.0)
    c = make_tensor((7, 5), torch.float32, kind, scale, seed=12)
    assert not torch.equal(a, c)
    d64 = make_tensor((7, 5), torch.float64, kind, scale, seed=11)
    assert torch.equal(d64.to(torch.float32), a)


def test_make_tensor_handles_empty_shapes_and_rejects_unknown_kinds():
    assert make_tensor((0, 3), torch.float64, "spiky", 10.0, 0).shape == (0, 3)
    with pytest.raises(ValueError):
        make_tensor((2,), torch.float32, "gaussian", 1.0, 0)


def test_recipe_rebuilds_the_tensor():
    shape, dtype, kind, scale, seed = (3, 4), torch.float64, "uniform", 100.0, 42
    r = strategies.recipe(shape, dtype, kind, scale, seed)
    rebuilt = eval(r, {"make_tensor": make_tensor, "torch": torch})  # noqa: S307 - our own text
    assert torch.equal(rebuilt, make_tensor(shape, dtype, kind, scale, seed))


def test_labels_are_deterministic_and_in_range():
    y = strategies.labels_for(50, 3, 9)
    assert torch.equal(y, strategies.labels_for(50, 3, 9))
    assert y.dtype == torch.int64 and int(y.min()) >= 0 and int(y.max()) < 3


def test_case_float64_and_clone():
    c = Case((torch.ones(2, dtype=torch.float32), torch.tensor([1])), {"b": torch.zeros(1)}, 2.0, {0: "r"}, "lbl")
    c64 = c.float64()
    assert (
        c64.args[0].dtype == torch.float64
        and c64.args[1].dtype == torch.int64
        and c64.kwargs["b"].dtype == torch.float64
    )
    assert c64.label == "lbl" and c64.magnitude == 2.0
    cl = c.clone()
    cl.args[0].add_(1)
    assert torch.equal(c.args[0], torch.ones(2))
