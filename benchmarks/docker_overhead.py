"""Per-submission overhead of the docker backend against the local one.

    python benchmarks/docker_overhead.py [-n 5] [--file tests/submissions/correct_plain.py] [--max-examples N]

In one run, alternating the backends so that both see the same machine state:
  1. `check submit FILE --backend B` as a subprocess, N times each: mean / min wall time;
  2. the sandbox alone, N times each: start a worker, wait for `ready`, load the file, close
     (what one submission costs in containers: create, attach, start, import torch, kill, remove);
  3. if `check grade-batch` exists: N copies of FILE graded as one batch per backend,
     submissions per minute.
Needs a Docker engine and the image (.ci/docker-setup.sh); without one it measures local only.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECK = [sys.executable, "-m", "checker.cli"]


def _submit(path: Path, backend: str, extra: list[str]) -> tuple[float, int]:
    t0 = time.perf_counter()
    p = subprocess.run(
        [*CHECK, "submit", str(path), "--backend", backend, "--format", "json", *extra], cwd=ROOT, capture_output=True
    )
    return time.perf_counter() - t0, p.returncode


def _sandbox_cycle(path: Path, backend: str) -> float:
    from checker.grading.plan import Options, make_launcher
    from checker.sandbox.limits import Limits
    from checker.sandbox.session import WorkerSession

    launcher = make_launcher(Options(backend=backend))
    t0 = time.perf_counter()
    s = WorkerSession(Limits(), launcher)
    s.load(path)
    s.close()
    return time.perf_counter() - t0


def _stats(xs: list[float]) -> str:
    if not xs:
        return "n/a"
    sd = statistics.stdev(xs) if len(xs) > 1 else 0.0
    return f"mean {statistics.mean(xs):6.2f} s  min {min(xs):6.2f} s  sd {sd:5.2f} s  (n={len(xs)})"


def _has_grade_batch() -> bool:
    p = subprocess.run([*CHECK, "grade-batch", "--help"], cwd=ROOT, capture_output=True)
    return p.returncode == 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=5)
    ap.add_argument("--file", type=Path, default=ROOT / "tests" / "submissions" / "correct_plain.py")
    ap.add_argument("--max-examples", type=int, default=None)
    ap.add_argument("--jobs", type=int, default=2, help="grade-batch --jobs")
    args = ap.parse_args(argv)
    path = args.file.resolve()
    extra = ["--max-examples", str(args.max_examples)] if args.max_examples is not None else []

    from checker.sandbox.docker import engine as docker_backend

    backends = ["local"] + (["docker"] if docker_backend.available() else [])
    if "docker" not in backends:
        print("docker: no engine or no image (run .ci/docker-setup.sh); measuring local only", file=sys.stderr)
    print(f"file {path.name}, n={args.n}, cpus {os.cpu_count()}, image {docker_backend.image_name()}")

    # warm-up: page cache, image layers
    for b in backends:
        _submit(path, b, extra)

    whole: dict[str, list[float]] = {b: [] for b in backends}
    for _ in range(args.n):
        for b in backends:
            dt, rc = _submit(path, b, extra)
            if rc not in (0, 1):
                print(f"{b}: check exited {rc}", file=sys.stderr)
            whole[b].append(dt)
    print("\n`check submit` wall time (grader start-up + sandbox + checks):")
    for b in backends:
        print(f"  {b:<7} {_stats(whole[b])}")

    cycle: dict[str, list[float]] = {b: [] for b in backends}
    for _ in range(args.n):
        for b in backends:
            cycle[b].append(_sandbox_cycle(path, b))
    print("\nsandbox alone (start worker, ready, load the file, close):")
    for b in backends:
        print(f"  {b:<7} {_stats(cycle[b])}")
    if "docker" in backends:
        d = statistics.mean(whole["docker"]) - statistics.mean(whole["local"])
        c = statistics.mean(cycle["docker"]) - statistics.mean(cycle["local"])
        print(f"\ndocker overhead per submission: {d:+.2f} s end to end, {c:+.2f} s for the sandbox cycle")

    if not _has_grade_batch():
        print("\n`check grade-batch` is not available: batch throughput skipped")
        return 0
    tmp = Path(tempfile.mkdtemp(prefix="nlp100-bench-"))
    try:
        (tmp / "subs").mkdir()
        for i in range(args.n):
            shutil.copyfile(path, tmp / "subs" / f"student{i:03d}.py")
        print(f"\n`check grade-batch --jobs {args.jobs}` on {args.n} copies:")
        for b in backends:
            t0 = time.perf_counter()
            # results and gradebook per backend: grade-batch resumes from its results file
            p = subprocess.run(
                [
                    *CHECK,
                    "grade-batch",
                    str(tmp / "subs"),
                    "--backend",
                    b,
                    "--jobs",
                    str(args.jobs),
                    "--out",
                    str(tmp / f"{b}.jsonl"),
                    "--gradebook",
                    str(tmp / f"{b}.csv"),
                    "--public-data",
                    *extra,
                ],
                cwd=ROOT,
                capture_output=True,
                text=True,
            )
            dt = time.perf_counter() - t0
            if p.returncode not in (0, 1):
                print(f"  {b:<7} exited {p.returncode}: {p.stderr.strip()[-300:]}")
                continue
            print(f"  {b:<7} {dt:6.1f} s  {args.n / dt * 60:6.1f} submissions/min")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
