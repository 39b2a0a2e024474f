"""`check pool start|stop|status`, `check submit` on a running pool, and `grade-batch` with its warm pool (issue 11).

Slow: each starts a pool's parent (a torch import in the sandbox) and grades through the command line.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from checker.sandbox import pool
from checker.sandbox.probe import probe

from conftest import cli_env
from test_batch_faults import subreaper  # noqa: F401 (fixture)

ROOT = Path(__file__).resolve().parent.parent
SUBS = ROOT / "tests" / "submissions"
CHECK = [sys.executable, "-m", "checker.cli"]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(probe().landlock < pool.MIN_LANDLOCK, reason="the pool needs Landlock ABI 6"),
]


@pytest.fixture
def pool_env(tmp_path):
    folder = Path(tempfile.mkdtemp(prefix="nlp100-pooltest-"))
    os.chmod(folder, 0o700)
    env = {**cli_env(), "NLP100_POOL_SOCKET": str(folder / "pool.sock")}
    yield env
    subprocess.run([*CHECK, "pool", "stop"], env=env, capture_output=True, timeout=120)
    shutil.rmtree(folder, ignore_errors=True)


def _check(env, *args, timeout=600):
    return subprocess.run([*CHECK, *args], env=env, capture_output=True, text=True, timeout=timeout, cwd=str(ROOT))


def test_one_pool_serves_two_concurrent_submits_then_stops(pool_env):
    r = _check(pool_env, "pool", "start")
    assert r.returncode == 0, r.stderr
    assert "warm pool running" in r.stdout
    again = _check(pool_env, "pool", "start")
    assert again.returncode == 0 and "already answers" in again.stdout
    args = ("submit", str(SUBS / "correct_partial_71.py"), "-e", "71", "--max-examples", "5", "--format", "json")
    with concurrent.futures.ThreadPoolExecutor(2) as ex:
        runs = list(ex.map(lambda _: _check(pool_env, *args), range(2)))
    for r in runs:
        assert r.returncode == 0, r.stderr[-2000:]
        rep = json.loads(r.stdout)
        assert rep["score"] == rep["max_score"] and "warm pool" in rep["isolation"], rep["isolation"]
    fresh = _check(pool_env, *args, "--no-pool")
    assert fresh.returncode == 0 and "warm pool" not in json.loads(fresh.stdout)["isolation"]
    st = _check(pool_env, "pool", "status", "--format", "json")
    info = json.loads(st.stdout)
    assert info["served"] >= 2 and info["live"] == 0 and info["broken"] is None and info["parent_threads"] == "1"
    stop = _check(pool_env, "pool", "stop")
    assert stop.returncode == 0 and "stopped" in stop.stdout
    gone = _check(pool_env, "pool", "status")
    assert gone.returncode == 1 and "no warm pool" in gone.stdout
    assert not Path(pool_env["NLP100_POOL_SOCKET"]).exists()


def test_a_pool_in_a_folder_open_to_others_is_refused(tmp_path):
    folder = tmp_path / "open"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    env = {**cli_env(), "NLP100_POOL_SOCKET": str(folder / "pool.sock")}
    r = _check(env, "pool", "start", timeout=60)
    assert r.returncode == 2 and "open to other users" in r.stderr


def _class(tmp_path: Path, n: int) -> Path:
    c = tmp_path / "class"
    c.mkdir()
    for i in range(n):
        text = (SUBS / "correct_partial_71.py").read_text() + f"\n# student {i}\n"
        (c / f"s{i}.py").write_text(text)
    return c


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            kids = [int(x) for x in Path(f"/proc/{p}/task/{p}/children").read_text().split()]
        except OSError:
            kids = []
        out += kids
        todo += kids
    return out


def test_grade_batch_uses_a_warm_pool_and_goes_on_fresh_when_its_parent_is_killed(tmp_path):
    c = _class(tmp_path, 4)
    out, book = tmp_path / "results.jsonl", tmp_path / "grades.csv"
    cmd = [
        *CHECK,
        "grade-batch",
        str(c),
        "-j",
        "1",
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
    p = subprocess.Popen(cmd, env=cli_env(), stderr=subprocess.PIPE, text=True, cwd=str(tmp_path))
    log: list[str] = []
    t = threading.Thread(target=lambda: log.extend(p.stderr), daemon=True)
    t.start()
    killed = None
    deadline = time.monotonic() + 600
    while p.poll() is None and time.monotonic() < deadline:
        if killed is None and out.exists() and out.read_text().count("\n") >= 1:
            m = next((re.search(r"warm pool: pid (\d+)", ln) for ln in log if "warm pool: pid" in ln), None)
            assert m, log
            parent = next(
                q for q in _descendants(int(m.group(1))) if b"forkserver.py" in Path(f"/proc/{q}/cmdline").read_bytes()
            )
            os.kill(parent, signal.SIGKILL)
            killed = parent
        time.sleep(0.05)
    assert p.wait(timeout=60) == 0, "".join(log)
    t.join(timeout=5)
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert sorted(d["student"] for d in lines) == [f"s{i}" for i in range(4)], "every submission exactly once"
    assert all(d["score"] == 5.0 and not d.get("checker_fault") for d in lines), lines
    assert killed is not None
    assert "warm pool" in lines[0]["isolation"]
    assert "warm pool" not in lines[-1]["isolation"], "after the parent died, fresh workers"


def _pooled_grandchild(batch: int) -> bool:
    """A process forked by a pooled child (the forker's child): its parent and grandparent run forkserver.py."""
    from test_batch_faults import _cmd, _descendants as below, _table

    t = _table()
    for p in below(batch):
        parent = t.get(p, (0, ""))[0]
        grand = t.get(parent, (0, ""))[0]
        if all(b"forkserver.py" in b" ".join(_cmd(q)) and b"bwrap" not in _cmd(q)[0] for q in (p, parent, grand)):
            return True
    return False


@pytest.mark.parametrize("isolation", ["rlimits"] + (["bwrap"] if probe().bwrap.usable else []))
def test_ctrl_c_twice_stops_a_pooled_batch_at_once_and_leaves_nothing(tmp_path, subreaper, isolation):  # noqa: F811 - a pytest fixture, imported to be used
    from test_batch_faults import FORKER, GOOD, _cgroups, _class as klass, _descendants as below, _left_behind, _start

    c = klass(tmp_path, **{"aaa.py": FORKER, "alice.py": GOOD})
    out = tmp_path / "r.jsonl"
    p = _start(c, tmp_path, out, "--isolation", isolation, "--pool")
    deadline = time.monotonic() + 120
    while not _pooled_grandchild(p.pid):
        assert time.monotonic() < deadline and p.poll() is None, "the batch never got that far"
        time.sleep(0.05)
    groups = _cgroups(below(p.pid))
    t0 = time.monotonic()
    p.send_signal(signal.SIGINT)
    time.sleep(0.05)
    p.send_signal(signal.SIGINT)
    err = p.communicate(timeout=10)[1]
    assert p.returncode == 130 and time.monotonic() - t0 < 2.0, err
    assert "interrupted again: stopped at once" in err and "warm pool: pid" in err
    assert _left_behind(subreaper) == []
    assert [g for g in groups if os.path.exists(g)] == []
    assert [f for f in os.listdir(tmp_path / "tmp") if f.startswith("nlp100-")] == []
