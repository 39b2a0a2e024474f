"""Calibrate the training budgets and accuracy thresholds of exercises 73/74, 76 and 79.

Trains models the way a student's ``train`` would (``torch.optim.SGD``,
cross-entropy, ``epochs`` passes over a fresh random permutation of the
training data in mini-batches, evaluation in eval mode under ``no_grad``)
on the default data (``checker.data.default.make_default``) for several
data seeds, over a grid of models, learning rates and momenta, and records
test accuracy (and valid accuracy, train loss, CPU time) after EVERY epoch:
with a constant learning rate the state after epoch e of a run is the same
whatever the total number of epochs, so one run of E epochs at batch size b
measures every budget "b x e" with e <= E.

Suites (``--suite``, several allowed; default: all but ``sweep``):

- ``single``:   nn.Linear(300, 4) with and without bias; batch 1 (8 epochs),
                batch 8 (12), batch 16 (20); lr x momentum grid; 2 training
                seeds at the mini-batch sizes.
- ``mlp``:      300-128-4 MLPs: ReLU and Tanh, each plain / BatchNorm1d after
                the hidden linear / Dropout(0.2) after the activation, and a
                plain GELU one; batch 8 (10 epochs), 16 (20), 32 (20); full
                grid; a second training seed for the plain ReLU one.
- ``mlp-b1``:   the plain 128-wide MLPs at batch 1 x 8 epochs (today's 79
                budget), public data seed only, for the record (and one
                BatchNorm run, which cannot train at batch size 1).
- ``failures``: what must keep failing: the untrained model (never steps),
                the double-softmax bug (model ends in nn.Softmax, trained with
                CrossEntropyLoss) for the single layer and the MLP, and an
                affine "MLP" (Linear -> Linear).
- ``resume``:   exercise 76's probe: single layer, E = 6, resume after k = 3;
                full-batch and batch-1 epochs; distances between the final
                weights of the uninterrupted run and of runs resumed with the
                optimizer state, with a fresh optimizer, and from a fresh model.
- ``sweep``:    widths 64/128/256/512, 1 and 2 hidden layers, ReLU/Tanh (and
                GELU at width 128) x plain/BN/Dropout, at the learning rates
                whose effective rate lr/(1-momentum) lies in 0.05-0.5, at the
                batch sizes of ``--sweep-batches`` (default 16x15, 32x20).

Results go to ``--out`` (JSON; runs already there are skipped, so an
interrupted run can be continued) and a readable summary to ``--md``.

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/calibration_grid.py [--suite single mlp ...]
        [--data-seeds 20240708 1 2] [--sweep-batches 16x15 32x20] [--summarize-only] [--smoke]
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import platform
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from nlp100_ch08.data.default import SEED, VERSION, make_default

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"

LRS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5)
MOMENTA = (0.0, 0.9)
GRID = [(lr, m) for m in MOMENTA for lr in LRS]
EFF_LO, EFF_HI = 0.05, 0.5


def eff_lr(lr: float, m: float) -> float:
    return lr / (1.0 - m)


def in_range(lr: float, m: float) -> bool:
    e = eff_lr(lr, m)
    return EFF_LO * (1 - 1e-9) <= e <= EFF_HI * (1 + 1e-9)


IN_RANGE = [(lr, m) for lr, m in GRID if in_range(lr, m)]
# where the in-range MLP runs are worst (the ends of the range, with and without momentum)
SWEEP_EDGES = [(0.05, 0.0), (0.5, 0.0), (0.05, 0.9)]

# -- models ------------------------------------------------------------------------------

ACTS = {"relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU}


def build(spec: str, d: int = 300, L: int = 4) -> nn.Module:
    """Model specs:
    linear | linear_nobias                      nn.Linear(300, 4) (bias or not)
    mlp{D}-{act}-{W}-{plain|bn|do}              D hidden layers of width W
    affine-{W}                                  Linear(300, W) -> Linear(W, 4), no non-linearity
    sm+{spec}                                   {spec} followed by nn.Softmax(dim=1) (the double-softmax bug)
    """
    if spec.startswith("sm+"):
        return nn.Sequential(build(spec[3:], d, L), nn.Softmax(dim=1))
    if spec == "linear":
        return nn.Linear(d, L)
    if spec == "linear_nobias":
        return nn.Linear(d, L, bias=False)
    if spec.startswith("affine-"):
        w = int(spec.split("-")[1])
        return nn.Sequential(nn.Linear(d, w), nn.Linear(w, L))
    if spec.startswith("mlp"):
        head, act, w, variant = spec.split("-")
        depth, w = int(head[3:]), int(w)
        layers: list[nn.Module] = []
        n_in = d
        for _ in range(depth):
            layers.append(nn.Linear(n_in, w))
            if variant == "bn":
                layers.append(nn.BatchNorm1d(w))
            layers.append(ACTS[act]())
            if variant == "do":
                layers.append(nn.Dropout(0.2))
            n_in = w
        layers.append(nn.Linear(n_in, L))
        return nn.Sequential(*layers)
    raise ValueError(spec)


def is_correct(spec: str) -> bool:
    return spec.startswith(("linear", "mlp"))


def family(spec: str) -> str:
    s = spec[3:] if spec.startswith("sm+") else spec
    return "single" if s.startswith("linear") else "mlp"


# -- training, as a student's train would --------------------------------------------------


def seed_all(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


@torch.no_grad()
def evaluate(model, X, y):
    model.eval()
    z = model(X)
    loss = nn.functional.cross_entropy(z, y).item()
    return loss, (z.argmax(1) == y).float().mean().item()


def train_epochs(model, opt, ds, *, first, last, batch_size, shuffle="global", on_epoch=None):
    """Epochs first..last: model.train(); a random permutation; zero_grad/forward/CE/backward/step;
    then (as the contract's history needs) train and valid loss/accuracy in eval mode."""
    loss_fn = nn.CrossEntropyLoss()
    X, y = ds.X_train, ds.y_train
    n = len(y)
    for epoch in range(first, last + 1):
        model.train()
        if shuffle == "global":
            perm = torch.randperm(n)
        else:  # "epoch": the reference's generator seeded by the epoch number
            perm = torch.randperm(n, generator=torch.Generator().manual_seed(epoch))
        for i in range(0, n, batch_size):
            idx = perm[i : i + batch_size]
            opt.zero_grad()
            loss = loss_fn(model(X[idx]), y[idx])
            loss.backward()
            opt.step()
        tr = evaluate(model, X, y)
        va = evaluate(model, ds.X_valid, ds.y_valid)
        if on_epoch is not None:
            on_epoch(epoch, tr, va)


def run_job(job: dict, ds) -> dict:
    seed_all(job["train_seed"])
    model = build(job["model"])
    before_loss, init_test = evaluate(model, ds.X_train, ds.y_train)[0], evaluate(model, ds.X_test, ds.y_test)[1]
    rec = {
        **job,
        "eff_lr": eff_lr(job["lr"], job["momentum"]),
        "before_loss": before_loss,
        "init_test_acc": init_test,
        "test_acc": [],
        "valid_acc": [],
        "train_loss": [],
        "cpu_s": [],
        "wall_s": [],
    }
    opt = torch.optim.SGD(model.parameters(), lr=job["lr"], momentum=job["momentum"])
    t_cpu, t_wall = time.process_time(), time.perf_counter()
    excluded = [0.0, 0.0]

    def on_epoch(epoch, tr, va):
        c0, w0 = time.process_time(), time.perf_counter()
        rec["cpu_s"].append(round(c0 - t_cpu - excluded[0], 3))
        rec["wall_s"].append(round(w0 - t_wall - excluded[1], 3))
        rec["train_loss"].append(tr[0])
        rec["valid_acc"].append(va[1])
        rec["test_acc"].append(evaluate(model, ds.X_test, ds.y_test)[1])  # the grader's measure; not timed
        excluded[0] += time.process_time() - c0
        excluded[1] += time.perf_counter() - w0

    try:
        train_epochs(model, opt, ds, first=1, last=job["epochs"], batch_size=job["batch"], on_epoch=on_epoch)
    except Exception as e:  # noqa: BLE001  (BatchNorm at batch size 1, ...)
        rec["error"] = f"{type(e).__name__}: {str(e).splitlines()[0][:200]}"
    rec["diverged"] = any(not math.isfinite(x) for x in rec["train_loss"])
    return rec


def untrained(ds, spec: str, train_seed: int) -> dict:
    seed_all(train_seed)
    model = build(spec)
    loss, a = evaluate(model, ds.X_train, ds.y_train)[0], evaluate(model, ds.X_test, ds.y_test)[1]
    return {"model": spec, "train_seed": train_seed, "train_loss": loss, "test_acc": a}


# -- exercise 76: resume probe ------------------------------------------------------------


def flat(model) -> torch.Tensor:
    return torch.cat([p.detach().reshape(-1).double().clone() for p in model.parameters()])


def resume_probe(
    ds, *, spec, lr, momentum, batch, shuffle, seed=0, variants=("b", "c", "d_same", "d_other"), E=6, k=3
) -> dict:
    """(a) E epochs uninterrupted; resumed for epochs k+1..E in a "new process" (RNG seeded afresh at the
    start, the model built again) (b) from the epoch-k state with the optimizer state restored,
    (c) with a fresh optimizer, (d_same) from a fresh model built with the same seed (resume ignored),
    (d_other) from a fresh model of another seed."""
    W: dict[str, dict[int, torch.Tensor]] = {}
    VL: dict[str, dict[int, float]] = {}

    def hook(name, model):
        W[name], VL[name] = {}, {}

        def f(epoch, tr, va):
            W[name][epoch] = flat(model)
            VL[name][epoch] = va[0]

        return f

    seed_all(seed)
    model = build(spec)
    W0 = flat(model)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    ck = {}

    def save_k(epoch, tr, va, inner=hook("a", model)):  # noqa: B008 - bound once, on purpose
        inner(epoch, tr, va)
        if epoch == k:
            ck["model"] = {n: t.clone() for n, t in model.state_dict().items()}
            ck["opt"] = _clone_state(opt.state_dict())

    train_epochs(model, opt, ds, first=1, last=E, batch_size=batch, shuffle=shuffle, on_epoch=save_k)

    for v in variants:
        seed_all(seed if v != "d_other" else seed + 1000)
        m = build(spec)
        if v in ("b", "c"):
            m.load_state_dict(ck["model"])
        o = torch.optim.SGD(m.parameters(), lr=lr, momentum=momentum)
        if v == "b":
            o.load_state_dict(ck["opt"])
        train_epochs(m, o, ds, first=k + 1, last=E, batch_size=batch, shuffle=shuffle, on_epoch=hook(v, m))

    Wa, W3 = W["a"], W["a"][k]
    out = {
        "model": spec,
        "lr": lr,
        "momentum": momentum,
        "eff_lr": eff_lr(lr, momentum),
        "batch": batch,
        "shuffle": shuffle,
        "E": E,
        "k": k,
        "train_seed": seed,
        "norm_Wa_minus_W0": float((Wa[E] - W0).norm()),
        "norm_Wa_minus_Wk": float((Wa[E] - W3).norm()),
        "norm_Wa_k1_minus_Wk": float((Wa[k + 1] - W3).norm()),
    }
    want, fresh = VL["a"][k + 1], VL["a"][1]
    tol_now = max(0.05 * abs(want), 0.25 * abs(fresh - want), 1e-4)  # check_resume's tolerance today
    for v in variants:
        out[f"rel_{v}"] = float((W[v][E] - Wa[E]).norm() / (Wa[E] - W3).norm())  # final weights
        out[f"rel_{v}_k1"] = float((W[v][k + 1] - Wa[k + 1]).norm() / (Wa[k + 1] - W3).norm())  # after epoch k+1
        got = VL[v][k + 1]
        out[f"vloss_{v}_k1"] = got
        out[f"today_passes_{v}"] = bool(abs(got - want) <= tol_now)
    out.update({"vloss_a_k1": want, "vloss_a_1": fresh, "vloss_a_k": VL["a"][k], "today_tol": tol_now})
    return out


def _clone_state(sd):
    if isinstance(sd, torch.Tensor):
        return sd.clone()
    if isinstance(sd, dict):
        return {k: _clone_state(v) for k, v in sd.items()}
    if isinstance(sd, list):
        return [_clone_state(v) for v in sd]
    return sd


# -- the job lists ------------------------------------------------------------------------

MLP_CORE = [
    "mlp1-relu-128-plain",
    "mlp1-relu-128-bn",
    "mlp1-relu-128-do",
    "mlp1-tanh-128-plain",
    "mlp1-tanh-128-bn",
    "mlp1-tanh-128-do",
    "mlp1-gelu-128-plain",
]


def sweep_models() -> list[str]:
    """Widths 64-512, 1 and 2 hidden layers, ReLU/Tanh (GELU at width 128); BatchNorm and Dropout variants
    at every width for 128 (the "mlp" suite, one hidden layer) and at the extreme widths 64 and 512 here
    (and GELU 128), plain at every width (trimmed to fit the run time)."""
    out = []
    for depth in (1, 2):
        for act in ("relu", "tanh"):
            for w in (64, 128, 256, 512):
                for v in ("plain", "bn", "do") if w in (64, 512) or (w == 128 and depth == 1) else ("plain",):
                    out.append(f"mlp{depth}-{act}-{w}-{v}")
        for v in ("plain", "bn", "do"):
            out.append(f"mlp{depth}-gelu-128-{v}")
    return out


def jobs_for(
    suite: str, data_seeds: list[int], sweep_batches: list[tuple[int, int]], sweep_points=IN_RANGE
) -> list[dict]:
    J = []

    def add(model, batch, epochs, grid, seeds, train_seeds, suite_=suite):
        for ds_seed in seeds:
            for lr, m in grid:
                for ts in train_seeds:
                    J.append(
                        {
                            "suite": suite_,
                            "model": model,
                            "batch": batch,
                            "epochs": epochs,
                            "lr": lr,
                            "momentum": m,
                            "data_seed": ds_seed,
                            "train_seed": ts,
                        }
                    )

    if suite == "single":
        for model in ("linear", "linear_nobias"):
            add(model, 16, 20, GRID, data_seeds, (0, 1))
            add(model, 8, 12, GRID, data_seeds, (0, 1))
            add(model, 1, 8, GRID, data_seeds, (0,))
    elif suite == "mlp":
        for model in MLP_CORE:
            ts = (0, 1) if model == "mlp1-relu-128-plain" else (0,)
            for b, e in ((32, 20), (16, 20), (8, 10)):
                add(model, b, e, GRID, data_seeds, ts)
    elif suite == "mlp-b1":
        for model in ("mlp1-relu-128-plain", "mlp1-tanh-128-plain", "mlp1-gelu-128-plain"):
            add(model, 1, 8, GRID, [SEED], (0,))
        add("mlp1-relu-128-bn", 1, 8, [(0.1, 0.0)], [SEED], (0,))
    elif suite == "failures":
        for model in ("sm+linear", "sm+linear_nobias"):
            add(model, 16, 20, GRID, data_seeds, (0,))
            add(model, 8, 12, GRID, data_seeds, (0,))
            add(model, 1, 8, GRID, [SEED], (0,))
        for model in ("sm+mlp1-relu-128-plain", "affine-128"):
            for b, e in ((32, 20), (16, 20), (8, 10)):
                add(model, b, e, GRID, data_seeds, (0,))
        add("affine-128", 1, 8, IN_RANGE, [SEED], (0,))
    elif suite == "failures-b1":  # the double softmax at today's 73/74 budget on the other data seeds
        for model in ("sm+linear", "sm+linear_nobias"):
            add(model, 1, 8, GRID, [x for x in data_seeds if x != SEED], (0,))
    elif suite == "failures-b8":  # the MLP failure cases at batch 8 for longer (epoch prefixes: 8x10 ... 8x20)
        for model in ("sm+mlp1-relu-128-plain", "affine-128"):
            add(model, 8, 20, GRID, data_seeds, (0,))
    elif suite == "mlp-long":
        for model in MLP_CORE:
            add(model, 8, 40, IN_RANGE, data_seeds, (0,))
    elif suite == "sweep":
        core = set(MLP_CORE)
        for b, e in sweep_batches:
            for model in sweep_models():
                if model in core and e <= {8: 40, 16: 20, 32: 20}.get(b, 0):
                    continue  # measured by the "mlp"/"mlp-long" suites already (epoch prefixes)
                add(model, b, e, sweep_points, data_seeds, (0,))
    return J


def job_key(j: dict) -> tuple:
    return (j["suite"], j["model"], j["batch"], j["epochs"], j["lr"], j["momentum"], j["data_seed"], j["train_seed"])


# -- the driver ---------------------------------------------------------------------------


def machine() -> dict:
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "description": "the project's 2-core x86_64 VM (shared with other work; runs under nice -n 10)",
        "platform": platform.platform(),
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
    }


def load(path: Path) -> dict:
    if path.exists():
        return json.loads(path.read_text())
    return {"meta": {}, "runs": [], "untrained": [], "resume": []}


def save(path: Path, res: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(res, separators=(",", ":")))
    tmp.replace(path)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--suite",
        nargs="+",
        default=["single", "mlp", "mlp-b1", "failures", "resume"],
        choices=["single", "mlp", "mlp-b1", "failures", "resume", "failures-b1", "failures-b8", "mlp-long", "sweep"],
    )
    ap.add_argument("--data-seeds", type=int, nargs="+", default=[SEED, 1, 2])
    ap.add_argument(
        "--sweep-batches", nargs="+", default=["16x15", "32x20"], help="BATCHxEPOCHS for the width/depth sweep"
    )
    ap.add_argument(
        "--sweep-points",
        choices=["in-range", "edges"],
        default="in-range",
        help="sweep at every in-range grid point, or only at the edges of the range (SWEEP_EDGES)",
    )
    ap.add_argument("--out", type=Path, default=RESULTS / "calibration_grid.json")
    ap.add_argument("--md", type=Path, default=RESULTS / "calibration_grid.md")
    ap.add_argument("--summarize-only", action="store_true")
    ap.add_argument("--smoke", action="store_true", help="2 epochs, one lr, a few models: check the script runs")
    ap.add_argument("--max-minutes", type=float, default=None, help="stop starting new runs after this long")
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    res = load(a.out)
    res["meta"].update(
        {
            "machine": machine(),
            "data_version": VERSION,
            "public_seed": SEED,
            "data_seeds": sorted(set(res["meta"].get("data_seeds", [])) | set(a.data_seeds)),
            "lrs": LRS,
            "momenta": MOMENTA,
            "eff_lr_range": [EFF_LO, EFF_HI],
        }
    )
    t_start = time.perf_counter()
    datasets: dict[int, object] = {}

    def data(seed):
        if seed not in datasets:
            datasets[seed] = make_default(seed)
        return datasets[seed]

    sweep_b = [tuple(int(x) for x in s.split("x")) for s in a.sweep_batches]
    done = {job_key(r) for r in res["runs"]}
    last_save = time.perf_counter()
    for suite in [] if a.summarize_only else a.suite:
        if suite == "resume":
            run_resume(res, data, a)
            save(a.out, res)
            continue
        if suite == "failures":
            have = {(u["model"], u["data_seed"], u["train_seed"]) for u in res["untrained"]}
            for ds_seed in a.data_seeds:
                for spec in (
                    "linear",
                    "linear_nobias",
                    "mlp1-relu-128-plain",
                    "mlp1-tanh-128-plain",
                    "mlp2-relu-512-plain",
                    "sm+linear",
                    "affine-128",
                ):
                    for ts in range(5):
                        if (spec, ds_seed, ts) not in have:
                            res["untrained"].append({**untrained(data(ds_seed), spec, ts), "data_seed": ds_seed})
        points = IN_RANGE if a.sweep_points == "in-range" else SWEEP_EDGES
        jobs = [j for j in jobs_for(suite, a.data_seeds, sweep_b, points) if job_key(j) not in done]
        if a.smoke:
            jobs = [{**j, "epochs": 2, "suite": "smoke"} for j in jobs if j["lr"] == 0.1 and j["momentum"] == 0.0][:6]
        print(f"[{_now()}] suite {suite}: {len(jobs)} runs to do", flush=True)
        for i, j in enumerate(jobs):
            if a.max_minutes is not None and time.perf_counter() - t_start > 60 * a.max_minutes:
                print("time limit reached; stopping", flush=True)
                save(a.out, res)
                return 2
            r = run_job(j, data(j["data_seed"]))
            res["runs"].append(r)
            done.add(job_key(j))
            if i % 20 == 0 or i == len(jobs) - 1:
                last = r["test_acc"][-1] if r["test_acc"] else float("nan")
                print(
                    f"[{_now()}] {suite} {i + 1}/{len(jobs)} {j['model']} b{j['batch']}x{j['epochs']} lr {j['lr']} "
                    f"m {j['momentum']} seed {j['data_seed']}/{j['train_seed']}: test {last:.4f}, "
                    f"{r['cpu_s'][-1] if r['cpu_s'] else 0:.1f} s cpu {r.get('error', '')}",
                    flush=True,
                )
            if time.perf_counter() - last_save > 30:
                save(a.out, res)
                last_save = time.perf_counter()
        save(a.out, res)
    if a.smoke:
        return 0
    a.md.write_text(render(res))
    save(a.out, res)
    print(f"wrote {a.out} and {a.md}", flush=True)
    return 0


def run_resume(res, data, a) -> None:
    have = {(r["model"], r["lr"], r["momentum"], r["batch"], r["shuffle"], r.get("data_seed")) for r in res["resume"]}
    todo = []
    for ds_seed in a.data_seeds:  # full batch: 6 steps a run, every data seed
        for spec in ("linear_nobias", "linear"):
            for lr, m in GRID:
                todo.append((spec, lr, m, 3200, "global", ds_seed, ("b", "c", "d_same", "d_other")))
    for ds_seed in a.data_seeds:  # full batch, a weaker momentum too
        for spec in ("linear_nobias", "linear"):
            for lr in LRS:
                todo.append((spec, lr, 0.5, 3200, "global", ds_seed, ("b", "c", "d_same", "d_other")))
    for lr, m in GRID:  # batch 1: public seed, the nobias model
        todo.append(("linear_nobias", lr, m, 1, "global", SEED, ("b", "c", "d_same", "d_other")))
    for lr, m in GRID:  # batch 1 with the reference's per-epoch generator
        todo.append(("linear_nobias", lr, m, 1, "epoch", SEED, ("b", "c")))
    if a.smoke:
        todo = todo[:2]
    for spec, lr, m, b, sh, ds_seed, variants in todo:
        if (spec, lr, m, b, sh, ds_seed) in have:
            continue
        r = resume_probe(data(ds_seed), spec=spec, lr=lr, momentum=m, batch=b, shuffle=sh, variants=variants)
        r["data_seed"] = ds_seed
        res["resume"].append(r)
        if b == 1:
            print(
                f"[{_now()}] resume b{b} {sh} lr {lr} m {m}: rel_b {r['rel_b']:.3g} rel_c {r.get('rel_c', float('nan')):.3g}",
                flush=True,
            )
            save(a.out, res)
    print(f"[{_now()}] resume: {len(res['resume'])} probes", flush=True)


# -- the summary --------------------------------------------------------------------------

# The budgets recommended from these results (see the summary's first section); thresholds are computed.
RECOMMENDED = {"single": (1, 8), "mlp": (8, 15)}
MARGIN = 0.01  # threshold at most this far below the worst in-range correct configuration ...
STEP = 0.005  # ... rounded down to a multiple of this

SINGLE_BUDGETS = [(1, 8), (8, 8), (8, 10), (8, 12), (16, 10), (16, 15), (16, 20)]
MLP_BUDGETS = [
    (1, 8),
    (8, 8),
    (8, 10),
    (8, 15),
    (8, 20),
    (8, 25),
    (8, 30),
    (8, 40),
    (16, 10),
    (16, 15),
    (16, 20),
    (32, 10),
    (32, 15),
    (32, 20),
]
REF_MODEL = {"single": "linear_nobias", "mlp": "mlp1-relu-128-plain"}


def _acc(r: dict, e: int):
    """Test accuracy after epoch e, or 0.0 for a run that failed (error/divergence) before it; None if not run that long."""
    if r["epochs"] < e:
        return None
    if len(r["test_acc"]) < e:
        return 0.0
    return r["test_acc"][e - 1]


def _index(res):
    idx: dict[tuple, list] = {}
    for r in res["runs"]:
        idx.setdefault((r["model"], r["batch"]), []).append(r)
    return idx


def _floor(x: float) -> float:
    return math.floor(x / STEP + 1e-9) * STEP


def _budget_stats(res, fam: str, b: int, e: int) -> dict:
    """Worst correct in-range run, failure-case maxima, costs at budget b x e."""
    rows = [r for r in res["runs"] if r["batch"] == b and r["epochs"] >= e and family(r["model"]) == fam]
    good = [r for r in rows if is_correct(r["model"]) and in_range(r["lr"], r["momentum"])]
    errors = [r for r in good if r.get("error")]
    good = [r for r in good if not r.get("error")]
    if not good:
        return {}
    worst = min(good, key=lambda r: _acc(r, e))
    out = {
        "n_runs": len(good),
        "errors": sorted({f"{r['model']}: {r['error']}" for r in errors}),
        "n_models": len({r["model"] for r in good}),
        "worst": _acc(worst, e),
        "worst_run": worst,
        "median": float(np.median([_acc(r, e) for r in good])),
    }
    out["threshold"] = _floor(out["worst"] - MARGIN)
    sm = [r for r in rows if r["model"].startswith("sm+")]
    if sm:
        sm_in = [r for r in sm if in_range(r["lr"], r["momentum"])]
        out["dsoftmax_max_in"] = max(_acc(r, e) for r in sm_in) if sm_in else None
        out["dsoftmax_max_all"] = max(_acc(r, e) for r in sm)
        out["dsoftmax_max_all_run"] = max(sm, key=lambda r: _acc(r, e))
        out["dsoftmax_min_loss"] = min(r["train_loss"][e - 1] for r in sm if len(r["train_loss"]) >= e)
        out["dsoftmax_max_in_run"] = max(sm_in, key=lambda r: _acc(r, e)) if sm_in else None
        th = out["threshold"]
        out["dsoftmax_pass_in"] = (sum(_acc(r, e) >= th for r in sm_in), len(sm_in))
        out["dsoftmax_pass_all"] = (sum(_acc(r, e) >= th for r in sm), len(sm))
    af = [r for r in rows if r["model"].startswith("affine")]
    if af:
        af_in = [r for r in af if in_range(r["lr"], r["momentum"])]
        out["affine_max_in"] = max(_acc(r, e) for r in af_in) if af_in else None
        out["affine_max_all"] = max(_acc(r, e) for r in af)
        out["affine_pass_in"] = (sum(_acc(r, e) >= out["threshold"] for r in af_in), len(af_in))
    losses = [r["train_loss"][e - 1] for r in good if len(r["train_loss"]) >= e]
    out["max_final_loss_correct"] = max(losses) if losses else None
    ref = [r["cpu_s"][e - 1] for r in good if r["model"] == REF_MODEL[fam] and len(r["cpu_s"]) >= e]
    allc = [r["cpu_s"][e - 1] for r in good if len(r["cpu_s"]) >= e]
    out["cpu_ref_median"] = float(np.median(ref)) if ref else None
    out["cpu_max"] = max(allc) if allc else None
    out["cpu_max_model"] = (
        max((r for r in good if len(r["cpu_s"]) >= e), key=lambda r: r["cpu_s"][e - 1])["model"] if allc else None
    )
    return out


def _untrained_max(res, fam):
    u = [x for x in res["untrained"] if family(x["model"]) == fam and not x["model"].startswith("affine")]
    return max(u, key=lambda x: x["test_acc"]) if u else None


def _num(x):
    return "–" if x is None else f"{x:.3f}"


def _pct(x):
    return "–" if x is None else f"{100 * x:.2f}"


def _cfg(r):
    return f"{r['model']} lr {r['lr']} m {r['momentum']} (data seed {r['data_seed']}, train seed {r['train_seed']})"


def _grid_table(res, models, b, e, grid, th) -> list[str]:
    idx = _index(res)
    have = {(r["lr"], r["momentum"]) for model in models for r in idx.get((model, b), []) if r["epochs"] >= e}
    grid = [g for g in grid if g in have]
    if not grid:
        return ["(no runs)"]
    head = "| model | " + " | ".join(f"{lr}/{m}{'*' if in_range(lr, m) else ''}" for lr, m in grid) + " |"
    lines = [head, "|" + "---|" * (len(grid) + 1)]
    for model in models:
        runs = [r for r in idx.get((model, b), []) if r["epochs"] >= e]
        if not runs:
            continue
        cells = []
        for lr, m in grid:
            accs = [_acc(r, e) for r in runs if r["lr"] == lr and r["momentum"] == m]
            if not accs:
                cells.append(" ")
                continue
            err = any(r.get("error") for r in runs if r["lr"] == lr and r["momentum"] == m)
            mark = " ✗" if th is not None and min(accs) < th else ""
            cells.append(("error" if err else f"{100 * min(accs):.1f}/{100 * float(np.mean(accs)):.1f}") + mark)
        lines.append(f"| {model} | " + " | ".join(cells) + " |")
    return lines


def render(res: dict) -> str:
    meta = res["meta"]
    mc = meta["machine"]
    L = [
        "# Calibration grid: budgets and thresholds for exercises 73/74, 76 and 79",
        "",
        f"Generated by `benchmarks/calibration_grid.py` on {mc['description']}: {mc['cpu']}, "
        f"{mc['cpu_count']} cores, Python {mc['python']}, torch {mc['torch']}, torch threads {mc['torch_threads']}, "
        f"OMP_NUM_THREADS={mc['OMP_NUM_THREADS']}, one experiment process at a time. "
        f"Data: `make_default(seed)` version {meta['data_version']}, data seeds {meta['data_seeds']} "
        f"(public SEED = {meta['public_seed']}). {len(res['runs'])} training runs, "
        f"{len(res['untrained'])} untrained evaluations, {len(res['resume'])} resume probes; raw results in "
        "`calibration_grid.json` (test/valid accuracy, train loss and CPU seconds after every epoch of every run).",
        "",
        "Training loop as a student's: `torch.optim.SGD(lr, momentum)`, `nn.CrossEntropyLoss`, per epoch "
        "`model.train()`, `torch.randperm` of the training rows, zero_grad/forward/loss/backward/step per "
        "mini-batch, then train and valid loss/accuracy in eval mode under no_grad (what the history needs; "
        "timed); test accuracy in eval mode after every epoch (not timed). torch/numpy/random seeded with the "
        "training seed before the model is built. A constant learning rate makes epoch e of a longer run the "
        "same as the end of an e-epoch run, so budget `b×e` is read off the runs at batch b with at least e epochs.",
        "",
        f"**In range** means a correct model trained with an effective learning rate lr/(1−momentum) in "
        f"{EFF_LO}–{EFF_HI} — grid points (lr/momentum) {', '.join(f'{lr}/{m}' for lr, m in IN_RANGE)}; marked * in "
        f"the tables. Thresholds below are the worst in-range test accuracy minus {MARGIN}, rounded down to a "
        f"multiple of {STEP}. Cells are min/mean test accuracy (%) over the data seeds (and training seeds where "
        "two were run); ✗ marks a min below the recommended threshold.",
        "",
    ]

    # -- recommendation
    L += ["## Recommendation (computed)", ""]
    rec = {}
    for fam, (b, e) in RECOMMENDED.items():
        st = _budget_stats(res, fam, b, e)
        rec[fam] = st
        if not st:
            continue
        um = _untrained_max(res, fam)
        L += [
            f"- **{'73/74 single layer' if fam == 'single' else '79 MLP'}**: batch size {b}, {e} epochs; "
            f"threshold **{st['threshold']:.3f}**. Worst in-range correct run {_pct(st['worst'])} % "
            f"({_cfg(st['worst_run'])}) over {st['n_models']} models / {st['n_runs']} runs; median {_pct(st['median'])} %. "
            f"Never-stepping model at most {_pct(um['test_acc']) if um else '–'} %; double softmax at most "
            f"{_pct(st.get('dsoftmax_max_in'))} % at in-range learning rates"
            + (
                f" ({_cfg(st['dsoftmax_max_in_run'])}; {st['dsoftmax_pass_in'][0]} of {st['dsoftmax_pass_in'][1]} "
                f"in-range double-softmax runs reach the threshold, {st['dsoftmax_pass_all'][0]} of "
                f"{st['dsoftmax_pass_all'][1]} at any grid learning rate)"
                if st.get("dsoftmax_max_in_run")
                else ""
            )
            + f", {_pct(st.get('dsoftmax_max_all'))} % at any grid learning rate"
            + (
                f"; affine Linear→Linear at most {_pct(st.get('affine_max_in'))} % in range "
                f"({st['affine_pass_in'][0]} of {st['affine_pass_in'][1]} in-range runs reach the threshold), "
                f"{_pct(st.get('affine_max_all'))} % anywhere"
                if fam == "mlp" and "affine_pass_in" in st
                else ""
            )
            + f". CPU seconds of the reference-like model ({REF_MODEL[fam]}): {st['cpu_ref_median']:.1f} "
            f"(slowest model in the grid: {st['cpu_max']:.1f}, {st['cpu_max_model']})."
        ]
    L.append("")

    # -- frontier per budget
    for fam, budgets in (("single", SINGLE_BUDGETS), ("mlp", MLP_BUDGETS + _sweep_budgets(res))):
        um = _untrained_max(res, fam)
        L += [
            f"## Budgets, {'single layer (73/74)' if fam == 'single' else 'MLP (79)'}: worst in-range run and failure cases",
            "",
            f"Never-stepping (untrained) model, any init seed 0–4 and data seed: at most "
            f"{_pct(um['test_acc']) if um else '–'} % ({um['model'] if um else ''}).",
            "",
            "| budget | models / runs | worst in range | its config | median | threshold (worst−1pt) | "
            "double softmax max in range / anywhere | "
            + ("affine max in range / anywhere | " if fam == "mlp" else "")
            + "final train loss: max correct in range / min double softmax | CPU s: reference model (median) / slowest |",
            "|" + "---|" * (10 if fam == "mlp" else 9),
        ]
        seen = set()
        notes = []
        for b, e in budgets:
            if (b, e) in seen:
                continue
            seen.add((b, e))
            st = _budget_stats(res, fam, b, e)
            if not st:
                continue
            w = st["worst_run"]
            sm = f"{_pct(st.get('dsoftmax_max_in'))} / {_pct(st.get('dsoftmax_max_all'))}"
            af = f" {_pct(st.get('affine_max_in'))} / {_pct(st.get('affine_max_all'))} |" if fam == "mlp" else ""
            cref = "–" if st["cpu_ref_median"] is None else f"{st['cpu_ref_median']:.1f}"
            L.append(
                f"| {b}×{e} | {st['n_models']} / {st['n_runs']} | {_pct(st['worst'])} | {w['model']} {w['lr']}/{w['momentum']} "
                f"seed {w['data_seed']} | {_pct(st['median'])} | {st['threshold']:.3f} | {sm} |{af} "
                f"{st['max_final_loss_correct']:.3f} / {_num(st.get('dsoftmax_min_loss'))} | {cref} / {st['cpu_max']:.1f} |"
            )
            if st["errors"]:
                notes.append(
                    f"At {b}×{e}, runs that could not train (left out of the worst): " + "; ".join(st["errors"])
                )
        L += [""] + notes + ([""] if notes else [])

    # -- detail tables
    single_models = ["linear", "linear_nobias"]
    mlp_models = MLP_CORE
    th_s = rec.get("single", {}).get("threshold")
    th_m = rec.get("mlp", {}).get("threshold")
    L += ["## Single layer: config × lr/momentum → min/mean test accuracy (%) over data seeds", ""]
    for b, e in ((1, 8), (8, 10), (16, 20)):
        L += (
            [f"### batch {b} × {e} epochs", ""]
            + _grid_table(res, single_models + ["sm+linear", "sm+linear_nobias"], b, e, GRID, th_s)
            + [""]
        )
    L += ["## MLP (128 wide, one hidden layer): config × lr/momentum → min/mean test accuracy (%) over data seeds", ""]
    for b, e in ((1, 8), (8, 10), (8, 15), (8, 20), (8, 30), (8, 40), (16, 15), (16, 20), (32, 20)):
        L += (
            [f"### batch {b} × {e} epochs", ""]
            + _grid_table(res, mlp_models + ["sm+mlp1-relu-128-plain", "affine-128"], b, e, GRID, th_m)
            + [""]
        )
    sb = _sweep_budgets(res)
    if sb:
        L += [
            "## MLP sweep (widths 64–512, 1–2 hidden layers, ReLU/Tanh/GELU × plain/BatchNorm/Dropout): "
            "in-range learning rates only",
            "",
        ]
        for b, e in sb:
            for ee in sorted({10, 15, e}):
                if ee <= e:
                    L += (
                        [f"### batch {b} × {ee} epochs", ""]
                        + _grid_table(res, sweep_models(), b, ee, IN_RANGE, th_m)
                        + [""]
                    )

    # -- per data seed
    L += ["## Worst in-range correct run per data seed at the recommended budgets", ""]
    for fam, (b, e) in RECOMMENDED.items():
        rows = [
            r
            for r in res["runs"]
            if r["batch"] == b
            and r["epochs"] >= e
            and family(r["model"]) == fam
            and is_correct(r["model"])
            and in_range(r["lr"], r["momentum"])
        ]
        per = {}
        for r in rows:
            if r["data_seed"] not in per or _acc(r, e) < _acc(per[r["data_seed"]], e):
                per[r["data_seed"]] = r
        L.append(
            f"- {fam}, batch {b} × {e}: "
            + "; ".join(
                f"data seed {k}: {_pct(_acc(v, e))} ({v['model']} {v['lr']}/{v['momentum']})"
                for k, v in sorted(per.items())
            )
        )
    L.append("")

    # -- frontier in effective learning rate
    L += [
        "## Pass/fail frontier at the recommended budgets and thresholds",
        "",
        "Fraction of (correct model, data seed, training seed) runs at or above the threshold, by grid point.",
        "",
    ]
    for fam, (b, e) in RECOMMENDED.items():
        th = rec.get(fam, {}).get("threshold")
        if th is None:
            continue
        rows = [
            r
            for r in res["runs"]
            if r["batch"] == b and r["epochs"] >= e and family(r["model"]) == fam and is_correct(r["model"])
        ]
        L += [
            f"**{fam}**, batch {b} × {e}, threshold {th:.3f}:",
            "",
            "| momentum | " + " | ".join(f"lr {lr}" for lr in LRS) + " |",
            "|" + "---|" * (len(LRS) + 1),
        ]
        for m in MOMENTA:
            cells = []
            for lr in LRS:
                rr = [r for r in rows if r["lr"] == lr and r["momentum"] == m]
                if not rr:
                    cells.append(" ")
                    continue
                ok = sum(_acc(r, e) >= th for r in rr)
                cells.append(f"{ok}/{len(rr)} (eff {eff_lr(lr, m):g})")
            L.append(f"| {m} | " + " | ".join(cells) + " |")
        L.append("")

    # -- training-seed noise
    L += [
        "## Training-seed noise (two training seeds, same data seed, same grid point)",
        "",
        "| model | budget | pairs | mean abs diff | max abs diff |",
        "|---|---|---|---|---|",
    ]
    pairs: dict[tuple, list] = {}
    for r in res["runs"]:
        pairs.setdefault((r["model"], r["batch"], r["epochs"], r["lr"], r["momentum"], r["data_seed"]), []).append(r)
    for model, budgets in (
        ("linear", [(8, 10), (16, 20)]),
        ("linear_nobias", [(8, 10), (16, 20)]),
        ("mlp1-relu-128-plain", [(8, 10), (16, 15), (32, 20)]),
    ):
        for b, e in budgets:
            d = [
                abs(_acc(v[0], e) - _acc(v[1], e))
                for k, v in pairs.items()
                if k[0] == model and k[1] == b and len(v) == 2 and v[0]["epochs"] >= e and in_range(k[3], k[4])
            ]
            if d:
                L.append(f"| {model} | {b}×{e} | {len(d)} | {100 * float(np.mean(d)):.2f} | {100 * max(d):.2f} |")
    L.append("")

    # -- untrained
    L += [
        "## Never-stepping model (untrained init)",
        "",
        "| model | max test acc (5 init seeds × data seeds) | mean |",
        "|---|---|---|",
    ]
    by: dict[str, list] = {}
    for u in res["untrained"]:
        by.setdefault(u["model"], []).append(u["test_acc"])
    for m, v in by.items():
        L.append(f"| {m} | {_pct(max(v))} | {_pct(float(np.mean(v)))} |")
    L.append("")

    L += _render_resume(res)
    return "\n".join(L) + "\n"


def _sweep_budgets(res) -> list[tuple[int, int]]:
    return sorted({(r["batch"], r["epochs"]) for r in res["runs"] if r["suite"] == "sweep"})


def _render_resume(res) -> list[str]:
    R = res["resume"]
    if not R:
        return []
    L = [
        "## Exercise 76: resume probe (single layer, E = 6, resume after k = 3)",
        "",
        "rel_x = ‖W_x − W_a‖ / ‖W_a − W_3‖ on the final weights (epoch 6; in brackets after epoch 4 = k+1), "
        "where a = uninterrupted run, W_3 = its epoch-3 weights, b = resumed from the epoch-3 checkpoint with the "
        "optimizer state, c = same with a fresh optimizer (momentum buffer lost), d = the checkpoint ignored: a fresh "
        "model (d_same: built with the same seed as run a, d_other: another seed) trained epochs 4–6. Resumed runs "
        're-seed the RNG at the start as a new process would. "today" = whether check_resume\'s current valid-loss '
        "test (epoch k+1 within max(0.05·loss, 0.25·|fresh−want|)) passes that variant. Max over data seeds and "
        "(full batch) over both models (bias / no bias).",
        "",
    ]
    groups: dict[tuple, list] = {}
    for r in R:
        groups.setdefault((r["batch"], r["shuffle"], r["lr"], r["momentum"]), []).append(r)
    for bt, sh in sorted({(k[0], k[1]) for k in groups}, key=lambda x: -x[0]):
        title = "full batch (3200)" if bt == 3200 else f"batch {bt}"
        title += (
            ", shuffling from the global RNG"
            if sh == "global"
            else ", the reference's per-epoch generator (seeded by epoch)"
        )
        L += [
            f"### {title}",
            "",
            "| lr | momentum | eff lr | rel_b | rel_c | rel_d_same | rel_d_other | ‖W_a−W_3‖/‖W_a−W_0‖ | today passes b / c / d_same |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for (b2, s2, lr, m), rr in sorted(groups.items(), key=lambda kv: (kv[0][3], kv[0][2])):
            if (b2, s2) != (bt, sh):
                continue

            def mx(key, rr=rr):
                v = [r[key] for r in rr if key in r]
                return "–" if not v else f"{max(v):.3g}"

            def mn(key, rr=rr):
                v = [r[key] for r in rr if key in r]
                return "–" if not v else f"{min(v):.3g}"

            def today(v, rr=rr):
                t = [r[f"today_passes_{v}"] for r in rr if f"today_passes_{v}" in r]
                return "–" if not t else ("yes" if all(t) else ("no" if not any(t) else "some"))

            frac = max(r["norm_Wa_minus_Wk"] / r["norm_Wa_minus_W0"] for r in rr)
            L.append(
                f"| {lr} | {m} | {eff_lr(lr, m):g} | {mx('rel_b')} ({mx('rel_b_k1')}) | "
                f"{mn('rel_c')}–{mx('rel_c')} ({mn('rel_c_k1')}) | {mn('rel_d_same')} ({mn('rel_d_same_k1')}) | "
                f"{mn('rel_d_other')} | {frac:.2f} | {today('b')} / {today('c')} / {today('d_same')} |"
            )
        L.append("")
    fb = [r for r in R if r["batch"] == 3200]
    if fb:
        bmax = max(r["rel_b"] for r in fb)
        cmin = min((r["rel_c"] for r in fb if r["momentum"] > 0), default=float("nan"))
        dmin = min(min(r["rel_d_same"], r["rel_d_other"]) for r in fb)
        L += [
            f"Full batch: rel_b at most {bmax:.3g}; rel_c at least {cmin:.3g} with momentum 0.9 (equal to rel_b "
            f"with momentum 0: plain SGD keeps no state); rel_d at least {dmin:.3g}.",
            "",
        ]
    return L


def _now() -> str:
    return _dt.datetime.now().strftime("%H:%M:%S")


if __name__ == "__main__":
    raise SystemExit(main())
