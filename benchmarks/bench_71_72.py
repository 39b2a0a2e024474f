"""Benchmark: grading a correct 71+72 submission against `python -c "import torch"`, and the gradient check.

Run:  .venv/bin/python benchmarks/bench_71_72.py [--repeat 5] [--threads 1]

Prints, for the same run on the same machine:
- wall and CPU time of `check submit correct_plain.py --exercise 71 --exercise 72` (default number of cases),
- wall and CPU time of `python -c "import torch"`, and the ratio (goal: at most 2.0),
- the numerical gradient check of a (300, 4) weight across the pipe (goal: at most 10 ms),
  with 1 thread and with torch's default thread count.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUB = ROOT / "tests" / "submissions" / "correct_plain.py"


def timed(cmd: list[str], env=None) -> tuple[float, float, int]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    rc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env).returncode
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, rc


def bench_grading(repeat: int) -> None:
    check = [sys.executable, "-m", "checker.cli", "submit", str(SUB), "--exercise", "71", "--exercise", "72"]
    imp = [sys.executable, "-c", "import torch"]
    timed(imp)  # warm the page cache
    g, i = [], []
    for _ in range(repeat):
        g.append(timed(check))
        i.append(timed(imp))
    assert all(r[2] == 0 for r in g), "the correct submission did not get full marks"
    gw, gc = statistics.median(x[0] for x in g), statistics.median(x[1] for x in g)
    iw, ic = statistics.median(x[0] for x in i), statistics.median(x[1] for x in i)
    print(f"grade 71+72 (correct_plain.py, default cases): wall {gw:.2f} s, cpu {gc:.2f} s  (median of {repeat})")
    print(f"python -c 'import torch':                       wall {iw:.2f} s, cpu {ic:.2f} s")
    print(f"ratio (wall): {gw / iw:.2f}x   goal <= 2.0x")


def bench_gradcheck(threads: int, repeat: int = 50) -> None:
    import torch

    from checker.grading.context import ItemContext
    from checker.grading.installed import installed_registry
    from checker.grading.plan import Options, Submission
    from checker.sandbox.limits import Limits
    from checker.sandbox.local import launch_local
    from checker.sandbox.session import WorkerSession
    from checker.spec import discover
    from checker.strategies import Case

    ex = discover()["72"]
    item = next(i for i in ex.items if i.name == "loss_and_grad")
    limits = Limits(threads=threads)
    s = WorkerSession(limits, lambda lim: launch_local(lim))
    s.start()
    sub = Submission.read(SUB)
    s.load(SUB)
    ctx = ItemContext(
        item=item,
        exercise=ex,
        session=s,
        submission=sub,
        options=Options(),
        defined=sub.defined,
        limits=limits,
        registry=installed_registry(),
    )
    g = torch.Generator().manual_seed(0)
    X = torch.randn(64, 300, generator=g, dtype=torch.float64) * 0.1
    y = torch.randint(0, 4, (64,), generator=g)
    W = torch.randn(300, 4, generator=g, dtype=torch.float64) * 0.1
    case = Case((X, y, W), {}, 10.0)
    walls, cpus = [], []
    for _ in range(repeat):
        ctx.begin_case()
        ctx.student(case)  # the student's gradient, fetched once (part of every check)
        t0, c0 = time.perf_counter(), time.process_time()
        ctx.registry.checks["gradient_loss_and_grad"](ctx, case)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    s.close()
    print(
        f"gradient check of a (300, 4) weight across the pipe, sandbox threads={threads}, grader threads={torch.get_num_threads()}: "
        f"median wall {1000 * statistics.median(walls):.2f} ms, p90 {1000 * sorted(walls)[int(0.9 * repeat)]:.2f} ms, "
        f"grader cpu {1000 * statistics.median(cpus):.2f} ms   goal <= 10 ms"
    )
    import torch.autograd

    def f(w):
        return torch.nn.functional.cross_entropy(X @ w, y)

    Wr = W.clone().requires_grad_(True)
    for fast in (False, True):
        t0 = time.perf_counter()
        torch.autograd.gradcheck(f, (Wr,), fast_mode=fast)
        print(
            f"  for comparison, torch.autograd.gradcheck(fast_mode={fast}) in-process: {1000 * (time.perf_counter() - t0):.1f} ms"
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--part", choices=["all", "grading", "gradcheck"], default="all")
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} cpus, python {sys.version.split()[0]}, {os.uname().machine}")
    if args.part in ("all", "grading"):
        bench_grading(args.repeat)
    if args.part in ("all", "gradcheck"):
        import torch

        torch.set_num_threads(1)
        bench_gradcheck(1)
        torch.set_num_threads(os.cpu_count() or 1)
        bench_gradcheck(os.cpu_count() or 1)


if __name__ == "__main__":
    main()
