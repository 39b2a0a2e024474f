"""A notebook grades like the same code in a .py (issue 8): code cells run one by one as Jupyter's "run all" would,
IPython commands left out with a note, a cell that needs the student's own data files or trains at the top level
does not stop the grading, and places in messages are cells and lines."""

from __future__ import annotations

import json
import subprocess
import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from conftest import ROOT, SUBMISSIONS, cli_env

pytestmark = pytest.mark.slow


def _notebook(src: str, path) -> None:
    head, rest = src.split("# 71 ---", 1)
    part71, part72 = rest.split("# 72 ---", 1)
    nb = new_notebook()
    nb.cells = [
        new_markdown_cell("# 第8章 ニューラルネット\n答えは下のセルに書きました。"),
        new_code_cell("%matplotlib inline\n!pip install torch\nimport numpy as np\nimport torch"),
        new_code_cell(head),
        new_code_cell("X_train = torch.load('X_train.pt')   # the student's own data: not in the grader"),
        new_code_cell("# 71 ---" + part71),
        new_code_cell(
            "print(softmax(torch.tensor([1.0, 2.0])))",
            outputs=[new_output("stream", text="tensor([0.2689, 0.7311])\n")],
            execution_count=5,
        ),
        new_code_cell("%%time\nfor epoch in range(10**9):\n    pass   # top-level training that would never end"),
        new_code_cell("# 72 ---" + part72),
    ]
    nbformat.write(nb, str(path))


def _grade(path, *extra) -> dict:
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "checker.cli",
            "submit",
            str(path),
            "--format",
            "json",
            "--max-examples",
            "5",
            "--exercise",
            "71",
            "--exercise",
            "72",
            *extra,
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=cli_env(),
        timeout=600,
    )
    assert "Traceback" not in p.stderr, p.stderr
    return json.loads(p.stdout)


def _statuses(report) -> dict:
    return {i["name"]: (i["status"], i["score"]) for e in report["exercises"] for i in e["items"]}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("nb")
    out = {}
    for name in ("correct_plain.py", "bug_softmax_ignores_dim.py"):
        src = (SUBMISSIONS / name).read_text(encoding="utf-8")
        nb = tmp / (name.removesuffix(".py") + ".ipynb")
        _notebook(src, nb)
        out[name] = (_grade(SUBMISSIONS / name), _grade(nb))
    return out


@pytest.mark.parametrize("name", ["correct_plain.py", "bug_softmax_ignores_dim.py"])
def test_a_notebook_grades_like_the_same_code_in_a_py(graded, name):
    py, nb = graded[name]
    assert _statuses(nb) == _statuses(py)
    assert nb["score"] == py["score"]


def test_what_the_notebook_needed_but_the_grader_left_out_is_said(graded):
    _, nb = graded["correct_plain.py"]
    notes = "\n".join(nb["notes"])
    assert "`%matplotlib inline`" in notes and "`!pip install torch`" in notes
    assert "cell 4 raised FileNotFoundError" in notes  # the student's data file
    assert "cell 7 ran longer than" in notes  # the endless top-level loop was stopped
    assert "tensor([0.2689, 0.7311])" in nb["output"]["stdout"]  # cells that work run


def test_a_failure_in_a_notebook_names_the_cell_and_the_line(graded):
    _, nb = graded["bug_softmax_ignores_dim.py"]
    sm = next(i for e in nb["exercises"] for i in e["items"] if i["name"] == "softmax")
    assert sm["status"] == "failed" and sm["where"].startswith("cell 5, line ")
