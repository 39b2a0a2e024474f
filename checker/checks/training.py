"""Checks of the training exercises (73–79).

The grader sends the training and validation data into the sandbox once
(kept there by handle), calls the student's ``build_model`` / ``build_mlp``
and ``train`` there, and gets back only what it asks for: the history
(validated record by record) and logits of the grader's choosing.  Test
labels never leave the grader: the sandbox gets test *features*, returns
logits, and the grader computes the accuracy itself.  Training runs that
several items need (73, 74, 75) are made once per submission and shared.
"""
from __future__ import annotations

import io
import math
from pathlib import Path

import torch

from .. import fmt, validate
from ..outcome import CheckFailure, Msg, Skip
from ..records import Status
from ..sandbox.safeload import CheckpointError, load_checkpoint_bytes
from ..sandbox.session import StudentError, WorkerGone
from ..sandbox.wire import Handle

KEYS = ("epoch", "train_loss", "train_acc", "valid_loss", "valid_acc")
MAX_CHECKPOINT_MB = 64


# -- plumbing shared by the training checks ------------------------------------------------


def _fail_from(ctx, e: Exception, call: str) -> CheckFailure:
    from ..engine import WorkerFatal, gone_failure, student_failure

    if isinstance(e, StudentError):
        return student_failure(e.error, call, ctx.limits)
    if isinstance(e, WorkerGone):
        raise WorkerFatal(gone_failure(e, call, ctx.limits))
    raise e


def _request(ctx, op: str, values: dict, call: str, timeout: float | None = None, **header):
    try:
        return ctx.session.op(op, values, timeout=timeout or ctx.exercise.limits.call_timeout_s, during=call, **header)
    except (StudentError, WorkerGone) as e:
        raise _fail_from(ctx, e, call) from None


def _data(ctx) -> dict:
    """Handles of the training data inside the (current) worker; sent once per worker."""
    key = ("data", ctx.session.restarts)
    if key not in ctx.shared:
        d = ctx.data
        _, v = _request(ctx, "put", {"X_train": d.X_train, "y_train": d.y_train, "X_valid": d.X_valid,
                                     "y_valid": d.y_valid, "X_test": d.X_test}, "put", timeout=60)
        handles = v.get("handles")
        if not isinstance(handles, dict) or not all(isinstance(h, Handle) for h in handles.values()):
            raise CheckFailure("protocol", {"detail": "bad handles"}, status=Status.ERROR)
        ctx.shared[key] = handles
    return ctx.shared[key]


def sandbox_path(ctx, name: str) -> str:
    return f"{ctx.session.launch.sandbox_workdir}/{name}"


def read_file(ctx, path: str, limit: int) -> bytes | None:
    """A file the submission wrote, fetched through the pipe; None when it is not there."""
    try:
        _, v = ctx.session.op("read", {}, path=path, limit=limit, timeout=60, during=f"reading {path}")
    except StudentError as e:
        if e.type in ("FileNotFoundError", "NotADirectoryError", "IsADirectoryError"):
            return None
        if e.type == "ValueError":
            raise CheckFailure("plot_invalid", {"error": e.error.get("message", "")[:200]}) from None
        raise _fail_from(ctx, e, f"reading {path}") from None
    except WorkerGone as e:
        raise _fail_from(ctx, e, f"reading {path}") from None
    data = v.get("data")
    if not isinstance(data, torch.Tensor) or data.dtype != torch.uint8 or data.dim() != 1 or data.numel() > limit:
        raise CheckFailure("protocol", {"detail": "a file came back malformed"}, status=Status.ERROR)
    return data.numpy().tobytes()


def build(ctx, fn: str = "build_model") -> Handle:
    d = ctx.data
    call = f"{fn}({d.X_train.shape[1]}, {len(d.classes)})"
    try:
        res = ctx.session.call(fn, [int(d.X_train.shape[1]), len(d.classes)], seed=ctx.seed, keep=True,
                               timeout=ctx.exercise.limits.call_timeout_s)
    except (StudentError, WorkerGone) as e:
        raise _fail_from(ctx, e, call) from None
    h = res.value
    mods = modules(ctx, h, call)
    if mods is None:
        raise CheckFailure("not_a_module", {"call": call, "got": "?"})
    return h


def modules(ctx, model: Handle, call: str = "build_model") -> dict | None:
    try:
        h, _ = ctx.session.op("modules", {"model": model}, timeout=ctx.exercise.limits.call_timeout_s, during=call)
    except StudentError as e:
        if e.type in ("AttributeError", "TypeError"):
            raise CheckFailure("not_a_module", {"call": call, "got": e.error.get("message", "")[:100]}) from None
        raise _fail_from(ctx, e, call) from None
    except WorkerGone as e:
        raise _fail_from(ctx, e, call) from None
    mods, lists = h.get("modules"), h.get("unregistered_lists") or []
    try:  # untrusted like everything from the sandbox: keep only well-formed entries
        clean = [{"name": str(m["name"])[:200], "type": str(m["type"])[:200],
                  "params": [(str(p[0])[:200], [int(x) for x in p[1]], str(p[2])[:50]) for p in m["params"]]}
                 for m in mods[:10_000]]
        lists = [str(a)[:100] for a in lists[:100]]
    except (TypeError, KeyError, ValueError, IndexError):
        raise CheckFailure("protocol", {"detail": "a malformed module list"}, status=Status.ERROR) from None
    return {"modules": clean, "lists": lists}


def train(ctx, model: Handle, *, epochs: int, batch_size: int, device: str = "cpu", checkpoint_dir: str | None = None,
          resume_from: str | None = None, first_epoch: int = 1) -> tuple[list[dict], float]:
    """Call the student's train in the sandbox; return the validated history and the wall time (grader's clock)."""
    d = _data(ctx)
    kwargs = {"epochs": epochs, "batch_size": batch_size, "device": device, "checkpoint_dir": checkpoint_dir,
              "resume_from": resume_from}
    call = f"train(model, X_train, y_train, X_valid, y_valid, epochs={epochs}, batch_size={batch_size}, device={device!r}" + \
           (f", checkpoint_dir={checkpoint_dir!r}" if checkpoint_dir else "") + (f", resume_from={resume_from!r}" if resume_from else "") + ")"
    timeout = float(ctx.item.params.get("train_timeout_s", ctx.exercise.limits.wall_s))
    try:
        res = ctx.session.call("train", [model, d["X_train"], d["y_train"], d["X_valid"], d["y_valid"]], kwargs,
                               seed=ctx.seed, timeout=timeout)
    except (StudentError, WorkerGone) as e:
        raise _fail_from(ctx, e, call) from None
    history = records(res.value, epochs - first_epoch + 1)
    return history, float(res.meta.get("elapsed_s", 0.0))


def records(raw, count: int) -> list[dict]:
    """The history, read leniently: the values the other items need, as floats.

    Only the `history` item (75) holds the records to every rule of the
    contract (keys, epoch numbers, ranges); other items only need the numbers.
    """
    if not isinstance(raw, list) or not raw or not all(isinstance(r, dict) for r in raw):
        raise CheckFailure("history_type", {"got": validate.describe(raw)})
    if len(raw) != count:
        raise CheckFailure("history_len", {"got": len(raw), "expected": count})
    out = []
    for k, rec in enumerate(raw, start=1):
        clean = {"raw": rec}
        for key in KEYS:
            v = rec.get(key)
            try:
                clean[key] = validate.like(v, 0.0, key) if key != "epoch" else v
            except CheckFailure:
                raise CheckFailure("history_value", {"k": k, "key": key, "got": fmt.value(v), "expected": Msg("a_finite_number")}) from None
        out.append(clean)
    return out


def validate_history(raw, count: int, first_epoch: int = 1) -> list[dict]:
    if not isinstance(raw, list):
        raise CheckFailure("history_type", {"got": validate.describe(raw)})
    if len(raw) != count:
        raise CheckFailure("history_len", {"got": len(raw), "expected": count})
    out = []
    for k, rec in enumerate(raw, start=1):
        if not isinstance(rec, dict):
            raise CheckFailure("history_type", {"got": validate.describe(rec)})
        if set(rec) != set(KEYS):
            raise CheckFailure("history_keys", {"k": k, "got": ", ".join(sorted(map(str, rec))) or "-", "expected": ", ".join(KEYS)})
        ep = rec["epoch"]
        if isinstance(ep, bool) or not isinstance(ep, int):
            raise CheckFailure("history_value", {"k": k, "key": "epoch", "got": fmt.value(ep), "expected": Msg("an_int")})
        if ep != first_epoch + k - 1:
            raise CheckFailure("history_epoch", {"k": k, "got": ep, "expected": first_epoch + k - 1})
        clean = {"epoch": ep}
        for key in KEYS[1:]:
            try:
                v = validate.like(rec[key], 0.0, key)
            except CheckFailure:
                raise CheckFailure("history_value", {"k": k, "key": key, "got": fmt.value(rec[key]), "expected": Msg("a_finite_number")}) from None
            if not math.isfinite(v):
                raise CheckFailure("history_value", {"k": k, "key": key, "got": fmt.value(v), "expected": Msg("a_finite_number")})
            if key.endswith("acc") and not (0.0 <= v <= 1.0):
                f = CheckFailure("history_value", {"k": k, "key": key, "got": fmt.value(v), "expected": Msg("a_fraction")})
                if 1.0 < v <= 100.0:
                    f.details.append(Msg("hint_percent"))
                raise f
            clean[key] = v
        out.append(clean)
    return out


def logits(ctx, model: Handle, which: str) -> torch.Tensor:
    """The model's logits on the grader's choice of data, validated: a finite float (n, L) tensor."""
    d = ctx.data
    X = {"train": d.X_train, "valid": d.X_valid, "test": d.X_test}[which]
    h = _data(ctx)[f"X_{which}"]
    _, v = _request(ctx, "predict", {"model": model, "x": h}, "model(X)", timeout=ctx.exercise.limits.call_timeout_s * 3)
    out = v.get("result")
    like = torch.empty((X.shape[0], len(d.classes)))
    out = validate.like(out, like, "model(X)")
    if not out.is_floating_point():
        raise CheckFailure("bad_dtype", {"what": "model(X)", "got": str(out.dtype), "expected": "float32"})
    return out.double()


def ce(z: torch.Tensor, y: torch.Tensor) -> float:
    if not bool(torch.isfinite(z).all()):
        return float("inf")
    return float(torch.nn.functional.cross_entropy(z, y))


def acc(z: torch.Tensor, y: torch.Tensor) -> float:
    return float((z.argmax(1) == y).double().mean())


def _p(name: str, ctx, default):
    return ctx.item.params.get(name, default)


def main_run(ctx, fn: str = "build_model", device: str = "cpu") -> dict:
    """The shared training run of 73–75 (and 79 with build_mlp): built, trained, measured once."""
    epochs, batch = int(_p("epochs", ctx, 8)), int(_p("batch_size", ctx, 1))
    key = ("run", fn, epochs, batch, device, ctx.session.restarts)
    if key not in ctx.shared:
        try:
            model = build(ctx, fn)
            before = ce(logits(ctx, model, "train"), ctx.data.y_train)
            history, elapsed = train(ctx, model, epochs=epochs, batch_size=batch, device=device)
            ctx.shared[key] = {"model": model, "history": history, "elapsed": elapsed, "before": before}
        except CheckFailure as f:
            ctx.shared[key] = f
    got = ctx.shared[key]
    if isinstance(got, CheckFailure):
        raise got
    return got


# -- 73 -----------------------------------------------------------------------------------


def check_loss_decreases(ctx) -> None:
    """Training lowers the training loss (measured by the grader) and the history's train_loss goes down."""
    run = main_run(ctx)
    z = logits(ctx, run["model"], "train")
    after = ce(z, ctx.data.y_train)
    h = run["history"]
    details = []
    if bool(((z >= 0) & (z <= 1)).all()) and bool(((z.sum(1) - 1).abs() < 1e-3).all()):
        details.append(Msg("hint_model_softmax"))
    elif abs(after - run["before"]) < 1e-7:
        details.append(Msg("hint_no_step"))
    elif all(0.74 <= r["train_loss"] <= 1.75 for r in h) and min(r["train_loss"] for r in h) < h[0]["train_loss"] - 0.05:
        details.append(Msg("hint_double_softmax"))  # it learns, but a cross-entropy of probabilities (4 classes) stays above 0.74
    if not after < run["before"] * float(_p("loss_ratio", ctx, 0.9)):
        raise CheckFailure("loss_not_decreasing", {"before": fmt.number(run["before"]), "after": fmt.number(after)}, details=details)
    target = float(_p("max_final_loss", ctx, math.inf))
    if not after <= target:
        raise CheckFailure("loss_too_high", {"after": fmt.number(after), "target": fmt.number(target)}, details=details)
    if len(h) > 1 and not h[-1]["train_loss"] < h[0]["train_loss"] + 1e-9 and not h[-1]["train_loss"] < run["before"]:
        raise CheckFailure("history_loss_flat", {"first": fmt.number(h[0]["train_loss"]), "last_epoch": h[-1]["epoch"],
                                                 "last": fmt.number(h[-1]["train_loss"])}, details=details)


def _threshold(ctx, key: str) -> float:
    return float(ctx.exercise.accuracy[key])


def check_accuracy_threshold(ctx) -> None:
    """Test accuracy, computed by the grader from test logits, reaches the spec's threshold."""
    run = main_run(ctx)
    a = acc(logits(ctx, run["model"], "test"), ctx.data.y_test)
    ctx.facts["test_accuracy"] = round(a, 4)
    th = _threshold(ctx, "linear_threshold")
    if a < th:
        raise CheckFailure("accuracy_below", {"got": f"{a:.3f}", "threshold": f"{th:.3f}"})


# -- 74 -----------------------------------------------------------------------------------


def check_accuracy_function(ctx) -> None:
    """The student's accuracy() agrees with the grader's on given data (valid data, all right, all wrong)."""
    run = main_run(ctx)
    model = run["model"]
    d = ctx.data
    z = logits(ctx, model, "valid")
    pred = z.argmax(1)
    L = len(d.classes)
    cases = [("valid data", d.X_valid, d.y_valid),
             ("labels all right", d.X_valid[:50], pred[:50].to(torch.int64)),
             ("labels all wrong", d.X_valid[:50], ((pred[:50] + 1) % L).to(torch.int64)),
             ("one example", d.X_valid[:1], d.y_valid[:1])]
    for label, X, y in cases:
        expected = acc(z[: X.shape[0]], y)
        try:
            res = ctx.session.call("accuracy", [model, X, y], seed=ctx.seed, timeout=ctx.exercise.limits.call_timeout_s)
        except (StudentError, WorkerGone) as e:
            raise _fail_from(ctx, e, "accuracy(model, X, y)") from None
        got = validate.like(res.value, 0.0, "accuracy(model, X, y)")
        if not abs(got - expected) <= 1e-6 + 1.0 / (10 * X.shape[0]):
            details = [Msg("hint_percent")] if abs(got - 100 * expected) < 1e-3 else []
            raise CheckFailure("accuracy_mismatch", {"got": fmt.number(got), "case": label, "expected": fmt.number(expected)},
                               details=details, counterexample={"input": f"accuracy(model, X[{X.shape[0]} rows], y) — {label}",
                                                                "got": fmt.number(got), "expected": fmt.number(expected)})


def _recompute(ctx, run: dict, keys=("train_acc", "valid_acc", "train_loss", "valid_loss")) -> None:
    last = run["history"][-1]
    d = ctx.data
    zt, zv = logits(ctx, run["model"], "train"), logits(ctx, run["model"], "valid")
    measured = {"train_acc": acc(zt, d.y_train), "valid_acc": acc(zv, d.y_valid),
                "train_loss": ce(zt, d.y_train), "valid_loss": ce(zv, d.y_valid)}
    for key in keys:
        got, exp = last[key], measured[key]
        n = d.y_train.shape[0] if key.startswith("train") else d.y_valid.shape[0]
        tol = 2.0 / n + 1e-6 if key.endswith("acc") else 1e-3 + 1e-3 * abs(exp)
        if not abs(got - exp) <= tol:
            details = []
            other = "train" if key.startswith("valid") else None
            if other and abs(got - measured[f"train_{key.split('_')[1]}"]) <= tol:
                details.append(Msg("hint_valid_on_train"))
            else:
                details.append(Msg("hint_running_mean"))
            raise CheckFailure("history_recompute", {"key": key, "got": fmt.number(got), "expected": fmt.number(exp),
                                                     "data": key.split("_")[0]}, details=details)


def check_history_accuracy(ctx) -> None:
    """The last record's accuracies agree with the grader's recomputation on the returned model."""
    _recompute(ctx, main_run(ctx), keys=("train_acc", "valid_acc"))


# -- 75 -----------------------------------------------------------------------------------


def check_history(ctx) -> None:
    """One record per epoch with the five keys and finite values; the last agrees with recomputation."""
    run = main_run(ctx)
    validate_history([r["raw"] for r in run["history"]], len(run["history"]), 1)
    ctx.artifacts["history_plot"] = str(own_plot(ctx, run["history"]))  # shown next to the report, pass or fail
    _recompute(ctx, run)


def artifacts_dir(ctx) -> Path:
    base = ctx.options.artifacts_dir
    if base is None:
        import tempfile

        base = Path(tempfile.gettempdir()) / f"nlp100-report-{ctx.submission.sha256[:12]}"
    base = Path(base)
    base.mkdir(parents=True, exist_ok=True)
    return base


def own_plot(ctx, history: list[dict]) -> Path | None:
    """The grader's own loss/accuracy plot, drawn from the validated history."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ep = [r["epoch"] for r in history]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(8, 3.2))
    for key, ax in (("loss", a1), ("acc", a2)):
        ax.plot(ep, [r[f"train_{key}"] for r in history], "o-", label="train")
        ax.plot(ep, [r[f"valid_{key}"] for r in history], "s-", label="valid")
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss" if key == "loss" else "accuracy")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(f"{ctx.submission.path.name}: history (drawn by the checker)", fontsize=9)
    fig.tight_layout()
    path = artifacts_dir(ctx) / f"{ctx.exercise.id}_history.png"
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def check_plot_history(ctx) -> None:
    """plot_history writes a real PNG: it opens, has a sane size, and is not blank."""
    run = main_run(ctx)
    inside = sandbox_path(ctx, "history_plot.png")
    try:
        clean = [{k: r[k] for k in KEYS} for r in run["history"]]
        ctx.session.call("plot_history", [clean, inside], seed=ctx.seed, timeout=ctx.exercise.limits.call_timeout_s * 3)
    except (StudentError, WorkerGone) as e:
        raise _fail_from(ctx, e, f"plot_history(history, {inside!r})") from None
    data = read_file(ctx, inside, 32 * 1024 * 1024)
    if data is None:
        raise CheckFailure("plot_missing", {})
    from PIL import Image, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = 50_000_000
    try:
        with Image.open(io.BytesIO(data)) as im:
            if im.format != "PNG":
                raise CheckFailure("plot_invalid", {"error": f"format {im.format}"})
            w, h = im.size
            if not (100 <= w <= 10000 and 100 <= h <= 10000):
                raise CheckFailure("plot_size", {"width": w, "height": h, "lo": 100, "hi": 10000})
            small = im.convert("RGB").resize((min(w, 400), min(h, 400)))
            colours = small.getcolors(maxcolors=1 << 16)
    except CheckFailure:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as e:
        raise CheckFailure("plot_invalid", {"error": str(e)[:200]}) from None
    if colours is not None and len(colours) < 2:
        raise CheckFailure("plot_blank", {})
    dest = artifacts_dir(ctx) / f"{ctx.exercise.id}_student_plot.png"
    dest.write_bytes(data)
    ctx.artifacts["student_plot"] = str(dest)


# -- 76 -----------------------------------------------------------------------------------


def _ckpt_dir(ctx, name: str) -> str:
    path = sandbox_path(ctx, name)
    _request(ctx, "mkdir", {}, f"mkdir {path}", path=path)
    return path


def load_checkpoint(ctx, folder: str, k: int) -> dict:
    """Checkpoint epoch_k.pt written by the submission, fetched through the pipe, loaded safely and validated."""
    name = f"epoch_{k}.pt"
    data = read_file(ctx, f"{folder}/{name}", MAX_CHECKPOINT_MB * 1024 * 1024)
    if data is None:
        raise CheckFailure("checkpoint_unreadable", {"name": name, "error": "no such file"})
    try:
        # torch.load(weights_only=True), then every tensor checked (no expanded or overlapping views,
        # within the file's bytes) before it is copied: what the grader holds stays about the file's size
        obj = load_checkpoint_bytes(data, max_bytes=MAX_CHECKPOINT_MB * 1024 * 1024,
                                    max_elements=MAX_CHECKPOINT_MB * 1024 * 1024)
    except CheckpointError as e:
        raise CheckFailure("checkpoint_unreadable", {"name": name, "error": str(e)}) from None
    if not isinstance(obj, dict) or not {"epoch", "model", "optimizer"} <= set(obj):
        keys = ", ".join(sorted(map(str, obj))) if isinstance(obj, dict) else type(obj).__name__
        raise CheckFailure("checkpoint_content", {"name": name, "problem": Msg("ckpt_keys", {"got": keys})})
    if obj["epoch"] != k or isinstance(obj["epoch"], bool):
        raise CheckFailure("checkpoint_content", {"name": name, "problem": Msg("ckpt_epoch", {"got": fmt.value(obj["epoch"]), "expected": k})})
    model = obj["model"]
    if not isinstance(model, dict) or not model or not all(isinstance(v, torch.Tensor) for v in model.values()):
        raise CheckFailure("checkpoint_content", {"name": name, "problem": Msg("ckpt_model")})
    opt = obj["optimizer"]
    if not isinstance(opt, dict) or "state" not in opt or "param_groups" not in opt:
        raise CheckFailure("checkpoint_content", {"name": name, "problem": Msg("ckpt_optimizer")})
    return obj


def checkpoint_run(ctx) -> dict:
    key = ("ckpt_run", ctx.session.restarts)
    if key not in ctx.shared:
        try:
            inside = _ckpt_dir(ctx, "checkpoints")
            epochs, batch = int(_p("epochs", ctx, 8)), int(_p("batch_size", ctx, 1))
            model = build(ctx)
            history, _ = train(ctx, model, epochs=epochs, batch_size=batch, checkpoint_dir=inside)
            ctx.shared[key] = {"inside": inside, "history": history, "epochs": epochs, "batch": batch}
        except CheckFailure as f:
            ctx.shared[key] = f
    got = ctx.shared[key]
    if isinstance(got, CheckFailure):
        raise got
    return got


def _valid_loss_of_state(ctx, state: dict) -> float:
    model = build(ctx)
    _request(ctx, "load_state", {"model": model, "state": dict(state)}, "model.load_state_dict(checkpoint['model'])")
    return ce(logits(ctx, model, "valid"), ctx.data.y_valid)


def check_checkpoints(ctx) -> None:
    """epoch_{k}.pt for every epoch, safe to load, with epoch/model/optimizer; epoch k's model reproduces history[k]."""
    run = checkpoint_run(ctx)
    E = run["epochs"]
    expected = [f"epoch_{k}.pt" for k in range(1, E + 1)]
    h, _ = _request(ctx, "listdir", {}, "os.listdir(checkpoint_dir)", path=run["inside"])
    present = [str(n) for n in h.get("names", []) if isinstance(n, str)] if isinstance(h.get("names"), list) else []
    if not set(expected) <= set(present):
        shown = ", ".join(present[:6]) + (" ..." if len(present) > 6 else "") if present else "nothing"
        raise CheckFailure("checkpoint_missing", {"epochs": E, "dir": "checkpoint_dir", "expected": f"epoch_1.pt … epoch_{E}.pt",
                                                  "got": shown})
    for k in sorted({1, max(1, E // 2), E}):
        obj = load_checkpoint(ctx, run["inside"], k)
        loss = _valid_loss_of_state(ctx, obj["model"])
        want = run["history"][k - 1]["valid_loss"]
        if not abs(loss - want) <= 1e-3 + 1e-3 * abs(want):
            raise CheckFailure("checkpoint_reproduce", {"name": f"epoch_{k}.pt", "got": fmt.number(loss), "expected": fmt.number(want), "k": k})


def check_resume(ctx) -> None:
    """train(..., resume_from=epoch_k) continues where it stopped, and restores the optimizer."""
    run = checkpoint_run(ctx)
    E = run["epochs"]
    k = max(1, E // 2)
    obj = load_checkpoint(ctx, run["inside"], k)
    # 1. resume from the real checkpoint
    model = build(ctx)
    hist, _ = train(ctx, model, epochs=E, batch_size=run["batch"], resume_from=f"{run['inside']}/epoch_{k}.pt", first_epoch=k + 1)
    epochs_back = [r["epoch"] for r in hist]
    if epochs_back != list(range(k + 1, E + 1)):
        raise CheckFailure("resume_epochs", {"k": k, "got": fmt.value(epochs_back), "expected": fmt.value(list(range(k + 1, E + 1)))})
    got = hist[0]["valid_loss"]
    want = run["history"][k]["valid_loss"]        # epoch k+1 of the uninterrupted run
    fresh = run["history"][0]["valid_loss"]       # epoch 1 from a fresh model (same seed)
    tol = max(float(_p("resume_rtol", ctx, 0.05)) * abs(want), 0.25 * abs(fresh - want), 1e-4)
    if not abs(got - want) <= tol:
        raise CheckFailure("resume_far", {"k": k, "k1": k + 1, "got": fmt.number(got), "expected": fmt.number(want),
                                          "fresh": fmt.number(fresh)})
    # 2. the optimizer state is restored: a checkpoint whose optimizer has lr = 0 must leave the model as it was
    probe_inside = _ckpt_dir(ctx, "probe")
    groups = obj["optimizer"]["param_groups"]
    if isinstance(groups, list) and groups and all(isinstance(g, dict) and "lr" in g for g in groups):
        frozen = {**obj, "optimizer": {**obj["optimizer"], "param_groups": [{**g, "lr": 0.0} for g in groups]}}
        buf = io.BytesIO()
        torch.save(frozen, buf)
        _request(ctx, "write", {"data": torch.frombuffer(bytearray(buf.getvalue()), dtype=torch.uint8)},
                 "writing the probe checkpoint", path=f"{probe_inside}/epoch_{k}.pt")
        model = build(ctx)
        hist, _ = train(ctx, model, epochs=k + 1, batch_size=run["batch"], resume_from=f"{probe_inside}/epoch_{k}.pt", first_epoch=k + 1)
        before = run["history"][k - 1]["valid_loss"]
        after = hist[-1]["valid_loss"]
        if not abs(after - before) <= 1e-4 + 1e-4 * abs(before):
            raise CheckFailure("resume_optimizer", {"before": fmt.number(before), "after": fmt.number(after)},
                               details=[Msg("hint_load_optimizer")])


# -- 77 -----------------------------------------------------------------------------------


def check_batch_timing(ctx) -> None:
    """Time per epoch for batch sizes 1, 2, 4, ...: larger batches are faster and still learn."""
    d = ctx.data
    budget = float(_p("budget_s", ctx, 30))
    speedup = float(_p("min_speedup", ctx, 3.0))
    n = d.X_train.shape[0]
    rows = []
    spent = 0.0
    b = 1
    start = None
    warm = build(ctx)  # one discarded epoch first: the first call pays one-time costs (allocator, lazy init)
    train(ctx, warm, epochs=1, batch_size=min(n, 64))
    while b <= min(n, int(_p("max_batch", ctx, 4096))):
        model = build(ctx)
        if start is None:
            start = ce(logits(ctx, model, "train"), d.y_train)
        _, elapsed = train(ctx, model, epochs=1, batch_size=b)
        after = ce(logits(ctx, model, "train"), d.y_train)
        rows.append({"batch_size": b, "seconds": elapsed, "train_loss": after})
        spent += elapsed
        if ctx.options.progress:
            ctx.options.progress("step", exercise=ctx.exercise.id, item=ctx.item.name, text=f"batch size {b}: {elapsed:.2f} s")
        if spent + elapsed / 1.5 > budget:
            break
        b *= 2
    ctx.facts["batch_timing"] = rows
    path = _timing_plot(ctx, rows)
    ctx.artifacts["batch_timing_plot"] = str(path)
    table = [Msg("batch_table", {"b": r["batch_size"], "t": f"{r['seconds']:.3f}", "loss": fmt.number(r["train_loss"])}) for r in rows]
    if len(rows) < 2:
        raise CheckFailure("batch_not_faster", {"t1": f"{rows[0]['seconds']:.2f}", "tb": "-", "b": "-", "speedup": speedup}, details=table)
    t1 = rows[0]["seconds"]
    best = min(rows[1:], key=lambda r: r["seconds"])
    losses = {round(r["train_loss"], 9) for r in rows}
    if len(losses) == 1:  # the same seed, different batch sizes, the very same model: batch_size had no effect
        raise CheckFailure("batch_same_result", {"n": len(rows), "loss": fmt.number(rows[0]["train_loss"])},
                           details=[Msg("hint_batch_ignored")] + table)
    if not best["seconds"] * speedup <= t1:
        raise CheckFailure("batch_not_faster", {"t1": f"{t1:.3f}", "tb": f"{best['seconds']:.3f}", "b": best["batch_size"],
                                                "speedup": f"{speedup:g}"}, details=[Msg("hint_batch_ignored")] + table)
    for r in rows:
        if not r["train_loss"] < start:
            raise CheckFailure("batch_not_learning", {"b": r["batch_size"], "before": fmt.number(start),
                                                      "after": fmt.number(r["train_loss"])}, details=table)
    ctx.facts["table"] = [f"batch size {r['batch_size']:>5}: {r['seconds']:.3f} s/epoch, train loss {r['train_loss']:.4f}" for r in rows]


def _timing_plot(ctx, rows) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.loglog([r["batch_size"] for r in rows], [r["seconds"] for r in rows], "o-", base=2)
    ax.set_xlabel("batch size")
    ax.set_ylabel("seconds per epoch")
    ax.grid(alpha=0.3, which="both")
    ax.set_title("time per epoch (measured by the checker)", fontsize=9)
    fig.tight_layout()
    path = artifacts_dir(ctx) / f"{ctx.exercise.id}_batch_timing.png"
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


# -- 78 -----------------------------------------------------------------------------------


def check_device(ctx) -> None:
    """With CUDA: train on "cuda", parameters stay there, results agree with the CPU run. Without: skipped."""
    h, _ = _request(ctx, "cuda", {}, "torch.cuda.is_available()")
    if not h.get("cuda"):
        raise Skip("skipped_no_cuda")
    cpu = main_run(ctx, device="cpu")
    gpu = main_run(ctx, device="cuda")
    mods = modules(ctx, gpu["model"], "train(..., device='cuda')")
    for m in mods["modules"]:
        for pname, _shape, dev in m.get("params", []):
            if not str(dev).startswith("cuda"):
                raise CheckFailure("device_params", {"name": f"{m.get('name')}.{pname}".strip("."), "got": dev})
    a_cpu = acc(logits(ctx, cpu["model"], "test"), ctx.data.y_test)
    a_gpu = acc(logits(ctx, gpu["model"], "test"), ctx.data.y_test)
    tol = float(_p("accuracy_tolerance", ctx, 0.02))
    ctx.facts.update({"cpu_test_accuracy": round(a_cpu, 4), "cuda_test_accuracy": round(a_gpu, 4)})
    if not abs(a_cpu - a_gpu) <= tol:
        raise CheckFailure("device_disagree", {"cuda": f"{a_gpu:.3f}", "cpu": f"{a_cpu:.3f}", "tol": tol})


# -- 79 -----------------------------------------------------------------------------------


def check_mlp_structure(ctx) -> None:
    """build_mlp registers at least two weight layers, and the network is not linear (tested behaviourally)."""
    model = build(ctx, "build_mlp")
    mods = modules(ctx, model, "build_mlp(...)")
    weights = sum(1 for m in mods["modules"] for pname, shape, _ in m.get("params", []) if pname == "weight" or len(shape) >= 2)
    if weights < 2:
        details = [Msg("hint_plain_list", {"attrs": ", ".join(mods["lists"])})] if mods["lists"] else []
        raise CheckFailure("mlp_layers", {"n": weights}, details=details)
    g = torch.Generator().manual_seed(ctx.seed)
    d = ctx.data.X_train.shape[1]
    a = torch.randn(16, d, generator=g) * 0.5
    b = torch.randn(16, d, generator=g) * 0.5
    X = torch.cat([a, b, a + b, torch.zeros(16, d)])
    _, v = _request(ctx, "predict", {"model": model, "x": X}, "model(X)")
    z = validate.like(v.get("result"), torch.empty(64, len(ctx.data.classes)), "model(X)").double()
    fa, fb, fab, f0 = z[:16], z[16:32], z[32:48], z[48:]
    dev = float((fab - fa - fb + f0).abs().max())
    scale = float(z.abs().max()) + 1e-12
    if not dev > 1e-4 * scale:
        raise CheckFailure("mlp_linear", {"dev": f"{dev:.2g}"})


def check_mlp_accuracy(ctx) -> None:
    """The MLP, trained with the student's own train, reaches the spec's threshold on test data."""
    run = main_run(ctx, fn="build_mlp")
    a = acc(logits(ctx, run["model"], "test"), ctx.data.y_test)
    ctx.facts["test_accuracy"] = round(a, 4)
    th = _threshold(ctx, "mlp_threshold")
    if a < th:
        raise CheckFailure("accuracy_below", {"got": f"{a:.3f}", "threshold": f"{th:.3f}"})


