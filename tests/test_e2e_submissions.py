"""End to end: `check submit` on every file of the function corpus (tests/submissions/: correct files and
one-bug files, each with its expectations in its header, read by tests/corpus.py), and the CLI.

The gradings run once per session, two at a time (conftest.gradings); the tests below assert on
the cached results.  Hostile submissions are graded by the adversarial harness (tests/adversarial/), under
every isolation mode and the docker backend.
"""

from __future__ import annotations

import json
import os
import re

import pytest

from checker.spec import discover

from checker.sandbox.local import bwrap_path
from conftest import CANARY, CANARY_NAME, EXPECTED, MAX_EXAMPLES, SUBMISSIONS, check_result_format, run_cli

# Without bubblewrap the local backend runs with rlimits only ("reduced", and every report says so):
# the worker can then read its parent's /proc/<pid>/environ and write anywhere the grader can.
needs_bwrap = pytest.mark.skipif(bwrap_path() is None, reason="full isolation needs bubblewrap (bwrap)")

FILES = sorted(EXPECTED)
EXERCISES = discover()
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def doc(run) -> dict:
    return json.loads(run.stdout)


def items(d: dict) -> dict[str, dict]:
    return {i["name"]: i for e in d["exercises"] for i in e["items"]}


@pytest.mark.parametrize("name", FILES)
def test_exit_status_is_as_expected(corpus, name):
    run = corpus[name]
    assert run.returncode == EXPECTED[name]["exit"], run.stderr[-2000:]


@pytest.mark.parametrize("name", FILES)
def test_stdout_is_one_json_object_in_the_result_format(corpus, name):
    run = corpus[name]
    d = doc(run)
    check_result_format(d, SUBMISSIONS / name)
    assert d["exit_status"] == run.returncode


@pytest.mark.parametrize("name", FILES)
def test_exactly_the_expected_exercises_are_graded(corpus, name):
    assert [e["id"] for e in doc(corpus[name])["exercises"]] == EXPECTED[name]["exercises"]


@pytest.mark.parametrize("name", FILES)
def test_failing_items_do_not_pass(corpus, name):
    got = items(doc(corpus[name]))
    for item in EXPECTED[name]["failing"]:
        assert got[item]["status"] in ("failed", "error", "timeout"), (item, got[item]["message"])


@pytest.mark.parametrize("name", FILES)
def test_passing_items_pass(corpus, name):
    got = items(doc(corpus[name]))
    for item in EXPECTED[name]["passing"]:
        assert got[item]["status"] == "passed", (item, got[item]["message"], got[item]["details"][:5])


@pytest.mark.parametrize("name", FILES)
def test_no_checker_traceback_and_no_internal_error(corpus, name):
    run = corpus[name]
    assert "Traceback" not in run.stderr
    d = doc(run)
    assert d["internal_errors"] == 0
    assert not any(i["internal"] for i in items(d).values())


def test_every_file_of_the_corpus_has_a_header_that_lists_every_item():
    on_disk = {p.name for p in SUBMISSIONS.glob("*.py")}
    assert on_disk == set(EXPECTED)
    assert {e["kind"] for e in EXPECTED.values()} == {"correct", "bug"}  # hostile files: tests/adversarial/cases
    for name, entry in EXPECTED.items():
        expected = [i.name for e in entry["exercises"] for i in EXERCISES[e].items]
        assert sorted(entry["failing"] + entry["passing"]) == sorted(expected), name
        assert entry["exit"] == (1 if entry["failing"] else 0), name


# -- nothing leaks --------------------------------------------------------------------------------


@needs_bwrap
def test_the_canary_never_appears_in_any_output(gradings):
    assert os.environ[CANARY_NAME] == CANARY
    assert gradings, "the gradings ran"
    for key, run in gradings.items():
        assert CANARY not in run.stdout and CANARY not in run.stderr, key
        assert CANARY_NAME not in run.stdout and CANARY_NAME not in run.stderr, key


# -- messages, counterexamples, reproducibility ---------------------------------------------------


def test_japanese_messages(gradings):
    d = doc(gradings["ja"])
    assert d["lang"] == "ja"
    ex = d["exercises"][0]
    assert ex["title"] == EXERCISES["71"].title.ja
    got = items(d)
    assert got["softmax"]["status"] == "failed"
    assert JAPANESE.search(got["softmax"]["message"])
    assert any(JAPANESE.search(x) for x in got["softmax"]["details"])
    assert got["predict_proba"]["message"] == "すべてのチェックに合格しました"


def test_english_is_the_default(corpus):
    got = items(doc(corpus["bug_softmax_ignores_dim.py"]))
    assert not JAPANESE.search(got["softmax"]["message"])
    assert got["predict_proba"]["message"] == "all checks passed"


# value faults: the failing item shows the input, what came back, and how to reproduce it
VALUE_BUGS = [
    "bug_softmax_ignores_dim.py",
    "bug_softmax_no_max_subtraction.py",
    "bug_softmax_inplace.py",
    "bug_predict_proba_no_softmax.py",
    "bug_predict_proba_wrong_axis.py",
    "bug_cross_entropy_sum.py",
    "bug_cross_entropy_naive_log.py",
    "bug_cross_entropy_no_minus.py",
    "bug_featurize_counts_unknown.py",
    "bug_featurize_nan_for_unknown.py",
    "bug_featurize_set_of_tokens.py",
    "bug_linear_forward_ignores_b.py",
    "bug_linear_backward_zero_grad_b.py",
    "bug_linear_backward_transposed_grad_w.py",
    "bug_softmax_cross_entropy_backward_sign.py",
    "bug_loss_and_grad_no_mean_grad.py",
]


@pytest.mark.parametrize("name", VALUE_BUGS)
def test_a_failing_item_carries_a_counterexample_and_a_repro_line(corpus, name):
    got = items(doc(corpus[name]))
    for item in EXPECTED[name]["failing"]:
        ce = got[item]["counterexample"]
        assert ce is not None, item
        assert ce["input"].startswith(f"{item}(") and ce["got"], item
        ex_id = next(e for e in EXPECTED[name]["exercises"] if item in [i.name for i in EXERCISES[e].items])
        assert (
            ce["repro"]
            == f"check submit tests/submissions/{name} --exercise {ex_id} --seed 0 --max-examples {MAX_EXAMPLES}"
        )


def test_matches_reference_failures_also_show_the_expected_value(corpus):
    ce = items(doc(corpus["bug_cross_entropy_sum.py"]))["cross_entropy"]["counterexample"]
    assert ce["input"] == "cross_entropy(torch.tensor([[2.0, 1.0, 0.0], [0.0, 0.0, 3.0]]), torch.tensor([0, 2]))"
    assert ce["got"].startswith("torch.tensor(0.50") and ce["expected"].startswith("torch.tensor(0.25")


@pytest.mark.parametrize(
    "name, item, call, token",
    [
        ("bug_softmax_torch_softmax.py", "softmax", "torch.softmax", "torch.softmax("),
        ("bug_softmax_tensor_method.py", "softmax", "Tensor.softmax", ".softmax("),
        ("bug_softmax_imported_alias.py", "softmax", "torch.nn.functional.softmax", "sm("),
        ("bug_cross_entropy_functional.py", "cross_entropy", "torch.nn.functional.cross_entropy", "cross_entropy("),
        ("bug_linear_backward_autograd.py", "linear_backward", "Tensor.backward", ".backward("),
    ],
)
def test_forbidden_calls_are_named_with_their_line(corpus, name, item, call, token):
    it = items(doc(corpus[name]))[item]
    assert it["check"] == "hand_written" and f"`{call}`" in it["message"]
    line = int(re.search(r"\(line (\d+)", it["message"]).group(1))
    assert token in (SUBMISSIONS / name).read_text().splitlines()[line - 1]
    assert it["line"] == line


def test_a_generated_counterexample_names_the_seed(gradings):
    d = doc(gradings["late_seed7_a"])
    sm = items(d)["softmax"]
    assert sm["status"] == "failed" and items(d)["predict_proba"]["status"] == "passed"
    ce = sm["counterexample"]
    assert "case" not in ce  # not one of the fixed cases: found by the generator
    assert ce["input"].startswith("softmax(") and ce["got"] and ce["expected"]
    assert "--exercise 71 --seed 7" in ce["repro"]
    assert d["seed"] == 7 and "--seed 7" in d["repro"]


def _without_durations(d):
    if isinstance(d, dict):
        return {k: _without_durations(v) for k, v in d.items() if k != "duration_s"}
    if isinstance(d, list):
        return [_without_durations(v) for v in d]
    return d


def test_the_same_seed_gives_the_same_json(gradings):
    a, b = doc(gradings["late_seed7_a"]), doc(gradings["late_seed7_b"])
    assert items(a)["softmax"]["status"] == "failed"
    assert _without_durations(a) == _without_durations(b)


# -- the command line ------------------------------------------------------------------------------


def test_exercise_option_grades_only_that_exercise(gradings):
    run = gradings["only71"]
    d = doc(run)
    assert run.returncode == 0
    assert [e["id"] for e in d["exercises"]] == ["71"]
    assert set(items(d)) == {"softmax", "predict_proba"}
    assert d["score"] == d["max_score"] == EXERCISES["71"].points


def test_text_format_has_the_per_item_table(gradings):
    run = gradings["text"]
    assert run.returncode == 1
    out = run.stdout
    assert "bug_softmax_ignores_dim.py" in out
    assert re.search(r"^\[71\] .*  2/5$", out, re.M)
    assert re.search(r"^  ✘ softmax\s+failed\s+0/3$", out, re.M)
    assert re.search(r"^  ✔ predict_proba\s+passed\s+2/2$", out, re.M)
    assert "smallest failing input found:" in out and "reproduce with: check submit" in out
    assert re.search(r"^total: 2/5", out, re.M)
    assert "\x1b[" not in out  # no colour when stdout is not a terminal


def test_missing_file_exits_2():
    run = run_cli("submit", str(SUBMISSIONS / "no_such_file.py"), "--format", "json")
    assert run.returncode == 2
    assert run.stdout == ""
    assert "no such file" in run.stderr and "Traceback" not in run.stderr


def test_file_defining_none_of_the_functions_exits_2(tmp_path):
    p = tmp_path / "nothing.py"
    p.write_text("def hello():\n    return 1\n")
    run = run_cli("submit", str(p), "--format", "json")
    assert run.returncode == 2
    assert run.stdout == ""
    assert "defines none of the chapter's functions" in run.stderr and "Traceback" not in run.stderr


def test_unknown_exercise_exits_2():
    run = run_cli("submit", str(SUBMISSIONS / "correct_plain.py"), "--exercise", "42")
    assert run.returncode == 2 and "unknown exercise" in run.stderr and "Traceback" not in run.stderr


def test_list():
    run = run_cli("list")
    assert run.returncode == 0
    for ex_id in ("70", "71", "72"):
        ex = EXERCISES[ex_id]
        assert re.search(
            rf"^{ex_id}  {re.escape(ex.title.en)} / {re.escape(ex.title.ja)}  \({ex.points:g} points\)$",
            run.stdout,
            re.M,
        )
        for it in ex.items:
            assert re.search(rf"^    {it.name}\s+{it.points:g}\s+{it.function}$", run.stdout, re.M)


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_show(lang):
    run = run_cli("show", "71", "--lang", lang)
    assert run.returncode == 0
    assert EXERCISES["71"].statement(lang).strip().splitlines()[0] in run.stdout
    assert EXERCISES["71"].template(lang).strip() in run.stdout
    assert ("# テンプレート" if lang == "ja" else "# Template") in run.stdout
    if lang == "ja":
        assert JAPANESE.search(run.stdout)


def test_show_unknown_exercise_exits_2():
    run = run_cli("show", "42")
    assert run.returncode == 2 and "unknown exercise" in run.stderr
