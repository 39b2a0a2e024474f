"""One documented meaning per environment variable (issue 7): every ``NLP100_*`` name the project
uses (checker, packs, Gradescope script, image and CI scripts, CI templates, tests) is one row of
README's table, every row is used, and the old ``NLP100_EXERCISES`` (ids in one script, a folder
in the checker) is read by nothing."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAME = re.compile(r"\bNLP100_[A-Z0-9_]*[A-Z0-9]\b")
SOURCES = ["checker", "packs", "docker", ".ci", "ci-templates", "tests", "benchmarks", "Dockerfile"]


def _used() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for top in SOURCES:
        p = ROOT / top
        files = [p] if p.is_file() else [f for f in p.rglob("*") if f.is_file() and "__pycache__" not in f.parts]
        for f in files:
            if f.resolve() == Path(__file__).resolve() or f.suffix in (".pyc", ".whl"):
                continue
            for n in NAME.findall(f.read_text(encoding="utf-8", errors="replace")):
                found.setdefault(n, set()).add(str(f.relative_to(ROOT)))
    return found


def _table() -> Counter:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Environment variables", 1)[1].split("\n## ", 1)[0]
    return Counter(re.findall(r"^\| `(NLP100_[A-Z0-9_]+)` \|", section, flags=re.M))


def test_every_variable_is_documented_once():
    used, rows = _used(), _table()
    used.pop("NLP100_EXERCISES", None)
    missing = sorted(set(used) - set(rows))
    assert not missing, {m: sorted(used[m]) for m in missing}
    assert not [n for n, c in rows.items() if c != 1], rows
    assert not sorted(set(rows) - set(used)), "rows for variables nothing uses"


def test_the_ambiguous_name_is_gone():
    assert "NLP100_EXERCISES" not in _table()
    users = _used().get("NLP100_EXERCISES", set())
    # only where it is refused: the settings' problem list, and the tests' clean environment
    assert users <= {"checker/settings.py", "tests/conftest.py"}, users
    script = (ROOT / "checker" / "autograder" / "run_autograder").read_text(encoding="utf-8")
    assert "NLP100_GRADE_EXERCISES" in script and not re.search(r"\bNLP100_EXERCISES\b", script)
