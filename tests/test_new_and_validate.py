"""`check new` (the scaffold) and `check validate` (reference, template, mutation analysis): exit statuses and output.

The fast tests run the commands in this process on small folders; the slow ones run `check` as a subprocess and
grade (the scaffold through `check validate`, a deliberately weak exercise whose mutants survive)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from checker.cli import main as cli_main
from checker.errors import SpecError
from checker.grading.handwritten import stub_functions
from checker.grading.mutation import mutants
from checker.spec import discover
from checker.spec.models import Exercise, Item

from conftest import ROOT, cli_env
from test_unit_spec import GOOD, make_exercise


def check(*args: str, exercises: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    env = cli_env()
    env.pop("NLP100_HIDDEN", None)
    if exercises is not None:
        env["NLP100_EXERCISES_DIR"] = str(exercises)
    return subprocess.run(
        [sys.executable, "-m", "checker.cli", *args],
        cwd=str(ROOT),
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# -- check new ----------------------------------------------------------------------------------------


def test_check_new_makes_every_file_and_the_spec_loads(tmp_path, capsys):
    assert cli_main(["new", "90", "--dir", str(tmp_path)]) == 0
    folder = tmp_path / "90"
    assert sorted(p.name for p in folder.iterdir()) == [
        "checks.py",
        "solution.py",
        "spec.toml",
        "statement.en.md",
        "statement.ja.md",
        "template.ja.py",
        "template.py",
        "test_90.py",
    ]
    ex = discover(tmp_path)["90"]
    assert ex.functions == ["center"] and ex.items[0].reference == "solution:center"
    assert stub_functions((folder / "template.py").read_text()) == {"center"}
    assert stub_functions((folder / "template.ja.py").read_text()) == {"center"}
    assert ex.template("ja") != ex.template("en")
    assert "raise NotImplementedError" in (folder / "template.py").read_text()
    assert "def space_center() -> Space" in (folder / "checks.py").read_text()
    assert mutants((folder / "solution.py").read_text(), ex.functions)
    out = capsys.readouterr().out
    assert "created" in out and "check validate 90" in out


def test_the_scaffolds_spec_has_every_field_with_a_comment(tmp_path):
    cli_main(["new", "90", "--dir", str(tmp_path)])
    text = (tmp_path / "90" / "spec.toml").read_text()
    lines = text.splitlines()
    fields = [f for f in Exercise.model_fields if f not in ("directory", "pack", "items", "limits", "equivalent")]
    fields += [f for f in Item.model_fields]
    for f in fields:
        k = next((i for i, ln in enumerate(lines) if re.match(rf"{f} = ", ln)), None)
        assert k is not None, f"{f} is missing"
        assert lines[k - 1].startswith("#") or "#" in lines[k], f"{f} has no comment"
    assert "[limits]" in text and "[[items]]" in text
    assert "# [[equivalent]]" in text and '# mutant = "' in text and "# reason = " in text


def test_check_new_refuses_an_existing_folder_and_leaves_it_alone(tmp_path, capsys):
    (tmp_path / "90").mkdir()
    (tmp_path / "90" / "mine.txt").write_text("keep")
    assert cli_main(["new", "90", "--dir", str(tmp_path)]) == 2
    assert "exists already" in capsys.readouterr().err
    assert [p.name for p in (tmp_path / "90").iterdir()] == ["mine.txt"]
    assert cli_main(["new", "91", "--dir", str(tmp_path)]) == 0
    before = (tmp_path / "91" / "solution.py").read_text()
    assert cli_main(["new", "91", "--dir", str(tmp_path)]) == 2
    assert (tmp_path / "91" / "solution.py").read_text() == before


def test_check_new_needs_a_folder_and_a_good_id(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("NLP100_EXERCISES_DIR", raising=False)
    assert cli_main(["new", "90"]) == 2
    assert "--dir FOLDER or set NLP100_EXERCISES_DIR" in capsys.readouterr().err
    monkeypatch.setenv("NLP100_EXERCISES_DIR", str(tmp_path))
    assert cli_main(["new", "../x"]) == 2
    assert "cannot be an exercise id" in capsys.readouterr().err
    assert cli_main(["new", "90", "--lang", "ja"]) == 2  # argparse: no such option (a usage error)
    assert cli_main(["new", "90"]) == 0 and (tmp_path / "90" / "spec.toml").is_file()


# -- the spec's [[equivalent]] and mutation_threshold -------------------------------------------------

EQ = '\n[[equivalent]]\nmutant = "softmax:const:0a1b2c"\nreason = "the same by the contract"\n'


def test_equivalent_mutants_and_the_threshold_load(tmp_path):
    make_exercise(
        tmp_path,
        "90",
        GOOD.format(id="90").replace('kind = "functions"', 'kind = "functions"\nmutation_threshold = 0.8') + EQ,
    )
    ex = discover(tmp_path)["90"]
    assert ex.mutation_threshold == 0.8
    assert [(e.mutant, e.reason) for e in ex.equivalent] == [("softmax:const:0a1b2c", "the same by the contract")]
    assert discover()["71"].mutation_threshold == 0.9


@pytest.mark.parametrize(
    "change, says",
    [
        (lambda s: s + EQ.replace("0a1b2c", "xyz"), "equivalent.0.mutant"),
        (lambda s: s + EQ + EQ, "listed twice"),
        (lambda s: s + EQ.replace('reason = "the same by the contract"', ""), "equivalent.0.reason"),
        (lambda s: s + EQ.replace("reason =", "why ="), "equivalent.0.why"),
        (
            lambda s: s.replace('kind = "functions"', 'kind = "functions"\nmutation_threshold = 1.5'),
            "mutation_threshold",
        ),
    ],
    ids=["bad-id", "twice", "no-reason", "unknown-field", "threshold-range"],
)
def test_a_bad_equivalent_table_or_threshold_is_an_error_when_the_spec_loads(tmp_path, change, says):
    make_exercise(tmp_path, "90", change(GOOD.format(id="90")))
    with pytest.raises(SpecError) as e:
        discover(tmp_path)
    assert "spec.toml" in str(e.value) and says in str(e.value), str(e.value)


# -- check validate: arguments ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv, says",
    [
        (["validate", "99x"], "unknown exercise"),
        (["validate", "--mutants-only", "71", "--no-mutants"], "contradict"),
        (["validate", "71", "--jobs", "0"], "--jobs 0 is out of range"),
        (["validate", "71", "--max-mutants", "0"], "--max-mutants 0 is out of range"),
    ],
)
def test_validate_refuses_bad_arguments_with_exit_2(argv, says, capsys):
    assert cli_main(argv) == 2
    assert says in capsys.readouterr().err


def test_an_exercise_without_a_reference_cannot_be_validated(tmp_path, monkeypatch, capsys):
    make_exercise(tmp_path, "90")
    monkeypatch.setenv("NLP100_EXERCISES_DIR", str(tmp_path))
    assert cli_main(["validate", "90"]) == 2
    assert "no reference solution" in capsys.readouterr().err


# -- slow: the scaffold validates; a weak exercise fails with the survivors shown ---------------------------


@pytest.mark.slow
def test_the_scaffold_passes_validate_and_its_own_tests_as_generated(tmp_path):
    r = check("new", "90", "--dir", str(tmp_path))
    assert r.returncode == 0, r.stderr
    r = check("validate", "90", exercises=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "90  reference  2/2 (solution.py)  OK" in r.stdout
    assert "90  template   0/2, no checker error  OK" in r.stdout
    assert re.search(r"^90  mutation score 100\.0 % \((\d+)/\1 killed, 0 equivalent\)$", r.stdout, re.M), r.stdout
    assert r.stdout.rstrip().endswith("validate: OK")
    t = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path / "90" / "test_90.py")],
        cwd=str(tmp_path),
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert t.returncode == 0 and "2 passed" in t.stdout, t.stdout + t.stderr


WEAK_SPEC = """
id = "92"
title = { ja = "弱いチェック", en = "A weak check" }

[[items]]
name = "scale"
function = "scale"
points = 1
reference = "solution:scale"
inputs = "one"
checks = ["dtype_preserved"]
"""

WEAK_CHECKS = """
import torch

from checker.strategies import Case, Space


def space_one():
    return Space([Case((torch.tensor([1.0, -2.0]),), {}, 2.0, label="two numbers")],
                 lambda data: Case((torch.tensor([3.0]),), {}, 3.0))
"""


@pytest.mark.slow
def test_validate_exits_1_when_a_weak_check_lets_mutants_survive_and_shows_their_diffs(tmp_path):
    make_exercise(
        tmp_path,
        "92",
        WEAK_SPEC,
        {
            "checks.py": WEAK_CHECKS,
            "solution.py": "def scale(x):\n    return x * 2.0\n",
            "template.py": "def scale(x):\n    raise NotImplementedError\n",
        },
    )
    r = check("validate", "92", "--max-examples", "1", exercises=tmp_path)
    assert r.returncode == 1, r.stdout + r.stderr
    out = r.stdout
    assert "92  reference  1/1 (solution.py)  OK" in out
    assert "92  mutation score 33.3 % (1/3 killed, 0 equivalent)  FAILED: below the threshold of 90 %" in out
    survivors = re.findall(r"^  survived: (scale:[a-z_]+:[0-9a-f]{6})  line 2: (.*)$", out, re.M)
    assert [d for _, d in survivors] == [
        "operand dropped: `x * 2.0` → `x`",
        "constant nudged: 2.0 → 2.0 * 1.1 in `x * 2.0`",
    ]
    assert "    -    return x * 2.0\n    +    return x\n" in out
    assert "    -    return x * 2.0\n    +    return x * (2.0 * 1.1)\n" in out
    assert out.rstrip().endswith("validate: FAILED")
    # listing both as equivalent (here: wrongly, to see the mechanism) lets the exercise pass
    spec = tmp_path / "92" / "spec.toml"
    spec.write_text(
        spec.read_text()
        + "".join(f'\n[[equivalent]]\nmutant = "{mid}"\nreason = "for the test"\n' for mid, _ in survivors)
    )
    r = check("validate", "--mutants-only", "92", "--max-examples", "1", exercises=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "92  mutation score 100.0 % (1/1 killed, 2 equivalent)" in r.stdout
    assert (
        f"  equivalent: {survivors[0][0]}  line 2: operand dropped: `x * 2.0` → `x`: listed in the spec: for the test"
        in r.stdout
    )
    assert "reference" not in r.stdout  # --mutants-only: neither the reference nor the template is graded
