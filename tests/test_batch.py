"""grade-batch: one line per submission, resumable, gradebook; and hidden items from an instructor's folder."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from checker.batch import run as batch
from checker.errors import SpecError
from checker.spec import discover

ROOT = Path(__file__).resolve().parent.parent
SUBS = ROOT / "tests" / "submissions"


def _class(tmp_path: Path) -> Path:
    c = tmp_path / "class"
    c.mkdir()
    shutil.copy(SUBS / "correct_partial_71.py", c / "alice.py")
    shutil.copy(SUBS / "bug_softmax_inplace.py", c / "bob.py")
    repo = c / "carol" / "src"
    repo.mkdir(parents=True)
    shutil.copy(SUBS / "correct_partial_71.py", repo / "exercise.py")
    (c / "dave").mkdir()  # a repository without a submission
    return c


def test_find_submissions(tmp_path):
    c = _class(tmp_path)
    entries, problems = batch.find_submissions(c)
    assert {e.student for e in entries} == {"alice", "bob", "carol"}
    assert any(p.startswith("dave") for p in problems)
    lst = tmp_path / "list.txt"
    lst.write_text(f"# the class\n{c / 'alice.py'}\n\n{c / 'carol'}\n")
    entries, _ = batch.find_submissions(lst)
    assert [e.path.name for e in entries] == ["alice.py", "exercise.py"]


def test_read_results_drops_a_torn_line(tmp_path):
    out = tmp_path / "r.jsonl"
    out.write_bytes(b'{"student": "a", "sha256": "1"}\n{"student": "b", "sha')
    assert [d["student"] for d in batch.read_results(out)] == ["a"]
    assert out.read_bytes() == b'{"student": "a", "sha256": "1"}\n'


@pytest.mark.slow
def test_grade_batch_end_to_end_and_resume(tmp_path):
    c = _class(tmp_path)
    out, book = tmp_path / "results.jsonl", tmp_path / "grades.csv"
    cmd = [
        sys.executable,
        "-m",
        "checker.cli",
        "grade-batch",
        str(c),
        "-j",
        "2",
        "-e",
        "71",
        "--max-examples",
        "5",
        "--public-data",
        "--out",
        str(out),
        "--gradebook",
        str(book),
    ]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert {d["student"]: d["score"] for d in lines} == {"alice": 5.0, "bob": 2.0, "carol": 5.0}
    assert all(d["sha256"] and d["exercises"][0]["id"] == "71" for d in lines)
    rows = list(csv.DictReader(book.open()))
    assert {r["student"]: float(r["score"]) for r in rows} == {"alice": 5.0, "bob": 2.0, "carol": 5.0}
    # a second run grades nothing again
    r2 = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert r2.returncode == 0 and "0 to grade" in r2.stderr
    assert len(out.read_text().splitlines()) == 3
    # a changed submission is graded again
    shutil.copy(SUBS / "correct_partial_71.py", c / "bob.py")
    r3 = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert "1 to grade" in r3.stderr
    rows = list(csv.DictReader(book.open()))
    assert {r["student"]: float(r["score"]) for r in rows}["bob"] == 5.0


def test_without_hidden_folder_only_public_items(monkeypatch):
    monkeypatch.delenv("NLP100_HIDDEN", raising=False)
    assert all(i.visibility == "public" for ex in discover().values() for i in ex.items)


def test_hidden_items_are_added_and_marked_hidden(tmp_path, monkeypatch):
    h = tmp_path / "hidden" / "71"
    h.mkdir(parents=True)
    (h / "spec.toml").write_text(
        '[[items]]\nname = "softmax_hidden"\nfunction = "softmax"\npoints = 1\nreference = "nlp100_ch08.references:softmax"\n'
        'inputs = "softmax"\noutputs = ["p"]\nchecks = ["matches_reference"]\nvisibility = "public"\n'
    )
    monkeypatch.setenv("NLP100_HIDDEN", str(tmp_path / "hidden"))
    ex = discover()["71"]
    extra = [i for i in ex.items if i.name == "softmax_hidden"]
    assert extra and extra[0].visibility == "hidden"
    (tmp_path / "hidden" / "99").mkdir()
    (tmp_path / "hidden" / "99" / "spec.toml").write_text((h / "spec.toml").read_text())
    with pytest.raises(SpecError):
        discover()
