"""checker.grading.mutation (the operators, ids, sampling) and mutation_run (classifying a grading, equivalence by
results), on small sources: no sandbox, no grading."""

from __future__ import annotations

import ast
import json
import textwrap

import pytest

from checker.grading import mutation_run
from checker.grading.mutation import ID_PATTERN, OPERATORS, mutants, sample
from checker.spec import discover

from conftest import ROOT
from test_unit_spec import make_exercise


def mutated(source: str, function: str, operator: str) -> list[str]:
    """The mutated function (normalised by ast.unparse) of every mutant of ``operator``."""
    out = []
    for m in mutants(textwrap.dedent(source), [function], [operator]):
        tree = ast.parse(m.source)
        out.append(ast.unparse(next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == function)))
    return out


def body(text: str) -> str:
    return ast.unparse(ast.parse(textwrap.dedent(text)).body[0])


@pytest.mark.parametrize(
    "operator, source, expected",
    [
        ("swap", "def f(a, b):\n    return a - b\n", "def f(a, b):\n    return b - a"),
        ("swap", "def f(a, b):\n    return a @ b\n", "def f(a, b):\n    return b @ a"),
        ("drop", "def f(a, b):\n    return a + b\n", "def f(a, b):\n    return a"),
        ("dim", "def f(x):\n    return x.sum(dim=-1)\n", "def f(x):\n    return x.sum(dim=0)"),
        ("dim", "def f(x):\n    return np.mean(x, axis=1)\n", "def f(x):\n    return np.mean(x, axis=0)"),
        ("dim", "def f(x):\n    return x.sum(1)\n", "def f(x):\n    return x.sum(0)"),
        ("dim", "def f(x, d):\n    return x.sum(dim=d)\n", "def f(x, d):\n    return x.sum(dim=-1)"),
        ("transpose", "def f(a, b):\n    return a @ b.T\n", "def f(a, b):\n    return a @ b"),
        ("transpose", "def f(a):\n    return a.t()\n", "def f(a):\n    return a"),
        ("transpose", "def f(a):\n    return a.transpose(0, 1)\n", "def f(a):\n    return a"),
        ("transpose", "def f(a, b):\n    return a @ b\n", "def f(a, b):\n    return a.T @ b"),
        ("reduce", "def f(x):\n    return x.mean(0)\n", "def f(x):\n    return x.sum(0)"),
        ("reduce", "def f(x):\n    return x.sum()\n", "def f(x):\n    return x.mean()"),
        (
            "no_max_shift",
            "def f(x):\n    z = x - x.max(dim=1, keepdim=True).values\n    return z.exp()\n",
            "def f(x):\n    z = x\n    return z.exp()",
        ),
        ("const", "def f(x):\n    return x * 0.5\n", "def f(x):\n    return x * (0.5 * 1.1)"),
        ("const", "def f(x):\n    return x + 0\n", "def f(x):\n    return x + 1"),
        ("const", "def f(x):\n    return x ** 2\n", "def f(x):\n    return x ** (2 + 1)"),
        (
            "stmt",
            "def f(model, opt):\n    opt.zero_grad()\n    opt.step()\n    return model\n",
            "def f(model, opt):\n    pass\n    opt.step()\n    return model",
        ),
        ("stmt", "def f(x):\n    x = x + 1\n    return x\n", "def f(x):\n    pass\n    return x"),
        ("compare", "def f(x):\n    return x > 0\n", "def f(x):\n    return x <= 0"),
        ("compare", "def f(b):\n    return b is not None\n", "def f(b):\n    return b is None"),
        ("return", "def f(x, W):\n    out = x @ W\n    return out\n", "def f(x, W):\n    out = x @ W\n    return W"),
        ("return", "def f(a, b):\n    return a, b\n", "def f(a, b):\n    return b, a"),
        (
            "layer",
            "def f(d):\n    return nn.Sequential(nn.Linear(d, 8), nn.ReLU(), nn.Linear(8, 4))\n",
            "def f(d):\n    return nn.Sequential(nn.Linear(d, 8), nn.Linear(8, 4))",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) and "\n" not in v else None,
)
def test_each_operator_makes_the_expected_mutant(operator, source, expected):
    assert body(expected) in mutated(source, "f", operator)


def test_a_comparison_is_negated_and_moved_across_its_boundary():
    got = mutated("def f(x):\n    return x > 0\n", "f", "compare")
    assert got == [body("def f(x):\n    return x <= 0"), body("def f(x):\n    return x >= 0")]


def test_dims_change_both_ways():
    got = mutated("def f(x):\n    return x.sum(dim=0)\n", "f", "dim")
    assert got == [body("def f(x):\n    return x.sum(dim=-1)"), body("def f(x):\n    return x.sum(dim=1)")]


def test_the_specific_operator_names_a_mutant_two_would_make():
    ms = mutants("def f(x):\n    return x - x.max()\n", ["f"])
    kinds = [(m.operator, ast.unparse(ast.parse(m.source).body[0].body[0])) for m in ms]
    assert ("no_max_shift", "return x") in kinds
    assert ("drop", "return x") not in kinds


def test_a_dim_is_not_also_nudged_as_a_constant():
    assert mutated("def f(x):\n    return x.sum(dim=1)\n", "f", "const") == []


def test_the_docstring_default_arguments_and_other_functions_are_left_alone():
    src = 'def f(x, k=2):\n    """Doc 3."""\n    return x * 2\n\n\ndef g(x):\n    return x * 5\n'
    ms = mutants(src, ["f"])
    assert ms and all(m.function == "f" for m in ms)
    for m in ms:
        assert 'def f(x, k=2):\n    """Doc 3."""\n' in m.source
        assert m.source.endswith("def g(x):\n    return x * 5\n")


def test_returns_try_the_nearest_names_first_and_at_most_three():
    src = "def f(a, b):\n    c = a\n    d = b\n    e = c + d\n    return e\n"
    got = [ast.unparse(ast.parse(m.source).body[0].body[-1]) for m in mutants(src, ["f"], ["return"])]
    assert got == ["return d", "return c", "return b"]


def test_only_the_changed_lines_differ_and_comments_are_kept():
    src = "import torch\n\n\ndef f(x):  # the function\n    y = x - x.max()  # stable\n    return y.exp()  # done\n"
    (m,) = mutants(src, ["f"], ["no_max_shift"])
    assert m.source == src.replace("y = x - x.max()", "y = x")
    diff = m.diff("sol.py")
    assert diff.startswith("--- sol.py (reference)\n+++ sol.py (mutant f:no_max_shift:")
    assert "-    y = x - x.max()  # stable\n+    y = x  # stable\n" in diff


def test_a_rewrite_is_parenthesised_where_precedence_needs_it():
    (m,) = [m for m in mutants("def f(x):\n    return x ** 2 / 3\n", ["f"], ["const"]) if "2 + 1" in m.source]
    assert "x ** (2 + 1) / 3" in m.source


SOLUTION = (ROOT / "packs" / "nlp100_ch08" / "solution.py").read_text(encoding="utf-8")
PACK_FUNCTIONS = [
    "featurize",
    "softmax",
    "predict_proba",
    "cross_entropy",
    "linear_forward",
    "linear_backward",
    "softmax_cross_entropy_backward",
    "loss_and_grad",
    "build_model",
    "train",
    "accuracy",
    "plot_history",
    "build_mlp",
]


def test_the_mutants_of_the_pack_solution_are_valid_python_with_well_formed_unique_ids():
    import re

    ms = mutants(SOLUTION, PACK_FUNCTIONS)
    assert len(ms) > 100
    assert {m.operator for m in ms} == set(OPERATORS)
    ids = [m.id for m in ms]
    assert len(set(ids)) == len(ids)
    for m in ms:
        compile(m.source, "mutant.py", "exec")
        assert re.match(ID_PATTERN, m.id), m.id
        assert m.source != SOLUTION
        assert m.id.startswith(f"{m.function}:{m.operator}:")


def test_ids_are_stable_across_runs_and_edits_elsewhere_in_the_file():
    first = [m.id for m in mutants(SOLUTION, ["softmax", "cross_entropy"])]
    assert first == [m.id for m in mutants(SOLUTION, ["softmax", "cross_entropy"])]
    edited = SOLUTION.replace("def predict_proba(X, W):", "# a comment\n\n\ndef predict_proba(X, W):\n    X = X\n")
    assert first == [m.id for m in mutants(edited, ["softmax", "cross_entropy"])]
    # a known id (the README and specs may name it)
    assert "softmax:no_max_shift:6bc4fe" in first


def test_only_the_functions_asked_for_are_mutated():
    ms = mutants(SOLUTION, ["linear_forward"])
    assert {m.function for m in ms} == {"linear_forward"}
    for m in ms:
        before, after = SOLUTION.split("def linear_forward")[0], m.source.split("def linear_forward")[0]
        assert before == after


def test_a_sample_is_deterministic_and_keeps_the_order():
    ms = mutants(SOLUTION, ["loss_and_grad"])
    a, b = sample(ms, 5, seed=3), sample(ms, 5, seed=3)
    assert [m.id for m in a] == [m.id for m in b] and len(a) == 5
    assert [m.id for m in a] == [m.id for m in ms if m.id in {x.id for x in a}]
    assert [m.id for m in sample(ms, 5, seed=4)] != [m.id for m in a]
    assert sample(ms, None) == ms and sample(ms, 10_000) == ms


# -- classifying a grading -------------------------------------------------------------------------


def _result(*items) -> str:
    return json.dumps(
        {"exercises": [{"id": "90", "items": [dict(name=n, status=s, internal=i, check=c) for n, s, i, c in items]}]}
    )


@pytest.mark.parametrize(
    "stdout, rc, status",
    [
        (_result(("a", "passed", False, None), ("b", "passed", False, None)), 0, "survived"),
        (_result(("a", "passed", False, None), ("b", "failed", False, "matches_reference")), 1, "killed"),
        (_result(("a", "error", False, None)), 1, "killed"),
        (_result(("a", "timeout", False, None)), 1, "killed"),
        (_result(("a", "not_implemented", False, None)), 1, "killed"),
        (_result(("a", "skipped", False, None), ("b", "passed", False, None)), 0, "survived"),
        (_result(("a", "skipped", False, None)), 0, "unscored"),
        (_result(("a", "error", True, None), ("b", "failed", False, None)), 2, "error"),
        ("Traceback ...", 2, "error"),
    ],
)
def test_a_grading_is_classified(stdout, rc, status):
    assert mutation_run.classify(rc, stdout, "check: error: boom")[0] == status


def test_the_score_line():
    from checker.grading.mutation import Mutant

    m = Mutant("f:swap:000000", "swap", "f", 1, "", "", "")
    a = mutation_run.Analysis(
        "72",
        0.9,
        [mutation_run.Outcome(m, s) for s in ["killed"] * 58 + ["survived"] * 3 + ["error"] + ["equivalent"] * 3],
    )
    assert a.line() == "72  mutation score 93.5 % (58/62 killed, 3 equivalent, 1 checker error)"
    assert a.passed
    a.threshold = 0.95
    assert not a.passed


# -- equivalence by results ---------------------------------------------------------------------------

RELU_SPEC = """
id = "91"
title = { ja = "ReLU", en = "ReLU" }

[[items]]
name = "relu"
function = "relu"
points = 1
reference = "solution:relu"
inputs = "signed"
checks = ["matches_reference"]
"""

RELU_SOLUTION = """
import torch


def relu(x):
    return torch.where(x > 0, x, torch.zeros_like(x))
"""

RELU_CHECKS = """
import torch
from hypothesis import strategies as st

from checker.strategies import Case, Space, draw_tensor


def space_signed():
    def draw(data):
        x, r = draw_tensor(data, "x", (data.draw(st.integers(1, 6), label="n"),), torch.float32)
        return Case((x,), {}, 1.0, {0: r})

    return Space([Case((torch.tensor([-1.0, 0.0, 2.0]),), {}, 2.0)], draw)
"""


def test_a_known_equivalent_mutant_is_detected_and_a_different_one_is_not(tmp_path):
    from checker.grading.installed import installed_registry

    make_exercise(tmp_path, "91", RELU_SPEC, {"solution.py": RELU_SOLUTION, "checks.py": RELU_CHECKS})
    ex = discover(tmp_path)["91"]
    registry = installed_registry().extended(ex.plugin())
    source = (tmp_path / "91" / "solution.py").read_text()
    by_text = {ast.unparse(ast.parse(m.source).body[1].body[0]): m for m in mutants(source, ["relu"])}
    boundary = by_text["return torch.where(x >= 0, x, torch.zeros_like(x))"]  # same values: at 0 both give 0
    negated = by_text["return torch.where(x <= 0, x, torch.zeros_like(x))"]
    same, n, _ = mutation_run.equivalent_by_results(ex, registry, source, boundary, draws=20)
    assert same and n == 21
    same, n, why = mutation_run.equivalent_by_results(ex, registry, source, negated, draws=20)
    assert not same and n == 1 and "different result" in why


def test_equivalence_looks_at_dtype_and_in_place_changes(tmp_path):
    from checker.grading.installed import installed_registry

    make_exercise(tmp_path, "91", RELU_SPEC, {"solution.py": RELU_SOLUTION, "checks.py": RELU_CHECKS})
    ex = discover(tmp_path)["91"]
    registry = installed_registry().extended(ex.plugin())
    source = (tmp_path / "91" / "solution.py").read_text()
    (m,) = mutants(source, ["relu"], ["compare"])[:1]
    as_double = m.__class__(
        m.id,
        m.operator,
        m.function,
        m.line,
        "",
        source.replace("torch.zeros_like(x))", "torch.zeros_like(x)).double()"),
        source,
    )
    assert not mutation_run.equivalent_by_results(ex, registry, source, as_double, draws=2)[0]
    in_place = m.__class__(
        m.id,
        m.operator,
        m.function,
        m.line,
        "",
        source.replace(
            "    return torch.where",
            "    y = torch.where(x > 0, x, torch.zeros_like(x))\n    x.zero_()\n    return y\n    return torch.where",
        ),
        source,
    )
    same, _, why = mutation_run.equivalent_by_results(ex, registry, source, in_place, draws=2)
    assert not same and "modifies its input" in why


def test_a_training_exercise_is_never_equivalent_by_results():
    ex = discover()["73"]
    (m,) = [m for m in mutants(SOLUTION, ["train"]) if m.description == "statement removed: `model.train()`"]
    assert mutation_run.equivalent_by_results(ex, None, SOLUTION, m) == (False, 0, "not a function exercise")


def test_a_mutant_graded_with_other_exercises_names_each_of_them():
    cmd = mutation_run.submit_command(ROOT / "m.py", ["73", "74", "76"], 10, 0)
    assert [cmd[i + 1] for i, a in enumerate(cmd) if a == "--exercise"] == ["73", "74", "76"]
    assert mutation_run.submit_command(ROOT / "m.py", "71", 10, 0).count("--exercise") == 1


def test_the_chapters_exercises_mutate_what_they_add():
    exs = discover()
    assert exs["73"].mutated == ["build_model", "train"] and exs["73"].mutation_with == ["74", "75", "76", "77", "78"]
    assert exs["74"].mutated == ["accuracy"] and exs["79"].mutated == ["build_mlp"] and exs["76"].mutated == []
    line = mutation_run.Analysis("76", 0.9, functions=[]).line()
    assert "no functions of its own" in line
