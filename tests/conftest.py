"""Shared fixtures: paths, the submission corpus and its expectations (each file's header, tests/corpus.py), a
canary in the environment, and the end-to-end gradings, run once per session two at a time and cached.

The canary variable is planted in this process's environment at import time, before any
worker is launched, so that every sandboxed worker and every `check submit` subprocess
started by the suite has it in its parent's environment: no output may ever show it.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from corpus import cases, expect

ROOT = Path(__file__).resolve().parent.parent
SUBMISSIONS = ROOT / "tests" / "submissions"
EXPECTED = {p.name: expect(p) for p in cases(SUBMISSIONS)}  # file name -> its header

CANARY_NAME = "NLP100_TEST_CANARY"
CANARY = os.environ.get(CANARY_NAME) or f"canary-{uuid.uuid4().hex}"
os.environ[CANARY_NAME] = CANARY

MAX_EXAMPLES = "15"
CLI_TIMEOUT_S = 300


def cli_env() -> dict[str, str]:
    """The caller's environment plus the canary; nothing that changes the CLI's defaults."""
    env = dict(os.environ)
    env[CANARY_NAME] = CANARY
    for k in ("NLP100_LANG", "NLP100_BACKEND", "NLP100_EXERCISES", "NO_COLOR"):
        env.pop(k, None)
    return env


@dataclass
class CliRun:
    args: tuple
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> dict:
        return json.loads(self.stdout)


def run_cli(*args: str, timeout: float = CLI_TIMEOUT_S) -> CliRun:
    p = subprocess.run(
        [sys.executable, "-m", "checker.cli", *args],
        cwd=str(ROOT),
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return CliRun(tuple(args), p.returncode, p.stdout, p.stderr)


def submit_args(name: str, *extra: str, fmt: str = "json") -> tuple[str, ...]:
    return ("submit", str(SUBMISSIONS / name), "--format", fmt, "--max-examples", MAX_EXAMPLES, *extra)


# A submission that passes every fixed case of softmax and fails only on generated inputs with
# more than 24 elements: its counterexample comes from hypothesis, so it depends on --seed.
LATE_BUG = """\
import torch


def softmax(x, dim=-1):
    e = (x - x.amax(dim=dim, keepdim=True)).exp()
    p = e / e.sum(dim=dim, keepdim=True)
    if x.numel() > 24:
        p = p.flip(dim)
    return p


def predict_proba(X, W):
    z = X @ W
    e = (z - z.amax(dim=-1, keepdim=True)).exp()
    return e / e.sum(dim=-1, keepdim=True)
"""


def extra_runs(tmp: Path) -> dict[str, tuple[str, ...]]:
    """Gradings other tests need besides the plain corpus run (key -> CLI arguments)."""
    late = tmp / "late_bug.py"
    late.write_text(LATE_BUG, encoding="utf-8")
    late_args = ("submit", str(late), "--format", "json", "--max-examples", MAX_EXAMPLES, "--exercise", "71")
    return {
        "ja": submit_args("bug_softmax_ignores_dim.py", "--exercise", "71", "--lang", "ja"),
        "late_seed7_a": late_args + ("--seed", "7"),
        "late_seed7_b": late_args + ("--seed", "7"),
        "only71": submit_args("correct_plain.py", "--exercise", "71"),
        "text": submit_args("bug_softmax_ignores_dim.py", "--exercise", "71", fmt="text"),
    }


@pytest.fixture(scope="session")
def gradings(tmp_path_factory) -> dict[str, CliRun]:
    """Every corpus file graded once (key: file name), plus extra_runs(); two at a time."""
    jobs = {name: submit_args(name) for name in EXPECTED}
    jobs.update(extra_runs(tmp_path_factory.mktemp("extra")))
    out: dict[str, CliRun] = {}
    order = sorted(jobs)
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        futs = {pool.submit(run_cli, *jobs[k]): k for k in order}
        for f in concurrent.futures.as_completed(futs):
            out[futs[f]] = f.result()
    return out


@pytest.fixture(scope="session")
def corpus(gradings) -> dict[str, CliRun]:
    return {name: gradings[name] for name in EXPECTED}


STATUSES = {"passed", "failed", "error", "timeout", "not_implemented", "skipped"}


def check_result_format(d: dict, path: Path) -> None:
    """The object of shared/spec/result-format.md, for a report of ``path`` (used by every end-to-end harness)."""
    import hashlib
    import re

    import checker
    from checker.spec import discover

    exercises = discover()
    assert d["schema"] == 1
    assert d["submission"] == path.name
    assert d["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert d["checker_version"] == checker.__version__ and re.fullmatch(r"\d+\.\d+\.\d+", d["checker_version"])
    assert d["backend"] in ("docker", "local")
    for k in ("score", "max_score", "duration_s"):
        assert isinstance(d[k], (int, float)) and not isinstance(d[k], bool)
    assert d["duration_s"] >= 0
    assert isinstance(d["exercises"], list) and d["exercises"]
    total = total_max = 0.0
    for ex in d["exercises"]:
        assert isinstance(ex["id"], str) and ex["id"] in exercises
        spec_items = [i.name for i in exercises[ex["id"]].items]
        assert [i["name"] for i in ex["items"]] == spec_items
        s = m = 0.0
        for it in ex["items"]:
            assert it["status"] in STATUSES
            assert isinstance(it["score"], (int, float)) and isinstance(it["max_score"], (int, float))
            assert 0 <= it["score"] <= it["max_score"]
            if it["status"] == "passed":
                assert it["score"] == it["max_score"]
            else:
                assert it["score"] == 0
            assert isinstance(it["message"], str) and it["message"].strip()
            ce = it["counterexample"]
            assert ce is None or (isinstance(ce, dict) and all(isinstance(v, str) for v in ce.values()))
            assert it.get("internal") is False
            s += it["score"]
            m += it["max_score"]
        assert ex["score"] == pytest.approx(s) and ex["max_score"] == pytest.approx(m)
        total += ex["score"]
        total_max += ex["max_score"]
    assert d["score"] == pytest.approx(total) and d["max_score"] == pytest.approx(total_max)
