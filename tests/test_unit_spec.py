"""checker.spec: the exercise folders, their consistency with the code, strict validation, and new exercises."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from checker.errors import SpecError
from checker.grading.plan import Options, make_plan
from checker.grading.installed import installed_registry
from checker.grading.registry import is_per_case, resolve_reference
from checker.spec import discover, exercise_roots, load_exercise

from conftest import ROOT

EXERCISES = discover()
STUDENT_API = {
    "70": ["featurize"],
    "71": ["softmax", "predict_proba"],
    "72": ["cross_entropy", "linear_forward", "linear_backward", "softmax_cross_entropy_backward", "loss_and_grad"],
}
ITEMS = [(ex.id, it) for ex in EXERCISES.values() for it in ex.items]
ITEM_IDS = [f"{e}/{it.name}" for e, it in ITEMS]


BASE = installed_registry()


def registry(plugin):
    return BASE.extended(plugin)


def _per_case(ex_id, item) -> bool:
    reg = registry(EXERCISES[ex_id].plugin())
    return any(c in reg.checks and is_per_case(reg.checks[c]) for c in item.checks)


PER_CASE = [(e, it) for e, it in ITEMS if _per_case(e, it)]


def test_discover_finds_the_function_exercises():
    assert {"70", "71", "72"} <= set(EXERCISES)
    assert list(EXERCISES) == sorted(EXERCISES)
    assert exercise_roots() == [(ROOT / "packs" / "nlp100_ch08" / "exercises", "nlp100_ch08")]


@pytest.mark.parametrize("ex_id", sorted(STUDENT_API))
def test_function_exercises_have_one_item_per_function_named_after_it(ex_id):
    ex = EXERCISES[ex_id]
    assert ex.kind == "functions"
    assert [i.name for i in ex.items] == STUDENT_API[ex_id]
    assert [i.function for i in ex.items] == STUDENT_API[ex_id]
    assert ex.functions == STUDENT_API[ex_id]


@pytest.mark.parametrize("ex_id", sorted(EXERCISES))
def test_every_exercise_has_statements_and_a_template(ex_id):
    ex = EXERCISES[ex_id]
    assert ex.statement("en").strip() and ex.statement("ja").strip()
    assert ex.template().strip()
    assert ex.title.en and ex.title.ja and ex.points > 0


@pytest.mark.parametrize("ex_id, item", ITEMS, ids=ITEM_IDS)
def test_every_check_named_in_a_spec_exists(ex_id, item):
    reg = registry(EXERCISES[ex_id].plugin())
    missing = [c for c in item.checks if c not in reg.checks]
    assert missing == []


def test_the_function_items_are_the_per_case_ones():
    assert {it.name for _, it in PER_CASE} >= {n for names in STUDENT_API.values() for n in names}


@pytest.mark.parametrize("ex_id, item", PER_CASE, ids=[f"{e}/{it.name}" for e, it in PER_CASE])
def test_per_case_items_have_a_function_inputs_and_a_reference(ex_id, item):
    ex = EXERCISES[ex_id]
    assert item.function and item.inputs and item.reference
    reg = registry(ex.plugin())
    assert item.inputs in reg.spaces
    assert reg.space(item.inputs).fixed


@pytest.mark.parametrize("ex_id, item", ITEMS, ids=ITEM_IDS)
def test_every_inputs_hint_and_reference_resolves(ex_id, item):
    ex = EXERCISES[ex_id]
    reg = registry(ex.plugin())
    if item.inputs:
        assert item.inputs in reg.spaces
    for h in item.hints:
        assert h in reg.hints
    if item.reference:
        assert callable(resolve_reference(item.reference, ex.directory))
    for key in item.params.get("finite_hints", []):
        assert key in reg.catalog


@pytest.mark.parametrize("ex_id, item", ITEMS, ids=ITEM_IDS)
def test_hand_written_items_have_a_forbidden_list_and_only_they(ex_id, item):
    assert ("hand_written" in item.checks) == bool(item.forbidden)


def test_the_contracts_hand_written_items():
    hw = {it.name for _, it in ITEMS if "hand_written" in it.checks}
    assert hw == {"softmax", "cross_entropy", "linear_backward", "softmax_cross_entropy_backward"}
    lb = next(it for _, it in ITEMS if it.name == "linear_backward")
    assert {"Tensor.backward", "torch.autograd.grad"} <= set(lb.forbidden)


# -- invalid specs ------------------------------------------------------------------------------

GOOD = """
id = "{id}"
title = {{ ja = "テスト", en = "Test" }}
kind = "functions"

[[items]]
name = "softmax"
function = "softmax"
points = 1
reference = "nlp100_ch08.references:softmax"
inputs = "softmax"
outputs = ["p"]
checks = ["matches_reference"]
"""


def make_exercise(root: Path, ex_id: str, spec: str | None = None, extra: dict[str, str] | None = None) -> Path:
    folder = root / ex_id
    folder.mkdir(parents=True)
    (folder / "spec.toml").write_text(
        textwrap.dedent(spec if spec is not None else GOOD.format(id=ex_id)), encoding="utf-8"
    )
    (folder / "statement.en.md").write_text("# Test\n", encoding="utf-8")
    (folder / "statement.ja.md").write_text("# テスト\n", encoding="utf-8")
    (folder / "template.py").write_text("def softmax(x, dim=-1):\n    ...\n", encoding="utf-8")
    for name, text in (extra or {}).items():
        (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


def test_a_valid_hand_made_spec_loads(tmp_path):
    ex = load_exercise(make_exercise(tmp_path, "90"))
    assert ex.id == "90" and ex.items[0].requires == ["softmax"]


@pytest.mark.parametrize(
    "change",
    [
        lambda s: s.replace('kind = "functions"', 'kind = "functions"\ncolour = "blue"'),  # unknown top-level field
        lambda s: s.replace(
            'checks = ["matches_reference"]', 'checks = ["matches_reference"]\ntolerance = 1'
        ),  # unknown item field
        lambda s: s + s[s.index("[[items]]") :],  # duplicate item names
        lambda s: s.replace('id = "90"', 'id = "91"'),  # id not the folder name
        lambda s: s.replace("points = 1", "points = 0"),
        lambda s: s.replace('checks = ["matches_reference"]', "checks = []"),
        lambda s: s.replace('function = "softmax"', ""),  # neither function nor requires
        lambda s: s.replace('name = "softmax"', 'name = "Soft Max"'),
        lambda s: s.replace('kind = "functions"', 'kind = "quiz"'),
        lambda s: s.replace('title = { ja = "テスト", en = "Test" }', 'title = { en = "Test" }'),
        lambda s: s.replace("[[items]]", "[[items]"),  # not TOML
        lambda s: s[: s.index("[[items]]")],  # no items
    ],
    ids=[
        "unknown-field",
        "unknown-item-field",
        "duplicate-items",
        "id-mismatch",
        "zero-points",
        "no-checks",
        "no-function",
        "bad-item-name",
        "bad-kind",
        "title-without-ja",
        "bad-toml",
        "no-items",
    ],
)
def test_invalid_spec_raises_spec_error(tmp_path, change):
    folder = make_exercise(tmp_path, "90", change(GOOD.format(id="90")))
    with pytest.raises(SpecError) as e:
        load_exercise(folder)
    assert "spec.toml" in str(e.value)
    with pytest.raises(SpecError):
        discover(tmp_path)


def test_folders_without_a_spec_are_ignored(tmp_path):
    make_exercise(tmp_path, "90")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "README.md").write_text("x")
    assert list(discover(tmp_path)) == ["90"]


# -- a new exercise needs no code change -----------------------------------------------------------


def test_new_exercise_folder_is_found_through_the_environment(tmp_path, monkeypatch):
    for ex_id in ("70", "71", "72"):
        shutil.copytree(ROOT / "packs" / "nlp100_ch08" / "exercises" / ex_id, tmp_path / ex_id)
    make_exercise(tmp_path, "99")
    monkeypatch.setenv("NLP100_EXERCISES_DIR", str(tmp_path))
    assert exercise_roots() == [(tmp_path, None)]
    found = discover()
    assert list(found) == ["70", "71", "72", "99"]
    assert found["99"].directory == tmp_path / "99"


def test_new_exercise_folder_is_selected_through_options(tmp_path):
    root = tmp_path / "exercises"
    make_exercise(root, "99")
    sub = tmp_path / "sub.py"
    sub.write_text("def softmax(x, dim=-1):\n    return x\n")
    plan = make_plan(sub, None, Options(exercises_dir=root))
    assert [e.id for e in plan.exercises] == ["99"]
    plan = make_plan(sub, ["99"], Options(exercises_dir=root))
    assert [e.id for e in plan.exercises] == ["99"]


PLUGIN_SPEC = (
    GOOD.format(id="99")
    + """
[[items]]
name = "double"
function = "double"
points = 2
reference = "nlp100_ch08.references:linear_forward"
inputs = "double"
checks = ["doubles"]
"""
)

PLUGIN = """
import torch
from hypothesis import strategies as st

from checker.grading.registry import per_case
from checker.grading.outcome import CheckFailure
from checker.strategies import Case, Space


def space_double():
    fixed = [Case((torch.tensor([1.0, -2.0]),), {}, 2.0, label="two numbers")]

    def draw(data):
        n = data.draw(st.integers(1, 5), label="n")
        return Case((torch.arange(float(n)),), {}, float(n))

    return Space(fixed, draw)


@per_case
def check_doubles(ctx, case):
    got = ctx._call("double", list(case.args), {}).value
    if not torch.equal(got, case.args[0] * 2):
        raise CheckFailure("mismatch", {"what": "double"}, counterexample={"got": repr(got)})
"""

SUBMISSION_99 = """
import torch


def softmax(x, dim=-1):
    e = (x - x.amax(dim=dim, keepdim=True)).exp()
    return e / e.sum(dim=dim, keepdim=True)


def double(x):
    return x * 3
"""


def test_new_exercise_with_its_own_checks_is_graded_end_to_end(tmp_path):
    from checker.api import grade

    root = tmp_path / "exercises"
    make_exercise(root, "99", PLUGIN_SPEC, {"checks.py": PLUGIN})
    sub = tmp_path / "sub99.py"
    sub.write_text(SUBMISSION_99)
    report = grade(sub, None, Options(exercises_dir=root, max_examples=2))
    assert [e.id for e in report.exercises] == ["99"]
    status = {i.name: i for i in report.exercises[0].items}
    assert status["softmax"].status.value == "passed"
    assert status["double"].status.value == "failed"
    assert status["double"].message == "`double` is not close to the reference"
    assert status["double"].counterexample["input"] == "double(torch.tensor([1.0, -2.0]))"
    assert report.internal_errors == 0 and report.exit_status == 1
    assert report.score == 1 and report.max_score == 3


# -- issue 10: cross-references and typed params, checked when the specs load ----------------------------------


@pytest.mark.parametrize(
    "change, says",
    [
        (
            lambda s: s.replace('checks = ["matches_reference"]', 'checks = ["matches_referense"]'),
            "did you mean `matches_reference`",
        ),
        (lambda s: s.replace('inputs = "softmax"', 'inputs = "sofmax"'), "did you mean `softmax`"),
        (
            lambda s: s.replace(
                'checks = ["matches_reference"]', 'checks = ["matches_reference"]\nhints = ["other_dimm"]'
            ),
            "did you mean `other_dim`",
        ),
        (
            lambda s: s.replace(
                'reference = "nlp100_ch08.references:softmax"', 'reference = "nlp100_ch08.references:softmaks"'
            ),
            "cannot be found",
        ),
        (
            lambda s: s.replace(
                'checks = ["matches_reference"]',
                'checks = ["matches_reference", "finite"]\nparams = { finite_hint = [] }',
            ),
            "did you mean `finite_hints`",
        ),
        (
            lambda s: s.replace(
                'checks = ["matches_reference"]', 'checks = ["finite"]\nparams = { finite_hints = ["hint_overflo"] }'
            ),
            "did you mean `hint_overflow`",
        ),
        (
            lambda s: s.replace(
                'checks = ["matches_reference"]', 'checks = ["matches_reference"]\nparams = { epochs = 3 }'
            ),
            "these checks take no parameters",
        ),
    ],
    ids=["check", "space", "hint", "reference", "param-name", "message-key", "no-params"],
)
def test_a_wrong_name_in_a_spec_is_an_error_when_it_loads_naming_file_field_and_the_likely_name(tmp_path, change, says):
    make_exercise(tmp_path, "90", change(GOOD.format(id="90")))
    with pytest.raises(SpecError) as e:
        discover(tmp_path)
    assert "spec.toml" in str(e.value) and "items[0]" in str(e.value) and says in str(e.value), str(e.value)


def test_params_are_typed_and_defaulted_from_the_check_models():
    ex = discover()
    loss = next(i for i in ex["73"].items if i.name == "loss_decreases")
    assert loss.params["epochs"] == 8 and loss.params["loss_ratio"] == 0.9  # from the spec
    resume = next(i for i in ex["76"].items if i.name == "resume")
    assert resume.params["checkpoint_rtol"] == 1e-3  # the model's default


def test_a_bad_value_is_an_error_naming_the_parameter(tmp_path):
    spec = (ROOT / "packs" / "nlp100_ch08" / "exercises" / "73" / "spec.toml").read_text(encoding="utf-8")
    folder = tmp_path / "73"
    shutil.copytree(ROOT / "packs" / "nlp100_ch08" / "exercises" / "73", folder)
    (folder / "spec.toml").write_text(spec.replace("loss_ratio = 0.9", "loss_ratio = -1"), encoding="utf-8")
    with pytest.raises(SpecError) as e:
        discover(tmp_path)
    assert "loss_ratio" in str(e.value)


def test_a_hidden_spec_naming_an_unknown_check_fails_when_it_loads_not_when_grading(tmp_path):
    h = tmp_path / "71"
    h.mkdir()
    (h / "spec.toml").write_text(
        '[[items]]\nname = "extra"\nfunction = "softmax"\npoints = 1\n'
        'reference = "nlp100_ch08.references:softmax"\ninputs = "softmax"\nchecks = ["match_reference"]\n',
        encoding="utf-8",
    )
    with pytest.raises(SpecError) as e:
        discover(hidden=tmp_path)
    assert "did you mean `matches_reference`" in str(e.value)


def test_the_engines_list_of_builtin_checks_is_its_module():
    from checker.grading import builtin_checks
    from checker.spec.validation import BUILTIN_CHECKS

    assert set(BUILTIN_CHECKS) == {k[len("check_") :] for k in vars(builtin_checks) if k.startswith("check_")}


def test_every_check_the_pack_types_exists():
    from nlp100_ch08.params import CHECK_PARAMS

    assert set(CHECK_PARAMS) <= set(BASE.checks)


def test_the_shipped_json_schema_is_the_generated_one_and_every_spec_validates_against_it():
    import json
    import tomllib

    import jsonschema

    from checker.spec.packs import installed
    from checker.spec.schema import schema_text
    from checker.spec.validation import known_for

    shipped = ROOT / "packs" / "nlp100_ch08" / "exercise.schema.json"
    assert shipped.read_text(encoding="utf-8") == schema_text(known_for(installed())), (
        "run `check schema -o packs/nlp100_ch08/exercise.schema.json`"
    )
    schema = json.loads(shipped.read_text(encoding="utf-8"))
    for spec in sorted((ROOT / "packs" / "nlp100_ch08" / "exercises").glob("*/spec.toml")):
        text = spec.read_text(encoding="utf-8")
        assert text.startswith("#:schema ../../exercise.schema.json"), spec  # editors find it
        jsonschema.validate(tomllib.loads(text), schema)
    bad = tomllib.loads((ROOT / "packs" / "nlp100_ch08" / "exercises" / "71" / "spec.toml").read_text(encoding="utf-8"))
    bad["items"][0]["params"] = {"finite_hint": []}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)
