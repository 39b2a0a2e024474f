"""The training checks' own evidence, without a sandbox: the grader's copy of the single-layer network, checkpoints
loaded safely, the learning rate read for feedback, the made-up histories for plot_history (issue 7)."""

from __future__ import annotations

import io

import pytest
import torch

from checker.grading.outcome import CheckFailure
from nlp100_ch08.checks import training as T

D, L = 300, 4


def linear_state(bias: bool = True, transposed: bool = False) -> dict:
    m = torch.nn.Linear(D, L, bias=bias)
    state = dict(m.state_dict())
    if transposed:
        state["weight"] = state["weight"].T.contiguous()
    return state


@pytest.mark.parametrize("bias", [True, False])
def test_the_single_layer_network_is_read_from_its_weights(bias):
    state = linear_state(bias)
    lin = T.single_layer(state, D, L)
    X = torch.randn(5, D)
    want = X.double() @ state["weight"].double().T + (state["bias"].double() if bias else 0)
    assert torch.allclose(lin.logits(X), want)


def test_a_hand_made_module_computing_x_at_w_with_w_d_by_l_is_accepted():
    W = torch.randn(D, L)
    lin = T.single_layer({"W": W}, D, L)
    X = torch.randn(3, D)
    assert torch.allclose(lin.logits(X), (X @ W).double(), atol=1e-5)


@pytest.mark.parametrize(
    "state, shown",
    [
        (
            {
                "0.weight": torch.zeros(16, D),
                "0.bias": torch.zeros(16),
                "1.weight": torch.zeros(L, 16),
                "1.bias": torch.zeros(L),
            },
            "0.weight",
        ),
        (
            {"weight": torch.zeros(L, D), "bn.running_mean": torch.zeros(D), "bn.num_batches_tracked": torch.tensor(0)},
            "bn.running_mean",
        ),
        ({"weight": torch.zeros(L, D), "extra": torch.zeros(L, D)}, "extra"),
        ({"weight": torch.zeros(L, D), "b1": torch.zeros(L), "b2": torch.zeros(L)}, "b2"),
    ],
    ids=["two-layers", "batch-norm", "two-weights", "two-biases"],
)
def test_anything_but_one_weight_and_one_bias_fails_naming_the_extra_parameters(state, shown):
    with pytest.raises(CheckFailure) as e:
        T.single_layer(state, D, L)
    assert e.value.msg.key == "not_single_layer" and shown in e.value.msg.params["got"]


@pytest.mark.parametrize("state", [{}, None, {"weight": "not a tensor"}, [torch.zeros(L, D)]])
def test_a_state_that_is_not_tensors_fails(state):
    with pytest.raises(CheckFailure) as e:
        T.single_layer(state, D, L)
    assert e.value.msg.key == "state_not_tensors"


def test_weights_that_are_not_finite_are_said_to_be():
    lin = T.single_layer({"weight": torch.full((L, D), float("nan"))}, D, L)
    assert not lin.finite


def _ckpt(obj) -> T.Checkpoint:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return T.Checkpoint(3, buf.getvalue())


def _sgd_state(momentum: float = 0.9, lr: float = 0.05) -> dict:
    m = torch.nn.Linear(D, L, bias=False)
    opt = torch.optim.SGD(m.parameters(), lr=lr, momentum=momentum)
    m(torch.randn(2, D)).sum().backward()
    opt.step()
    return {"model": m.state_dict(), "optimizer": opt.state_dict()}


def test_a_contract_checkpoint_loads_and_an_epoch_tensor_is_read_as_its_value():
    assert T.parse_checkpoint(_ckpt({"epoch": 3, **_sgd_state()}))["epoch"] == 3
    assert T.parse_checkpoint(_ckpt({"epoch": torch.tensor(3), **_sgd_state()}))


@pytest.mark.parametrize(
    "obj, problem",
    [
        ({"epoch": 2}, "ckpt_keys"),
        ({"epoch": 4, "model": {}, "optimizer": {}}, "ckpt_epoch"),
        ({"epoch": 3.0, "model": {"w": torch.zeros(1)}, "optimizer": {"state": {}, "param_groups": []}}, "ckpt_epoch"),
        ({"epoch": 3, "model": {"w": 1}, "optimizer": {"state": {}, "param_groups": []}}, "ckpt_model"),
        ({"epoch": 3, "model": {"w": torch.zeros(1)}, "optimizer": {"param_groups": []}}, "ckpt_optimizer"),
    ],
)
def test_a_checkpoint_without_what_the_contract_names_fails_with_what_is_missing(obj, problem):
    with pytest.raises(CheckFailure) as e:
        T.parse_checkpoint(_ckpt(obj))
    assert e.value.msg.key == "checkpoint_content" and e.value.msg.params["problem"].key == problem


def test_an_expanded_tensor_in_a_checkpoint_is_refused_not_materialised():
    with pytest.raises(CheckFailure) as e:
        T.parse_checkpoint(_ckpt({"epoch": 3, "model": {"w": torch.zeros(1).expand(10**8)}, "optimizer": {}}))
    assert e.value.msg.key == "checkpoint_unreadable"


def test_a_missing_file_is_a_clear_failure_and_is_remembered():
    ck = T.Checkpoint(2, None)
    for _ in range(2):
        with pytest.raises(CheckFailure) as e:
            T.parse_checkpoint(ck)
        assert e.value.msg.key == "checkpoint_unreadable"


def test_the_learning_rate_for_feedback_comes_from_the_checkpoints_optimizer():
    s = T.optimizer_settings(_ckpt({"epoch": 3, **_sgd_state(0.9, 0.05)}))
    assert s["lr"] == 0.05 and s["momentum"] == 0.9 and abs(s["effective"] - 0.5) < 1e-9
    assert T.optimizer_settings(None) is None
    assert T.optimizer_settings(T.Checkpoint(3, b"not a checkpoint")) is None


def test_the_probe_histories_differ_where_plot_history_must_show_it():
    a, b = T._probe_history(8, 0.0), T._probe_history(8, 0.3)
    assert [r["epoch"] for r in a] == list(range(1, 9))
    assert [r["train_loss"] for r in a] == [r["train_loss"] for r in b]
    assert [r["valid_loss"] for r in a] != [r["valid_loss"] for r in b]
    assert all(0 <= r[k] <= 1 for r in a + b for k in ("train_acc", "valid_acc"))


def test_each_curve_can_be_bent_alone_for_plot_history():
    base = T._probe_history(8, 0.0)
    for key in ("train_loss", "valid_loss", "train_acc", "valid_acc"):
        bent = T._probe_history(8, 0.0, only=key)
        changed = {k for a, b in zip(base, bent) for k in a if a[k] != b[k]}
        assert changed == {key}
        assert all(0 <= r[k] <= 1 for r in bent for k in ("train_acc", "valid_acc"))


def test_history_is_held_to_the_contract():
    good = [{"epoch": k, "train_loss": 1.0, "train_acc": 0.5, "valid_loss": 1.0, "valid_acc": 0.5} for k in (1, 2)]
    assert len(T.validate_history(good, 2)) == 2
    for bad, key in [
        ([{**good[0], "epoch": 0}, good[1]], "history_epoch"),
        ([{**good[0], "valid_acc": 55.0}, good[1]], "history_value"),
        ([{**good[0], "extra": 1}, good[1]], "history_keys"),
        (good[:1], "history_len"),
        ("not a list", "history_type"),
    ]:
        with pytest.raises(CheckFailure) as e:
            T.validate_history(bad, 2)
        assert e.value.msg.key == key
