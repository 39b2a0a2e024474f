"""End to end, 73–79: the reference and the example get full marks; each one-bug submission fails its item(s).

The bug files are made from reference/submission.py by tests/training_submissions/make_bugs.py.
Gradings run two at a time (each has its own sandboxed worker).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUGS = ROOT / "tests" / "training_submissions"

# file -> (exercises graded, items that must not pass, items that must pass)
EXPECT = {
    "bug_no_step.py": (["73"], {"loss_decreases", "accuracy_threshold"}, {"build_model"}),
    "bug_double_softmax.py": (["73"], {"build_model", "loss_decreases"}, set()),
    "bug_no_zero_grad.py": (["73"], {"loss_decreases"}, set()),
    "bug_accuracy_percent.py": (["74"], {"accuracy_function"}, {"history_accuracy"}),
    "bug_valid_on_train.py": (["74", "75"], {"history_accuracy", "history"}, {"accuracy_function", "plot_history"}),
    "bug_epochs_from_0.py": (["75"], {"history"}, {"plot_history"}),
    "bug_plot_writes_nothing.py": (["75"], {"plot_history"}, {"history"}),
    "bug_ckpt_no_optimizer.py": (["76"], {"checkpoints", "resume"}, set()),
    "bug_ckpt_wrong_names.py": (["76"], {"checkpoints", "resume"}, set()),
    "bug_resume_drops_optimizer.py": (["76"], {"resume"}, {"checkpoints"}),
    "bug_ignores_batch_size.py": (["77"], {"batch_timing"}, set()),
    "bug_mlp_plain_list.py": (["79"], {"mlp_structure", "mlp_accuracy"}, set()),
    "bug_mlp_no_nonlinearity.py": (["79"], {"mlp_structure"}, set()),
    # issue 7: what honest answers do right must pass; what they do wrong must cost points once
    "bug_wrong_history_valid_loss.py": (["74", "75", "76"], {"history"}, {"history_accuracy", "plot_history", "checkpoints", "resume"}),
    "bug_two_layer_build_model.py": (["73"], {"build_model", "loss_decreases", "accuracy_threshold"}, set()),
    "bug_affine_dropout_mlp.py": (["79"], {"mlp_structure"}, set()),
    "bug_softmax_output_mlp.py": (["79"], {"mlp_structure"}, set()),
    "bug_diverges.py": (["73", "79"], {"loss_decreases", "accuracy_threshold", "mlp_accuracy"}, {"build_model"}),
}
CORRECT = {"correct_batchnorm_mlp.py": ["79"]}
HINTS = {
    "bug_no_step.py": "optimizer.step()",
    "bug_double_softmax.py": "softmax",
    "bug_two_layer_build_model.py": "single-layer",
    "bug_affine_dropout_mlp.py": "eval mode",
    "bug_softmax_output_mlp.py": "logits",
    "bug_diverges.py": "not finite",
    "bug_valid_on_train.py": "training data",
    "bug_accuracy_percent.py": "percentage",
    "bug_ignores_batch_size.py": "batch_size",
    "bug_resume_drops_optimizer.py": "load_state_dict",
    "bug_mlp_plain_list.py": "ModuleList",
    "bug_mlp_no_nonlinearity.py": "non-linearity",
    "bug_epochs_from_0.py": "counted from 1",
}


def _grade(path: Path, exercises: list[str] | None) -> tuple[int, dict, str]:
    cmd = [sys.executable, "-m", "checker.cli", "submit", str(path), "--format", "json"]
    for e in exercises or []:
        cmd += ["--exercise", e]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=ROOT, env={**os.environ, "NO_COLOR": "1"})
    try:
        report = json.loads(p.stdout)
    except ValueError:
        report = {}
    return p.returncode, report, p.stderr


@pytest.fixture(scope="module")
def results():
    jobs = {name: (BUGS / name, ex) for name, (ex, _, _) in EXPECT.items()}
    jobs["bug_ignores_device.py"] = (BUGS / "bug_ignores_device.py", ["78"])
    jobs.update({name: (BUGS / name, ex) for name, ex in CORRECT.items()})
    jobs["reference"] = (ROOT / "packs" / "nlp100_ch08" / "solution.py", None)
    jobs["subset_75"] = (ROOT / "packs" / "nlp100_ch08" / "solution.py", ["75"])
    jobs["example"] = (ROOT / "examples" / "exercise.py", None)
    with ThreadPoolExecutor(max_workers=2) as pool:
        futs = {k: pool.submit(_grade, p, ex) for k, (p, ex) in jobs.items()}
        return {k: f.result() for k, f in futs.items()}


def _items(report: dict) -> dict:
    return {i["name"]: i for e in report.get("exercises", []) for i in e["items"]}


@pytest.mark.slow
@pytest.mark.parametrize("key", ["reference", "example"])
def test_full_marks(results, key):
    rc, report, err = results[key]
    assert rc == 0, err[-2000:]
    assert [e["id"] for e in report["exercises"]] == [str(i) for i in range(70, 80)]
    assert report["score"] == report["max_score"] > 0
    assert report["data"]["name"] == "default" and len(report["data"]["checksum"]) == 64
    items = _items(report)
    assert items["device"]["status"] == items["device_placement"]["status"] == "skipped"  # no CUDA here; 78 does not count
    assert all(i["status"] == "passed" for n, i in items.items() if not n.startswith("device"))
    assert items["accuracy_threshold"]["data"]["test_accuracy"] >= 0.85
    timing = items["batch_timing"]["data"]["batch_timing"]
    assert timing[0]["batch_size"] == 1 and len(timing) >= 4
    for name in ("history_plot", "student_plot"):
        assert Path(items["history"]["artifacts"].get(name) or items["plot_history"]["artifacts"][name]).exists()


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXPECT))
def test_one_bug_fails_its_items(results, name):
    rc, report, err = results[name]
    exercises, failing, passing = EXPECT[name]
    assert rc == 1, err[-2000:]
    assert "Traceback" not in err
    assert [e["id"] for e in report["exercises"]] == exercises
    items = _items(report)
    for n in failing:
        assert items[n]["status"] != "passed", (n, items[n])
        assert not items[n]["internal"]
    for n in passing:
        assert items[n]["status"] == "passed", (n, items[n]["message"])
    if name in HINTS:
        text = " ".join(items[n]["message"] + " " + " ".join(items[n]["details"]) for n in failing)
        assert HINTS[name] in text, text


@pytest.mark.slow
def test_device_item_is_skipped_without_cuda(results):
    rc, report, err = results["bug_ignores_device.py"]
    item = _items(report)["device"]
    assert item["status"] == "skipped" and "CUDA" in item["message"]
    assert report["exercises"][0]["max_score"] == 0  # skipped_counts = false in exercises/78/spec.toml
    assert rc == 0


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CORRECT))
def test_correct_answers_as_students_write_them_pass(results, name):
    rc, report, err = results[name]
    items = _items(report)
    assert rc == 0 and all(i["status"] == "passed" for i in items.values()), (err[-2000:], {n: i["message"] for n, i in items.items()})


@pytest.mark.slow
def test_a_subset_reproduces_the_full_runs_numbers(results):
    """Every shared run is seeded from --seed and the run's name: grading 75 alone gives the full report's numbers."""
    full = _items(results["reference"][1])["history"]["data"]
    alone = _items(results["subset_75"][1])["history"]["data"]
    assert full["valid_loss"] == alone["valid_loss"] and full["valid_loss"] > 0
