"""Benchmark of the warm pool (issue 11), every number from one run on one machine.

    python benchmarks/bench_pool.py [--repeat 10] [--sections overhead,grading,memory,batch,dask]
                                    [--isolation auto|bwrap|rlimits] [--copies 6] [--chapter-copies 4] [--json FILE]

1. overhead: what one submission costs beyond its checks: launch a worker, wait for `ready`, load a one-line
   file, call it once, close (every process gone, folders removed); fresh worker against a pooled child
   (goal: pooled <= 50 ms), with the child's own time from fork to `ready`.
2. grading: the 71+72 grading of tests/submissions/correct_plain.py (default cases) in a warm grading process
   (torch already imported, as in grade-batch's grading processes and Dask workers), pooled and fresh, against
   `python -c "import torch"` (goal: pooled grading faster than one torch import); and `check submit` as a
   command (which imports torch itself) with and without a running pool.
3. memory: a pooled child after a training run (exercise 73's reference): its RSS, PSS and private memory
   (the rest is the parent's torch import, shared copy-on-write) and its memory cgroup's peak; a fresh worker's.
4. batch: `check grade-batch -j 2` of N copies of the 71+72 file and of M copies of the reference solution
   (the whole chapter), fresh (--no-pool) against pooled: submissions per minute.
5. dask: `check grade-batch --cluster local:1` against `local:2` on the 71+72 copies.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SUB = ROOT / "tests" / "submissions" / "correct_plain.py"
REF = ROOT / "packs" / "nlp100_ch08" / "solution.py"
CHECK = [sys.executable, "-m", "checker.cli"]
TRIVIAL = "def f(x):\n    return x\n"
RESULTS: dict = {}


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def p90(xs):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(0.9 * (len(xs) - 1))))] if xs else float("nan")


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def machine() -> dict:
    cpu = ""
    try:
        text = Path("/proc/cpuinfo").read_text()
        cpu = next(ln.split(":", 1)[1].strip() for ln in text.splitlines() if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    import torch

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "kernel": platform.release(),
        "load_at_start": load(),
    }


class Pool:
    """A pool server for the benchmark (an OwnedPool: stopped at the end)."""

    def __init__(self, isolation: str, slots: int = 4, backend: str = "local"):
        from checker.sandbox import poold
        from checker.sandbox.pool import PoolConfig

        t0 = time.perf_counter()
        self.owned = poold.OwnedPool(PoolConfig(backend=backend, isolation=isolation, slots=slots))
        self.startup = time.perf_counter() - t0
        self.socket = self.owned.socket

    def stop(self):
        self.owned.stop()


def overhead(args, pool: Pool) -> None:
    from checker.grading.plan import Options, fresh_launcher
    from checker.sandbox.client import SandboxClient
    from checker.sandbox.limits import Limits
    from checker.sandbox.pooled import PoolLauncher, want_of
    from checker.sandbox.session import WorkerSession

    opts = Options(isolation=args.isolation)
    fresh = fresh_launcher(opts)
    pooled = PoolLauncher(pool.socket, lambda: fresh, want_of(opts))

    def cycle(launcher) -> tuple[float, float, float]:
        t0 = time.perf_counter()
        s = WorkerSession(Limits(), launcher)
        s.start()
        ready = s.wait_ready()
        t1 = time.perf_counter()
        s.load(TRIVIAL)
        assert SandboxClient(s).call("f", (1,)).value == 1
        s.close()
        return time.perf_counter() - t0, t1 - t0, float(ready.get("startup_s") or 0)

    cycle(fresh)
    cycle(pooled)
    f, w = [], []
    for _ in range(args.repeat):  # alternated: both see the same machine
        f.append(cycle(fresh))
        w.append(cycle(pooled))
    assert pooled.pooled >= args.repeat and pooled.disabled is None, pooled.disabled
    RESULTS["overhead"] = {
        "fresh_ms": {"median": med([x[0] for x in f]) * 1e3, "p90": p90([x[0] for x in f]) * 1e3},
        "pooled_ms": {"median": med([x[0] for x in w]) * 1e3, "p90": p90([x[0] for x in w]) * 1e3},
        "pooled_launch_to_ready_ms": med([x[1] for x in w]) * 1e3,
        "pooled_fork_to_ready_ms": med([x[2] for x in w]) * 1e3,
        "pool_startup_s": pool.startup,
        "load": load(),
    }
    o = RESULTS["overhead"]
    print(f"overhead per submission (launch, ready, load, one call, close; median of {args.repeat}):")
    print(f"  fresh worker  {o['fresh_ms']['median']:8.1f} ms  (p90 {o['fresh_ms']['p90']:.1f})")
    print(
        f"  pooled child  {o['pooled_ms']['median']:8.1f} ms  (p90 {o['pooled_ms']['p90']:.1f}); launch to ready "
        f"{o['pooled_launch_to_ready_ms']:.1f} ms, of which fork to ready in the child {o['pooled_fork_to_ready_ms']:.1f} ms"
    )
    print(
        f"  goal: pooled <= 50 ms -> {'met' if o['pooled_ms']['median'] <= 50 else 'missed'}; the pool started in "
        f"{pool.startup:.1f} s (once)"
    )


def timed(cmd, env=None) -> float:
    t0 = time.perf_counter()
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, env=env)
    if p.returncode not in (0, 1):
        raise RuntimeError(f"{cmd}: {p.stderr.decode()[-2000:]}")
    return time.perf_counter() - t0


def grading(args, pool: Pool) -> None:
    from checker.api import grade
    from checker.grading.plan import Options

    def run(pool_socket) -> float:
        t0 = time.perf_counter()
        rep = grade(SUB, ["71", "72"], Options(isolation=args.isolation, pool=pool_socket))
        assert rep.score == rep.max_score, "the correct file did not get full marks"
        return time.perf_counter() - t0

    imp = [sys.executable, "-c", "import torch"]
    timed(imp)
    run(str(pool.socket))
    run(None)
    pooled, fresh, torch_imp = [], [], []
    for _ in range(max(3, args.repeat // 2)):
        pooled.append(run(str(pool.socket)))
        fresh.append(run(None))
        torch_imp.append(timed(imp))
    env = {**os.environ, "NLP100_POOL_SOCKET": str(pool.socket)}
    cli = [*CHECK, "submit", str(SUB), "-e", "71", "-e", "72", "--format", "json", "--isolation", args.isolation]
    cli_pooled = [timed(cli, env) for _ in range(3)]
    cli_fresh = [timed([*cli, "--no-pool"], env) for _ in range(3)]
    g = RESULTS["grading"] = {
        "pooled_s": med(pooled),
        "fresh_s": med(fresh),
        "import_torch_s": med(torch_imp),
        "cli_pooled_s": med(cli_pooled),
        "cli_fresh_s": med(cli_fresh),
        "load": load(),
    }
    print("grading 71+72 of correct_plain.py (default cases) in a warm grading process:")
    print(
        f"  pooled {g['pooled_s']:.2f} s, fresh {g['fresh_s']:.2f} s; python -c 'import torch' {g['import_torch_s']:.2f} s;"
        f" pooled / import torch = {g['pooled_s'] / g['import_torch_s']:.2f}x (goal < 1)"
    )
    print(
        f"  `check submit` (a new process that imports torch itself): pooled {g['cli_pooled_s']:.2f} s, "
        f"fresh {g['cli_fresh_s']:.2f} s"
    )


def smaps(pid: int) -> dict:
    out = {}
    try:
        for ln in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            k, _, v = ln.partition(":")
            if k in ("Rss", "Pss", "Private_Clean", "Private_Dirty", "Shared_Clean", "Shared_Dirty"):
                out[k] = int(v.split()[0]) / 1024
    except OSError:
        pass
    return out


def memory(args, pool: Pool) -> None:
    """A child that trained exercise 73's reference for a few epochs; its memory as the kernel counts it."""
    from checker.grading.plan import Options, fresh_launcher
    from checker.sandbox.client import SandboxClient
    from checker.sandbox.limits import Limits
    from checker.sandbox.pooled import PoolLauncher, want_of
    from checker.sandbox.session import WorkerSession

    src = REF.read_text() + (
        "\n\ndef _bench_train():\n    import torch\n    g = torch.Generator().manual_seed(0)\n"
        "    X = torch.randn(10000, 300, generator=g)\n    y = torch.randint(0, 4, (10000,), generator=g)\n"
        "    m = build_model(300, 4)\n    train(m, X, y, X[:1000], y[:1000], epochs=3, batch_size=32, device='cpu')\n"
        "    return 1\n"
    )
    opts = Options(isolation=args.isolation)
    rows = {}
    for name, launcher in (
        ("pooled", PoolLauncher(pool.socket, lambda: fresh_launcher(opts), want_of(opts))),
        ("fresh", fresh_launcher(opts)),
    ):
        s = WorkerSession(Limits(), launcher)
        s.load(src)
        pid = s.launch.proc.pid
        if name == "fresh" and s.launch.backend == "local":  # bwrap: the worker is below the bwrap processes
            from checker.sandbox.local import _descendants

            def is_worker(q: int) -> bool:  # the Python worker, not bwrap (whose own arguments name worker.py)
                argv = Path(f"/proc/{q}/cmdline").read_bytes().split(b"\0")
                return b"bwrap" not in argv[0] and any(a.endswith(b"worker.py") for a in argv)

            pid = next((q for q in _descendants(pid) if is_worker(q)), pid)
        before = smaps(pid)
        try:
            SandboxClient(s).call("_bench_train", timeout=300)
            trained = True
        except Exception as e:  # noqa: BLE001 - the reference's train() signature differs: only the import is measured
            trained = f"{type(e).__name__}: {e}"[:120]
        after = smaps(pid)
        peak = None
        info = getattr(s.launch, "info", {}) or {}
        cpu_file = info.get("cpu_file")
        if cpu_file:
            mem = Path(cpu_file.replace("/cpuacct/", "/memory/")).with_name("memory.max_usage_in_bytes")
            try:
                peak = int(mem.read_text()) / 2**20
            except OSError:
                peak = None
        s.close()
        rows[name] = {"loaded": before, "trained": after, "train": trained, "cgroup_peak_mb": peak}
    RESULTS["memory"] = rows
    print("memory of one worker (MB; after loading the reference solution, then after 3 epochs of 73 on 10000 rows):")
    for name, r in rows.items():
        for when in ("loaded", "trained"):
            m = r[when]
            priv = m.get("Private_Clean", 0) + m.get("Private_Dirty", 0)
            print(f"  {name:6s} {when:7s} RSS {m.get('Rss', 0):7.1f}  PSS {m.get('Pss', 0):7.1f}  private {priv:7.1f}")
        if r["cgroup_peak_mb"] is not None:
            print(f"  {name:6s} memory cgroup peak {r['cgroup_peak_mb']:.1f} MB")
        if r["train"] is not True:
            print(f"  ({name}: the training call failed: {r['train']})")


def _copies(folder: Path, src: Path, n: int) -> Path:
    folder.mkdir(parents=True)
    for i in range(n):
        (folder / f"s{i:03d}.py").write_text(src.read_text() + f"\n# copy {i}\n")
    return folder


def batch(args, tmp: Path) -> None:
    rows = {}
    cases = [("71+72", SUB, args.copies, ["-e", "71", "-e", "72"]), ("chapter", REF, args.chapter_copies, [])]
    for what, src, n, ex in cases:
        if n <= 0:
            continue
        klass = _copies(tmp / f"class-{what}", src, n)
        for mode in ("fresh", "pooled"):
            out = tmp / f"{what}-{mode}.jsonl"
            cmd = [
                *CHECK,
                "grade-batch",
                str(klass),
                "-j",
                "2",
                "--public-data",
                *ex,
                "--isolation",
                args.isolation,
                "--out",
                str(out),
                "--gradebook",
                str(tmp / f"{what}-{mode}.csv"),
            ]
            if mode == "fresh":
                cmd.append("--no-pool")
            wall = timed(cmd)
            lines = [json.loads(x) for x in out.read_text().splitlines()]
            assert len(lines) == n and not any(d.get("checker_fault") for d in lines), [d.get("error") for d in lines]
            rows[f"{what} {mode}"] = {"n": n, "wall_s": wall, "per_min": n / wall * 60, "load": load()}
            print(
                f"grade-batch -j 2, {n} x {what}, {mode:6s}: {wall:6.1f} s, {n / wall * 60:5.1f} submissions/min "
                f"(load {load()})"
            )
    RESULTS["batch"] = rows


def dask(args, tmp: Path) -> None:
    try:
        import distributed  # noqa: F401
    except ImportError:
        print("dask: not installed (pip install 'nlp100-checker[dask]'); skipped")
        return
    klass = tmp / "class-dask"
    if not klass.exists():
        _copies(klass, SUB, args.copies)
    rows = {}
    for n in (1, 2):
        out = tmp / f"dask-{n}.jsonl"
        cmd = [
            *CHECK,
            "grade-batch",
            str(klass),
            "--cluster",
            f"local:{n}",
            "--public-data",
            "-e",
            "71",
            "-e",
            "72",
            "--isolation",
            args.isolation,
            "--out",
            str(out),
            "--gradebook",
            str(tmp / f"dask-{n}.csv"),
        ]
        wall = timed(cmd)
        lines = [json.loads(x) for x in out.read_text().splitlines()]
        assert len(lines) == args.copies and not any(d.get("checker_fault") for d in lines)
        rows[f"local:{n}"] = {"n": args.copies, "wall_s": wall, "per_min": args.copies / wall * 60, "load": load()}
        print(
            f"grade-batch --cluster local:{n}, {args.copies} x 71+72: {wall:6.1f} s, "
            f"{args.copies / wall * 60:5.1f} submissions/min (cluster and pools started inside; load {load()})"
        )
    RESULTS["dask"] = rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--sections", default="overhead,grading,memory,batch,dask")
    ap.add_argument("--isolation", default="auto")
    ap.add_argument("--copies", type=int, default=6)
    ap.add_argument("--chapter-copies", type=int, default=4)
    ap.add_argument("--json")
    args = ap.parse_args()
    if args.isolation == "auto":
        from checker.sandbox.probe import probe

        args.isolation = probe().isolation
    sections = set(args.sections.split(","))
    RESULTS["machine"] = machine()
    RESULTS["isolation"] = args.isolation
    print(f"machine: {RESULTS['machine']}; isolation {args.isolation}")
    tmp = Path(tempfile.mkdtemp(prefix="nlp100-bench-pool-"))
    pool = Pool(args.isolation) if sections & {"overhead", "grading", "memory"} else None
    try:
        if "overhead" in sections:
            overhead(args, pool)
        if "grading" in sections:
            grading(args, pool)
        if "memory" in sections:
            memory(args, pool)
    finally:
        if pool is not None:
            pool.stop()
    try:
        if "batch" in sections:
            batch(args, tmp)
        if "dask" in sections:
            dask(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    RESULTS["machine"]["load_at_end"] = load()
    if args.json:
        Path(args.json).write_text(json.dumps(RESULTS, indent=2, default=str))


if __name__ == "__main__":
    main()
