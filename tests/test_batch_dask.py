"""grade-batch on Dask (issue 11): a LocalCluster of two worker processes on loopback, one killed mid-batch.

Each Dask worker grades with its own warm pool; the client alone writes the results file, one line per finished
future, so a submission whose worker died is graded again elsewhere and written exactly once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import cli_env

distributed = pytest.importorskip("distributed")

ROOT = Path(__file__).resolve().parent.parent
SUBS = ROOT / "tests" / "submissions"
SECRET = b"dask-test-secret-" + os.urandom(16).hex().encode()


def _class(tmp_path: Path, n: int) -> Path:
    c = tmp_path / "class"
    c.mkdir()
    for i in range(n):
        (c / f"s{i}.py").write_text((SUBS / "correct_partial_71.py").read_text() + f"\n# student {i}\n")
    (c / "broken.py").write_text((SUBS / "bug_softmax_inplace.py").read_text())
    return c


def test_the_secret_plugin_shows_nothing():
    from checker.batch.cluster import DataSecret

    d = DataSecret(SECRET)
    assert SECRET.decode() not in repr(d) and SECRET.decode() not in str(d) and d.secret == SECRET


def test_cluster_arguments_are_checked():
    from checker.errors import UsageError
    from checker.batch.cluster import parse_cluster

    assert parse_cluster("local:2") == 2
    for bad in ("local", "local:0", "remote:2", "local:x"):
        with pytest.raises(UsageError):
            parse_cluster(bad)
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "checker.cli",
            "grade-batch",
            str(SUBS),
            "--public-data",
            "--scheduler",
            "tcp://127.0.0.1:1",
            "--cluster",
            "local:2",
        ],
        capture_output=True,
        text=True,
        env=cli_env(),
        timeout=120,
    )
    assert r.returncode == 2 and "not both" in r.stderr


@pytest.mark.slow
def test_a_local_cluster_of_two_grades_every_submission_once_though_a_worker_is_killed(tmp_path):
    from distributed import Client, LocalCluster

    from checker.batch.cluster import run_dask_batch
    from checker.grading.plan import Options

    c = _class(tmp_path, 6)
    out, book = tmp_path / "results.jsonl", tmp_path / "grades.csv"
    log: list[str] = []
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None)
    client = Client(cluster)
    try:
        opts = Options(max_examples=5, data_secret=SECRET)
        killed: list[str] = []
        done = threading.Event()

        def killer():  # a worker busy on a task once the first result is in: SIGKILL its process
            while not done.is_set():
                if out.exists() and out.read_text().count("\n") >= 1:
                    busy = [a for a, keys in client.processing().items() if keys]
                    if busy:
                        pids = client.run(os.getpid)
                        os.kill(pids[busy[0]], signal.SIGKILL)
                        killed.append(busy[0])
                        return
                time.sleep(0.1)

        t = threading.Thread(target=killer, daemon=True)
        t.start()
        try:
            rc = run_dask_batch(c, out, book, exercises=["71"], options=opts, log=log.append, client=client)
        finally:
            done.set()
            t.join(timeout=30)
    finally:
        client.close()
        cluster.close()
    assert rc == 0, "\n".join(log)
    assert killed, "no worker was busy to kill"
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert sorted(d["student"] for d in lines) == ["broken"] + [f"s{i}" for i in range(6)], "each exactly once"
    assert all(not d.get("checker_fault") for d in lines), [d.get("error") for d in lines]
    assert {d["student"]: d["score"] for d in lines}["broken"] == 2.0
    assert all(d["score"] == 5.0 for d in lines if d["student"] != "broken")
    assert any("warm pool" in d["isolation"] for d in lines)
    assert len({d["dask_worker"] for d in lines}) >= 2
    text = out.read_text() + "\n".join(log)
    assert SECRET.decode() not in text and SECRET.hex() not in text
    assert all(d["grade_key"]["data_secret"] for d in lines)


@pytest.mark.slow
def test_grade_batch_cluster_local_writes_the_same_file_and_resumes(tmp_path):
    c = _class(tmp_path, 2)
    out, book = tmp_path / "results.jsonl", tmp_path / "grades.csv"
    cmd = [
        sys.executable,
        "-m",
        "checker.cli",
        "grade-batch",
        str(c),
        "--cluster",
        "local:2",
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
    r = subprocess.run(cmd, capture_output=True, text=True, env=cli_env(), cwd=str(tmp_path), timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "LocalCluster of 2" in r.stderr
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert sorted(d["student"] for d in lines) == ["broken", "s0", "s1"]
    again = subprocess.run(cmd, capture_output=True, text=True, env=cli_env(), cwd=str(tmp_path), timeout=600)
    assert again.returncode == 0 and "3 already graded, 0 to grade" in again.stderr
    assert out.read_text().count("\n") == 3
    assert "broken" in book.read_text()
