"""Benchmark: grading the whole chapter (70–79) for the reference solution, against the reference's own run.

Run:  .venv/bin/python benchmarks/bench_chapter.py

1. `check submit packs/nlp100_ch08/solution.py --format json` (every exercise, default data, default cases): wall and CPU.
2. The reference's own run outside the checker, in one plain Python process: import torch and the
   reference, make the default data, and do the same work the checker asks of the submission —
   the 70–72 functions on as many inputs as the checker sends (fixed cases + the default number of
   generated ones), the training runs of 73–76 and 79 (same epochs and batch sizes), the checkpoint
   and resume runs of 76, and one epoch per batch size of 77 (the batch sizes the checker measured).
3. The ratio (goal: at most 1.15) and the goal of 90 s for the whole grading on 2 cores.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REF = ROOT / "packs" / "nlp100_ch08" / "solution.py"


def run_checker() -> tuple[float, float, dict]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(
        [sys.executable, "-m", "checker.cli", "submit", str(REF), "--format", "json"], capture_output=True, text=True
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    report = json.loads(p.stdout)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), report


OWN = r"""
import importlib.util, json, sys, tempfile, time, os
t0 = time.perf_counter()
import torch
torch.set_num_threads(1)
spec = importlib.util.spec_from_file_location("submission", sys.argv[1])
sub = importlib.util.module_from_spec(spec); spec.loader.exec_module(sub)
from nlp100_ch08.data import load_dataset
from checker.spec import discover
from checker.grading.installed import installed_registry
from hypothesis import given, settings, strategies as st, HealthCheck
cfg = json.loads(sys.argv[2])
d = load_dataset("default")
# 70-72: the same number of calls per item as the checker (fixed cases + generated ones)
for ex in discover().values():
    if ex.kind != "functions":
        continue
    for item in ex.items:
        space = installed_registry().space(item.inputs)
        fn = getattr(sub, item.function)
        for c in space.fixed:
            fn(*c.args, **c.kwargs)
        @settings(max_examples=cfg["max_examples"], database=None, deadline=None, suppress_health_check=list(HealthCheck))
        @given(st.data())
        def run(data):
            c = space.draw(data)
            fn(*c.args, **c.kwargs)
        run()
def fresh(build="build_model"):
    torch.manual_seed(0)
    return getattr(sub, build)(d.X_train.shape[1], len(d.classes))
def tr(m, **kw):
    torch.manual_seed(0)
    return sub.train(m, d.X_train, d.y_train, d.X_valid, d.y_valid, device="cpu", **kw)
m = fresh(); h = tr(m, epochs=cfg["epochs"], batch_size=cfg["batch"])            # 73-75
m(d.X_test).argmax(1); sub.accuracy(m, d.X_valid, d.y_valid)
sub.plot_history(h, os.path.join(tempfile.mkdtemp(), "p.png"))
ck = tempfile.mkdtemp()
m = fresh(); tr(m, epochs=cfg["ck_epochs"], batch_size=cfg["batch"], checkpoint_dir=ck)   # 76
k = cfg["ck_epochs"] // 2
for _ in range(2):
    m = fresh(); tr(m, epochs=cfg["ck_epochs"], batch_size=cfg["batch"], resume_from=os.path.join(ck, f"epoch_{k}.pt"))
m = fresh(); tr(m, epochs=1, batch_size=64)                                          # 77
for b in cfg["batches"]:
    m = fresh(); tr(m, epochs=1, batch_size=b)
m = fresh("build_mlp"); tr(m, epochs=cfg["epochs"], batch_size=cfg["batch"])        # 79
print(time.perf_counter() - t0)
"""


def run_own(cfg: dict) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    subprocess.run([sys.executable, "-c", OWN, str(REF), json.dumps(cfg)], check=True, env=env, cwd=ROOT)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    from checker.spec import discover

    exs = discover()
    p73 = exs["73"].items[0].params
    p76 = exs["76"].items[0].params
    print(f"machine: {os.cpu_count()} cpus, {os.uname().machine}, python {sys.version.split()[0]}")
    cw, cc, report = run_checker()
    assert report["score"] == report["max_score"], "the reference did not get full marks"
    rows = next(i for e in report["exercises"] for i in e["items"] if i["name"] == "batch_timing")["data"][
        "batch_timing"
    ]
    cfg = {
        "max_examples": report["max_examples"],
        "epochs": p73["epochs"],
        "batch": p73["batch_size"],
        "ck_epochs": p76["epochs"],
        "batches": [r["batch_size"] for r in rows],
    }
    ow, oc = run_own(cfg)
    print(
        f"check submit reference (70–79, default data): wall {cw:.1f} s, cpu {cc:.1f} s   (goal: at most 90 s on 2 cores)"
    )
    print(f"the reference's own run of the same work:      wall {ow:.1f} s, cpu {oc:.1f} s")
    print(f"ratio (wall): {cw / ow:.2f}x   goal <= 1.15x")
    for e in report["exercises"]:
        print(f"  {e['id']}: " + ", ".join(f"{i['name']} {i['duration_s']:.1f}s" for i in e["items"]))


if __name__ == "__main__":
    main()
