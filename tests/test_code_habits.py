"""The project's habits, checked on every run of the suite (and so in CI):

- ``ruff format --check`` and ``ruff check`` (pyflakes, pycodestyle, bugbear, simplify: [tool.ruff] in pyproject.toml);
- ``lint-imports``: the layers and contracts of ``.importlinter`` (commands above batches above the API above
  grading above sandbox/spec/numerics; the engine never imports a pack; the worker imports nothing of the grader;
  no import cycles);
- ``mypy`` on ``checker/`` ([tool.mypy]: the wire format, the records and the outcome under the strict flags).

A tool that is not installed skips its test, saying so, unless ``NLP100_REQUIRE_LINTERS=1`` (set by .ci/run),
where it fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(VENV_BIN)) or shutil.which(name)
    if found is None:
        why = f"{name} is not installed (the test extra installs it: pip install -e '.[test]')"
        if os.environ.get("NLP100_REQUIRE_LINTERS") == "1":
            pytest.fail(why + "; NLP100_REQUIRE_LINTERS=1 requires it")
        pytest.skip(why)
    return found


def _run(*cmd: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)


def test_ruff_format_leaves_every_file_as_it_is():
    r = _run(_tool("ruff"), "format", "--check", ".")
    assert r.returncode == 0, r.stdout + r.stderr


def test_ruff_check_passes():
    r = _run(_tool("ruff"), "check", "--output-format", "concise", ".")
    assert r.returncode == 0, r.stdout + r.stderr


def test_import_contracts_are_kept():
    # the packs are importable from the checkout (an editable install finds them too)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "packs"), str(ROOT)])}
    r = _run(_tool("lint-imports"), env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 broken" in r.stdout and "kept" in r.stdout


def test_mypy_passes_on_the_engine():
    r = _run(_tool("mypy"))
    assert r.returncode == 0, r.stdout + r.stderr
