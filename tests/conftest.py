"""Shared fixtures: paths, the submission corpus and its manifest, a canary in the environment,
and the end-to-end gradings, run once per session two at a time and cached.

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
import tomllib
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SUBMISSIONS = ROOT / "tests" / "submissions"
MANIFEST = tomllib.loads((SUBMISSIONS / "manifest.toml").read_text(encoding="utf-8"))["files"]

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
    p = subprocess.run([sys.executable, "-m", "checker.cli", *args], cwd=str(ROOT), env=cli_env(),
                       capture_output=True, text=True, timeout=timeout)
    return CliRun(tuple(args), p.returncode, p.stdout, p.stderr)


def submit_args(name: str, *extra: str, fmt: str = "json") -> tuple[str, ...]:
    return ("submit", str(SUBMISSIONS / name), "--format", fmt, "--max-examples", MAX_EXAMPLES, *extra)


# Gradings other tests need besides the plain corpus run (key -> CLI arguments).
EXTRA_RUNS: dict[str, tuple[str, ...]] = {
    "ja": submit_args("bug_softmax_ignores_dim.py", "--exercise", "71", "--lang", "ja"),
    "seed7_a": submit_args("bug_softmax_ignores_dim.py", "--exercise", "71", "--seed", "7"),
    "seed7_b": submit_args("bug_softmax_ignores_dim.py", "--exercise", "71", "--seed", "7"),
    "only71": submit_args("correct_plain.py", "--exercise", "71"),
    "text": submit_args("bug_cross_entropy_sum.py", "--exercise", "72", fmt="text"),
    "text_ja": submit_args("bug_cross_entropy_sum.py", "--exercise", "72", "--lang", "ja", fmt="text"),
}


@pytest.fixture(scope="session")
def gradings() -> dict[str, CliRun]:
    """Every corpus file graded once (key: file name), plus EXTRA_RUNS; two at a time."""
    jobs = {name: submit_args(name) for name in MANIFEST}
    jobs.update(EXTRA_RUNS)
    out: dict[str, CliRun] = {}
    # the slow ones first, so that the two lanes end together
    order = sorted(jobs, key=lambda k: (not k.startswith("hostile_infinite"), not k.startswith("hostile"), k))
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        futs = {pool.submit(run_cli, *jobs[k]): k for k in order}
        for f in concurrent.futures.as_completed(futs):
            out[futs[f]] = f.result()
    return out


@pytest.fixture(scope="session")
def corpus(gradings) -> dict[str, CliRun]:
    return {name: gradings[name] for name in MANIFEST}
