"""Strings from the worker are made safe once, where they enter the grader (issue 9), and the repro line a student
pastes is shell-quoted, relative, and carries every option that changes the result."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from checker.grading.engine import repro_line
from checker.grading.plan import Options
from checker.sandbox.safetext import safe_text, safe_value
from checker.sandbox.wire import Opaque


@pytest.mark.parametrize(
    "raw, shown",
    [
        ("\x1b[2Ktotal: 5/5", "\\x1b[2Ktotal: 5/5"),
        ("done\rtotal: 5/5", "done\\x0dtotal: 5/5"),
        ("a\u202eb", "a\\u202eb"),
        ("lone \ud800 surrogate", "lone \\ud800 surrogate"),
        ("\x00\x07\x7f\x9b", "\\x00\\x07\\x7f\\x9b"),
        ("line 1\n\tline 2", "line 1\n\tline 2"),
        ("日本語のメッセージ", "日本語のメッセージ"),
    ],
)
def test_control_characters_and_surrogates_are_shown_not_obeyed(raw, shown):
    out = safe_text(raw)
    assert out == shown
    json.dumps(out, ensure_ascii=False).encode("utf-8")  # every format can carry it
    out.encode("utf-8")


def test_the_length_is_capped():
    out = safe_text("x" * 200, limit=50)
    assert out.startswith("x" * 50) and "150 more characters" in out


def test_every_string_of_a_decoded_value_is_made_safe():
    v = safe_value({"k\x1b": ["a\r", ("b\ud800",), Opaque("t\x1b", "n\x1b"), 3, None]})
    ((k, items),) = v.items()
    assert k == "k\\x1b" and items[0] == "a\\x0d" and items[1] == ("b\\ud800",)
    assert items[2].type == "t\\x1b" and items[2].note == "n\\x1b" and items[3:] == [3, None]


def test_the_repro_line_is_quoted_relative_and_complete(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    f = tmp_path / "hw$(touch X) 1.py"
    f.write_text("")
    line = repro_line(f, ["71"], Options(seed=7, max_examples=5, data="news", lang="ja"))
    argv = shlex.split(line)
    assert argv == [
        "check",
        "submit",
        "hw$(touch X) 1.py",
        "--exercise",
        "71",
        "--seed",
        "7",
        "--max-examples",
        "5",
        "--data",
        "news",
        "--lang",
        "ja",
    ]
    assert not (tmp_path / "X").exists()


def test_a_path_outside_where_the_student_stands_is_shown_by_its_name(tmp_path, monkeypatch):
    (tmp_path / "a").mkdir()
    monkeypatch.chdir(tmp_path / "a")
    line = repro_line(Path("/autograder/submission/exercise.py"), ["72"], Options())
    assert line == "check submit exercise.py --exercise 72 --seed 0"
