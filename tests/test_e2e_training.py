"""End to end, 73–79: the reference and the example get full marks; each one-bug submission fails its item(s).

The files of tests/training_submissions/ are made from packs/nlp100_ch08/solution.py by make_bugs.py, each with
its expectations in its header (tests/corpus.py): the exercises graded, the items that must not pass, those that
must pass, and a text the failing items' feedback must hold.  A file with failing items is a bug file, a
``correct_*`` file must get full marks, and ``bug_ignores_device.py`` (visible only on a host with CUDA) has its
own test.  Gradings run two at a time (each has its own sandboxed worker).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from checker.spec import discover
from corpus import cases, expect

ROOT = Path(__file__).resolve().parent.parent
BUGS = ROOT / "tests" / "training_submissions"
CORPUS = {p.name: expect(p) for p in cases(BUGS)}
BUG_FILES = sorted(n for n, e in CORPUS.items() if e["failing"])
CORRECT_FILES = sorted(n for n in CORPUS if n.startswith("correct_"))
DEVICE_FILE = "bug_ignores_device.py"


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
    jobs = {name: (BUGS / name, e["exercises"]) for name, e in CORPUS.items()}
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
    assert (
        items["device"]["status"] == items["device_placement"]["status"] == "skipped"
    )  # no CUDA here; 78 does not count
    assert all(i["status"] == "passed" for n, i in items.items() if not n.startswith("device"))
    assert items["accuracy_threshold"]["data"]["test_accuracy"] >= 0.85
    timing = items["batch_timing"]["data"]["batch_timing"]
    assert timing[0]["batch_size"] == 1 and len(timing) >= 4
    for name in ("history_plot", "student_plot"):
        assert Path(items["history"]["artifacts"].get(name) or items["plot_history"]["artifacts"][name]).exists()


@pytest.mark.slow
@pytest.mark.parametrize("name", BUG_FILES)
def test_one_bug_fails_its_items(results, name):
    rc, report, err = results[name]
    want = CORPUS[name]
    exercises, failing, passing = want["exercises"], want["failing"], want["passing"]
    assert rc == 1, err[-2000:]
    assert "Traceback" not in err
    assert [e["id"] for e in report["exercises"]] == exercises
    items = _items(report)
    for n in failing:
        assert items[n]["status"] != "passed", (n, items[n])
        assert not items[n]["internal"]
    for n in passing:
        assert items[n]["status"] == "passed", (n, items[n]["message"])
    if "hint" in want:
        text = " ".join(items[n]["message"] + " " + " ".join(items[n]["details"]) for n in failing)
        assert want["hint"] in text, text


@pytest.mark.slow
def test_device_item_is_skipped_without_cuda(results):
    rc, report, err = results[DEVICE_FILE]
    item = _items(report)["device"]
    assert item["status"] == "skipped" and "CUDA" in item["message"]
    assert report["exercises"][0]["max_score"] == 0  # skipped_counts = false in exercises/78/spec.toml
    assert rc == 0


@pytest.mark.slow
@pytest.mark.parametrize("name", CORRECT_FILES)
def test_correct_answers_as_students_write_them_pass(results, name):
    rc, report, err = results[name]
    items = _items(report)
    assert rc == 0 and all(i["status"] == "passed" for i in items.values()), (
        err[-2000:],
        {n: i["message"] for n, i in items.items()},
    )


@pytest.mark.slow
def test_a_subset_reproduces_the_full_runs_numbers(results):
    """Every shared run is seeded from --seed and the run's name: grading 75 alone gives the full report's numbers."""
    full = _items(results["reference"][1])["history"]["data"]
    alone = _items(results["subset_75"][1])["history"]["data"]
    assert full["valid_loss"] == alone["valid_loss"] and full["valid_loss"] > 0


# -- the corpus itself (fast) -----------------------------------------------------------------------------------


def test_every_file_has_a_header_that_names_real_items():
    exercises = discover()
    assert {p.name for p in BUGS.glob("*.py")} - {"make_bugs.py"} == set(CORPUS)
    for name, want in CORPUS.items():
        items = {i.name for e in want["exercises"] for i in exercises[e].items}
        assert set(want["failing"]) <= items and set(want["passing"]) <= items, name
        assert not set(want["failing"]) & set(want["passing"]), name
        if name in CORRECT_FILES:
            assert not want["failing"] and set(want["passing"]) == items, name
        elif name != DEVICE_FILE:
            assert want["failing"], f"{name}: a bug file with no failing item"


def test_make_bugs_writes_exactly_the_files_on_disk(tmp_path):
    """The headers come from make_bugs.py's table: a hand edit of a file (or of the reference) shows here."""
    sys.path.insert(0, str(BUGS))
    try:
        import make_bugs
    finally:
        sys.path.remove(str(BUGS))
    made = make_bugs.files()
    assert set(made) == set(CORPUS)
    for name, text in made.items():
        assert (BUGS / name).read_text(encoding="utf-8") == text, (
            f"{name} differs: run tests/training_submissions/make_bugs.py"
        )
