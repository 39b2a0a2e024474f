"""checker.checks.functional: every check accepts a right answer and rejects the mistake it exists for.

The corpus (test_e2e_submissions) reports only the first failing check of an item, so the checks that
come later in an item's list (sums_to_one, probabilities, shift_invariant, rows_sum_to_zero, the
gradient checks) are proven here, each on its own: the real ItemContext runs against an in-process
stand-in for the sandbox session that passes every argument and result through the wire format.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import torch

from checker.grading.context import ItemContext
from checker.grading.installed import installed_registry
from checker.grading.outcome import CheckFailure
from checker.grading.plan import Options, Submission
from checker.sandbox import wire
from checker.sandbox.limits import Limits
from checker.sandbox.client import CallResult
from checker.spec import discover

from conftest import SUBMISSIONS

EXERCISES = discover()
REGISTRY = installed_registry()
CORRECT = (SUBMISSIONS / "correct_plain.py").read_text(encoding="utf-8")


def through_wire(values: dict) -> dict:
    frame = wire.encode_frame({}, values)
    hlen = wire.PREFIX.unpack(frame[: wire.PREFIX.size])[0]
    return wire.decode_frame(frame[wire.PREFIX.size : wire.PREFIX.size + hlen], frame[wire.PREFIX.size + hlen :])[1]


class InProcessSession:
    """The session's call/map, run here on copies that went through the wire, as the worker gets them."""

    alive = True

    def __init__(self, source: str):
        self.ns: dict = {}
        exec(compile(source, "submission.py", "exec"), self.ns)  # noqa: S102 - our own test code

    def call(self, fn, args=(), kwargs=None, *, seed=0, keep=False, timeout=None, return_args=False, tripwire=None):
        v = through_wire({"args": list(args), "kwargs": dict(kwargs or {})})
        torch.manual_seed(seed)
        out = self.ns[fn](*v["args"], **v["kwargs"])
        back = through_wire({"result": out, "args": tuple(v["args"])})
        return CallResult(back["result"], {"args_after": back["args"]} if return_args else {})

    def map(self, fn, args, vary, stack, *, select=None, kwargs=None, seed=0, timeout=None):
        v = through_wire({"args": list(args), "stack": stack})
        outs = []
        for row in v["stack"]:
            a = list(v["args"])
            a[vary] = row.clone()
            out = self.ns[fn](*a)
            outs.append(out[select] if select is not None and isinstance(out, tuple) else out)
        return through_wire({"r": outs})["r"]


def context(ex_id: str, item_name: str, override: str = "", source: str | None = None) -> ItemContext:
    src = CORRECT + "\n\n" + override if source is None else source
    ex = EXERCISES[ex_id]
    item = next(i for i in ex.items if i.name == item_name)
    sub = Submission(Path("submission.py"), src, hashlib.sha256(src.encode()).hexdigest(), set())
    session = InProcessSession(src)
    defined = {k for k, v in session.ns.items() if callable(v) and not k.startswith("__")}
    return ItemContext(
        item=item,
        exercise=ex,
        session=session,
        submission=sub,
        options=Options(),
        defined=defined,
        limits=Limits(),
        registry=REGISTRY,
        client=session,
    )


def fixed(name: str, label: str | None = None):
    cases = REGISTRY.space(name).fixed
    return cases[0] if label is None else next(c for c in cases if REGISTRY.catalog.render_msg(c.label, "en") == label)


def run_check(ctx: ItemContext, check: str, case=None):
    fn = REGISTRY.checks[check]
    ctx.begin_case()
    return fn(ctx, case) if case is not None else fn(ctx)


def rejects(ctx: ItemContext, check: str, case=None) -> CheckFailure:
    with pytest.raises(CheckFailure) as e:
        run_check(ctx, check, case)
    return e.value


# (check, exercise, item, case label or None, wrong implementation, message key)
WRONG = [
    (
        "matches_reference",
        "71",
        "softmax",
        "dim=1",
        "def softmax(x, dim=-1):\n    e = (x - x.max()).exp()\n    return e / e.sum(dim=0, keepdim=True)\n",
        "mismatch_entry",
    ),
    (
        "finite",
        "71",
        "softmax",
        "magnitude 1e4",
        "def softmax(x, dim=-1):\n    e = x.exp()\n    return e / e.sum(dim=dim, keepdim=True)\n",
        "non_finite",
    ),
    (
        "dtype_preserved",
        "71",
        "softmax",
        None,
        "def softmax(x, dim=-1):\n    x = x.double()\n    e = (x - x.max(dim=dim, keepdim=True).values).exp()\n"
        "    return e / e.sum(dim=dim, keepdim=True)\n",
        "bad_dtype",
    ),
    (
        "no_inplace",
        "71",
        "softmax",
        None,
        "def softmax(x, dim=-1):\n    x -= x.max(dim=dim, keepdim=True).values\n    e = x.exp()\n"
        "    return e / e.sum(dim=dim, keepdim=True)\n",
        "modified_input",
    ),
    (
        "sums_to_one",
        "71",
        "softmax",
        None,
        "def softmax(x, dim=-1):\n    e = (x - x.max(dim=dim, keepdim=True).values).exp()\n"
        "    return e / (e.sum(dim=dim, keepdim=True) + 1)\n",
        "not_sum_to_one",
    ),
    (
        "probabilities",
        "71",
        "softmax",
        None,
        "def softmax(x, dim=-1):\n    e = (x - x.max(dim=dim, keepdim=True).values).exp()\n"
        "    p = e / e.sum(dim=dim, keepdim=True)\n    return 2 * p - 1 / x.shape[dim]\n",
        "not_probability",
    ),
    (
        "shift_invariant",
        "71",
        "softmax",
        None,
        "def softmax(x, dim=-1):\n    x = x / (1 + x.abs().max())\n    e = (x - x.max(dim=dim, keepdim=True).values).exp()\n"
        "    return e / e.sum(dim=dim, keepdim=True)\n",
        "not_shift_invariant",
    ),
    (
        "sums_to_one",
        "71",
        "predict_proba",
        None,
        "def predict_proba(X, W):\n    return (X @ W).exp()\n",
        "not_sum_to_one",
    ),
    (
        "rows_sum_to_zero",
        "72",
        "softmax_cross_entropy_backward",
        None,
        "def softmax_cross_entropy_backward(logits, y):\n    e = (logits - logits.max(1, keepdim=True).values).exp()\n"
        "    return e / e.sum(1, keepdim=True) / logits.shape[0]\n",
        "rows_not_zero",
    ),
    (
        "gradient_linear",
        "72",
        "linear_backward",
        None,
        "def linear_backward(grad_y, x, W):\n    return grad_y @ W.T, 2 * (x.T @ grad_y), grad_y.sum(0)\n",
        "grad_inconsistent",
    ),
    (
        "gradient_linear",
        "72",
        "linear_backward",
        None,
        "def linear_backward(grad_y, x, W):\n    return grad_y @ W.T, x.T @ grad_y, grad_y.sum(0) * 0\n",
        "grad_inconsistent",
    ),
    (
        "gradient_softmax_cross_entropy",
        "72",
        "softmax_cross_entropy_backward",
        None,
        "def softmax_cross_entropy_backward(logits, y):\n    import torch\n"
        "    p = torch.exp(logits - torch.logsumexp(logits, 1, keepdim=True))\n"
        "    oh = torch.zeros_like(p)\n    oh[torch.arange(len(y)), y] = 1\n    return (oh - p) / len(y)\n",
        "grad_inconsistent",
    ),
    (
        "gradient_loss_and_grad",
        "72",
        "loss_and_grad",
        None,
        "def loss_and_grad(X, y, W):\n    import torch\n    z = X @ W\n    lse = torch.logsumexp(z, 1)\n"
        "    loss = (lse - z[torch.arange(len(y)), y]).mean()\n    p = torch.exp(z - lse[:, None])\n"
        "    oh = torch.zeros_like(p)\n    oh[torch.arange(len(y)), y] = 1\n    return loss, X.T @ (p - oh)\n",
        "grad_inconsistent",
    ),
    (
        "hand_written",
        "71",
        "softmax",
        None,
        "import torch.nn.functional as F\ndef softmax(x, dim=-1):\n    return F.softmax(x, dim=dim)\n",
        "forbidden_call",
    ),
    (
        "hand_written",
        "72",
        "linear_backward",
        None,
        "def linear_backward(grad_y, x, W):\n    x = x.detach().requires_grad_(True)\n    W = W.detach().requires_grad_(True)\n"
        "    (x @ W * grad_y).sum().backward()\n    return x.grad, W.grad, grad_y.sum(0)\n",
        "forbidden_call",
    ),
]

WRONG_IDS = [f"{c}-{item}-{i}" for i, (c, _, item, _, _, _) in enumerate(WRONG)]


def _case(item, label):
    if label is None:
        return fixed(EXERCISES_ITEM_INPUTS[item])
    return fixed(EXERCISES_ITEM_INPUTS[item], label)


EXERCISES_ITEM_INPUTS = {i.name: i.inputs for ex in EXERCISES.values() for i in ex.items if i.inputs}


@pytest.mark.parametrize("check, ex_id, item, label, wrong, key", WRONG, ids=WRONG_IDS)
def test_check_rejects_its_mistake(check, ex_id, item, label, wrong, key):
    ctx = context(ex_id, item, wrong)
    per_case = getattr(REGISTRY.checks[check], "per_case", False)
    f = rejects(ctx, check, _case(item, label) if per_case else None)
    assert f.msg.key == key


@pytest.mark.parametrize("check, ex_id, item, label, wrong, key", WRONG, ids=WRONG_IDS)
def test_check_accepts_the_right_answer(check, ex_id, item, label, wrong, key):
    ctx = context(ex_id, item)
    per_case = getattr(REGISTRY.checks[check], "per_case", False)
    assert run_check(ctx, check, _case(item, label) if per_case else None) is None


def test_every_check_of_the_function_exercises_is_proven_here():
    used = {c for e in ("70", "71", "72") for i in EXERCISES[e].items for c in i.checks}
    assert used == {w[0] for w in WRONG}


@pytest.mark.parametrize(
    "item",
    [
        "featurize",
        "softmax",
        "predict_proba",
        "cross_entropy",
        "linear_forward",
        "linear_backward",
        "softmax_cross_entropy_backward",
        "loss_and_grad",
    ],
)
def test_every_check_of_every_item_accepts_the_correct_solution_on_every_fixed_case(item):
    ex_id = next(e for e in ("70", "71", "72") if any(i.name == item for i in EXERCISES[e].items))
    ctx = context(ex_id, item)
    spec_item = ctx.item
    for check in spec_item.checks:
        fn = REGISTRY.checks[check]
        if getattr(fn, "per_case", False):
            for case in REGISTRY.space(spec_item.inputs).fixed:
                ctx.begin_case()
                fn(ctx, case)
        else:
            fn(ctx)


def test_failures_carry_what_came_back():
    f = rejects(context("71", "softmax", WRONG[0][4]), "matches_reference", fixed("softmax", "dim=1"))
    assert f.counterexample["got"].startswith("torch.tensor(") and f.counterexample["expected"].startswith(
        "torch.tensor("
    )
    assert any(d.key == "hint_other_dim" for d in f.details)


def test_forbidden_call_names_the_helper_it_was_found_in():
    override = (
        "import torch\ndef _norm(e, dim):\n    return torch.softmax(e, dim)\n"
        "def softmax(x, dim=-1):\n    return _norm(x, dim)\n"
    )
    f = rejects(context("71", "softmax", override), "hand_written")
    assert f.msg.params["name"] == "torch.softmax"
    assert f.msg.params["via"].params == {"helper": "_norm"}
    assert f.line == CORRECT.count("\n") + 2 + 3


def test_unreadable_source_is_reported_not_crashed():
    ctx = context("71", "softmax")
    ctx.submission = Submission(Path("s.py"), "def softmax(x:\n", "0" * 64, set())
    assert rejects(ctx, "hand_written").msg.key == "source_unreadable"


def test_a_wrong_forward_does_not_fail_the_gradient_item():
    # linear_forward ignores b: the gradient check falls back on the reference forward
    ctx = context("72", "linear_backward", "def linear_forward(x, W, b=None):\n    return x @ W\n")
    assert run_check(ctx, "gradient_linear", fixed("linear_backward")) is None
    ctx = context(
        "72", "softmax_cross_entropy_backward", "def cross_entropy(logits, y):\n    return logits.sum() * 0\n"
    )
    assert run_check(ctx, "gradient_softmax_cross_entropy", fixed("softmax_cross_entropy_backward")) is None


def test_gradient_failure_names_the_forward_used():
    ctx = context("72", "linear_backward", WRONG[9][4])
    f = rejects(ctx, "gradient_linear", fixed("linear_backward"))
    assert f.msg.params["what"] == "grad_W"
    assert f.msg.params["forward"].key == "your_forward"
    assert any(d.key == "grad_entry" for d in f.details)
