"""The machine probe, `check doctor`, and how `--isolation` uses the probe (issue 8).

bubblewrap that is installed but blocked (hosted Ubuntu 24.04 runners: AppArmor refuses its uid map) is simulated
by a fake `bwrap` early on PATH that prints that error and exits 1.
"""

from __future__ import annotations

import json
import os
import stat
import textwrap
from pathlib import Path

import pytest

from checker.errors import SandboxError
from checker.sandbox import probe as probe_mod
from checker.sandbox.limits import Limits
from checker.sandbox.local import launch_local
from checker.sandbox.probe import probe

from conftest import CANARY, run_cli

UID_MAP_ERROR = "bwrap: setting up uid map: Permission denied"

SOFTMAX = textwrap.dedent("""
    def softmax(x, dim=-1):
        e = (x - x.amax(dim=dim, keepdim=True)).exp()
        return e / e.sum(dim=dim, keepdim=True)


    def predict_proba(X, W):
        return softmax(X @ W, dim=-1)
""")


@pytest.fixture
def fresh_probe():
    probe_mod.clear()
    yield
    probe_mod.clear()


@pytest.fixture
def blocked_bwrap(tmp_path, monkeypatch, fresh_probe):
    """A `bwrap` that fails like AppArmor's refusal, first on PATH (for this process and the CLI it starts)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "bwrap"
    fake.write_text(f"#!/bin/sh\necho '{UID_MAP_ERROR}' >&2\nexit 1\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return fake


@pytest.fixture
def no_bwrap(tmp_path, monkeypatch, fresh_probe):
    """A PATH on which there is no bwrap (but `true` is)."""
    bin_dir = tmp_path / "nobin"
    bin_dir.mkdir()
    (bin_dir / "true").symlink_to("/bin/true")
    monkeypatch.setenv("PATH", str(bin_dir))


def test_blocked_bubblewrap_is_reported_with_its_own_words(blocked_bwrap):
    p = probe()
    assert p.bwrap.path == str(blocked_bwrap)
    assert not p.bwrap.usable and p.bwrap.reason == "blocked"
    assert UID_MAP_ERROR in p.bwrap.detail
    assert p.isolation == "rlimits"


def test_missing_bubblewrap_is_not_installed(no_bwrap):
    p = probe()
    assert p.bwrap.path is None and p.bwrap.reason == "not installed" and p.isolation == "rlimits"


@pytest.mark.parametrize(
    "err, userns, reason",
    [
        (
            "bwrap: No permissions to creating new namespace, likely because the kernel does not allow non-privileged user namespaces",
            {"user.max_user_namespaces": "0"},
            "no user namespaces",
        ),
        (
            "bwrap: creating new namespace failed: Operation not permitted",
            {"kernel.unprivileged_userns_clone": "0"},
            "no user namespaces",
        ),
        (UID_MAP_ERROR, {}, "blocked"),
        ("bwrap: Unknown option --disable-userns", {}, "too old"),
        ("bwrap: Can't mount proc on /newroot/proc: Operation not permitted", {}, "failed"),
    ],
)
def test_bubblewrap_failures_are_told_apart(err, userns, reason):
    assert probe_mod._classify(err, userns) == reason


def test_the_probe_is_computed_once_per_process(fresh_probe):
    assert probe() is probe()


@pytest.mark.slow
def test_auto_uses_the_reduced_isolation_when_bubblewrap_is_blocked(blocked_bwrap, tmp_path):
    """Before: `auto` picked bwrap because the binary exists, and the worker never started (exit 2)."""
    from checker.api import Options, grade

    sub = tmp_path / "sub.py"
    sub.write_text(SOFTMAX, encoding="utf-8")
    report = grade(sub, ["71"], Options(isolation="auto", max_examples=2))
    assert report.exit_status == 0 and report.score == report.max_score
    assert report.isolation.startswith("reduced (bubblewrap blocked)")
    assert any("bubblewrap blocked" in n for n in report.notes)


def test_isolation_bwrap_when_bubblewrap_is_blocked_names_the_reason(blocked_bwrap):
    with pytest.raises(SandboxError) as e:
        launch_local(Limits(), "bwrap")
    assert "bubblewrap cannot be used" in str(e.value) and UID_MAP_ERROR in str(e.value)
    assert "check doctor" in str(e.value)


@pytest.mark.slow
def test_isolation_bwrap_when_blocked_exits_2_from_the_cli(blocked_bwrap, tmp_path):
    sub = tmp_path / "sub.py"
    sub.write_text(SOFTMAX, encoding="utf-8")
    run = run_cli("submit", str(sub), "--exercise", "71", "--isolation", "bwrap", "--max-examples", "1", "--lang", "ja")
    assert run.returncode == 2, run.stderr
    assert "bubblewrap を使えません" in run.stderr and UID_MAP_ERROR in run.stderr
    assert "Traceback" not in run.stderr


# -- check doctor ----------------------------------------------------------------------------------------


@pytest.mark.slow
def test_doctor_reports_blocked_bubblewrap_and_what_to_do(blocked_bwrap):
    run = run_cli("doctor")
    assert run.returncode == 0, run.stderr
    assert "reduced (bubblewrap blocked)" in run.stdout and UID_MAP_ERROR in run.stdout
    assert "AppArmor" in run.stdout.split("to do:")[1]
    strict = run_cli("doctor", "--strict", "--format", "json")
    assert strict.returncode == 1
    r = json.loads(strict.stdout)
    assert r["isolation"] == {"requested": "auto", "mode": "rlimits", "reduced": True, "why": "bubblewrap blocked"}
    assert r["bubblewrap"]["reason"] == "blocked" and UID_MAP_ERROR in r["bubblewrap"]["detail"]


@pytest.mark.slow
def test_doctor_json_describes_this_machine(tmp_path, monkeypatch):
    secret = f"secret-{CANARY[-12:]}-0123456789abcdef"
    (tmp_path / "secret").write_text(secret)
    monkeypatch.setenv("NLP100_DATA_SECRET", str(tmp_path / "secret"))
    monkeypatch.setenv("NLP100_ISOLATION", "rlimits")
    run = run_cli("doctor", "--format", "json", "--strict")
    assert run.returncode == 1  # NLP100_ISOLATION=rlimits: reduced, and --strict says so
    r = json.loads(run.stdout)
    p = probe()
    assert r["isolation"]["requested"] == "rlimits" and r["isolation"]["reduced"] is True
    assert r["bubblewrap"]["usable"] == p.bwrap.usable
    assert r["privileges"] == {"root": p.root, "dedicated_uid": p.root and not p.drop, "why_not": p.drop}
    assert r["cgroups"]["version"] == p.cgroups.version and r["landlock"] == p.landlock
    assert isinstance(r["docker"], bool) and isinstance(r["gpu"]["available"], bool)
    assert r["exercises"] and all(Path(e["folder"]).is_dir() for e in r["exercises"])
    assert r["data_secret"] == "set"
    assert secret not in run.stdout + run.stderr
    assert all("data secret" not in t for t in r["todo"])
    text = run_cli("doctor")
    assert text.returncode == 0 and secret not in text.stdout
    assert "data secret     set" in text.stdout


@pytest.mark.slow
def test_doctor_says_when_no_secret_is_set(monkeypatch):
    monkeypatch.delenv("NLP100_DATA_SECRET", raising=False)
    monkeypatch.delenv("NLP100_HIDDEN", raising=False)
    run = run_cli("doctor", "--format", "json")
    r = json.loads(run.stdout)
    assert r["data_secret"] == "not set" and any("no data secret" in t for t in r["todo"])
