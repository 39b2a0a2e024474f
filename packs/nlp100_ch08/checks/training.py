"""Checks of the training exercises (73–79): every verdict from evidence the grader holds itself.

The worker is the student's process: what it says about itself is a claim.
So the grader asks it for *values* and checks those (``docs/security.md`` has
the table of evidence per item):

- 73–78, the single-layer network: the **weights**.  After ``train`` the grader
  fetches the model's state dict, checks that it is exactly the network of
  task 71 (one ``(L, d)`` weight, an optional ``(L,)`` bias) and computes
  logits, losses and accuracies itself with its own copy (``Linear``).  The
  module's own outputs are used only to confirm that it computes that network.
- 74/75, the history: every record against the grader's recomputation from that
  epoch's checkpoint (without checkpoints: the first record against a 1-epoch
  run from the same seed, the last against the trained weights; the report says so).
- 76: the saved checkpoints and the *resumed model*, resumed in a fresh worker
  that never saw the uninterrupted run, on full-batch epochs (deterministic).
- 77: the worker's CPU time, read by the grader from the operating system.
- 78: the grader's own host decides whether a GPU exists.
- 79: test logits scored against labels the sandbox never sees; structure from
  behaviour (determinism in eval mode, not affine, logits not probabilities).

Training runs that several items use are made once per submission, each with
a seed derived from ``--seed`` and the run's name, so any subset of exercises
reproduces the numbers of the full report.
"""

from __future__ import annotations

import io
import math
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import torch

from checker import fmt
from checker.grading import values
from checker.grading.outcome import CheckFailure, Msg, Skip
from checker.grading.records import Status
from checker.sandbox.safeload import CheckpointError, load_checkpoint_bytes
from checker.sandbox.wire import Handle

KEYS = ("epoch", "train_loss", "train_acc", "valid_loss", "valid_acc")
MAX_CHECKPOINT_BYTES = 64 * 1024 * 1024
MAX_CHECKPOINT_ELEMENTS = 8_000_000
LOSS_RTOL, LOSS_ATOL = 1e-3, 1e-3  # a history loss against the grader's float64 recomputation


# -- the grader's own copy of the single-layer network ------------------------------------------


@dataclass(frozen=True)
class Linear:
    """The single-layer network of task 71 as the grader computes it: ``X @ W.T + b`` in float64."""

    W: torch.Tensor  # (L, d)
    b: torch.Tensor | None  # (L,) or None

    def logits(self, X: torch.Tensor) -> torch.Tensor:
        z = X.double() @ self.W.T
        return z + self.b if self.b is not None else z

    def flat(self) -> torch.Tensor:
        return torch.cat([self.W.reshape(-1)] + ([self.b] if self.b is not None else []))

    def distance(self, other: "Linear") -> float:
        return float((self.flat() - other.flat()).norm())

    @property
    def finite(self) -> bool:
        return bool(torch.isfinite(self.flat()).all())


def ce(z: torch.Tensor, y: torch.Tensor) -> float:
    if not bool(torch.isfinite(z).all()):
        return float("inf")
    return float(torch.nn.functional.cross_entropy(z.double(), y))


def acc(z: torch.Tensor, y: torch.Tensor) -> float:
    return float((z.argmax(1) == y).double().mean())


def _shape(s) -> str:
    return "(" + ", ".join(str(int(x)) for x in s) + ("," if len(s) == 1 else "") + ")"


def single_layer(state, d: int, L: int, what: str = "build_model") -> Linear:
    """The state dict as the single-layer network, or a failure naming what else it holds."""
    if not isinstance(state, dict) or not state:
        raise CheckFailure("state_not_tensors", {"what": what, "got": values.describe(state)})
    bad = [k for k, v in state.items() if not isinstance(v, torch.Tensor)]
    if bad:
        raise CheckFailure("state_not_tensors", {"what": what, "got": ", ".join(f"`{k}`" for k in bad[:5])})
    weights = [
        (k, v)
        for k, v in state.items()
        if v.is_floating_point() and v.dim() == 2 and tuple(v.shape) in ((L, d), (d, L))
    ]
    biases = [(k, v) for k, v in state.items() if v.is_floating_point() and v.dim() == 1 and tuple(v.shape) == (L,)]
    if len(weights) == 1:
        biases = biases[:1]
    extra = [(k, v) for k, v in state.items() if (k, v) not in weights[:1] and (k, v) not in biases]
    if len(weights) != 1 or extra:
        shown = ", ".join(f"`{k}` {_shape(v.shape)}" for k, v in (extra or weights)[:6])
        raise CheckFailure(
            "not_single_layer",
            {"what": what, "d": d, "L": L, "got": shown or "-", "n": len(state)},
            details=[Msg("hint_single_layer")],
        )
    W = weights[0][1].detach().double()
    if tuple(W.shape) == (d, L) and d != L:
        W = W.T  # a hand-made module computing X @ W with W of shape (d, L)
    b = biases[0][1].detach().double() if biases else None
    return Linear(W.contiguous(), b)


# -- plumbing: data in the worker, calls, files -------------------------------------------------


def _p(ctx, name: str):
    """The item's parameter (typed and defaulted by ``nlp100_ch08.params`` when the spec loaded)."""
    return ctx.item.params[name]


def _data(ctx, session=None) -> dict:
    """Handles of the training data inside a worker; sent once per worker (test features, never labels)."""
    sandbox = ctx.sandbox_of(session)
    key = ("data", id(sandbox.session), sandbox.session.restarts)
    if key not in ctx.shared:
        d = ctx.data
        ctx.shared[key] = sandbox.put(
            {
                "X_train": d.X_train,
                "y_train": d.y_train,
                "X_valid": d.X_valid,
                "y_valid": d.y_valid,
                "X_test": d.X_test,
            },
            timeout=60,
            call="put",
        )
    return ctx.shared[key]


def fresh_dir(ctx, session=None) -> str:
    """A new, empty folder in the sandbox with a random name: a probe looks like any other run."""
    sandbox = ctx.sandbox_of(session)
    path = f"{sandbox.session.launch.sandbox_workdir}/{secrets.token_hex(6)}"
    sandbox.mkdir(path, call=f"mkdir {path}")
    return path


def read_file(ctx, path: str, limit: int, session=None) -> bytes | None:
    """A file the submission wrote, fetched through the pipe; None when it is not there."""
    try:
        return ctx.sandbox_of(session).read(path, limit, timeout=60, call=f"reading {path}")
    except CheckFailure as f:
        if f.msg.key == "raised" and f.msg.params.get("type") in (
            "FileNotFoundError",
            "NotADirectoryError",
            "IsADirectoryError",
        ):
            return None
        if f.msg.key == "raised" and f.msg.params.get("type") == "ValueError":
            raise CheckFailure("file_too_large_sandbox", {"path": path, "limit": limit}) from None
        raise


def build(ctx, fn: str, seed: int, session=None) -> Handle:
    d = ctx.data
    call = f"{fn}({d.X_train.shape[1]}, {len(d.classes)})"
    res = ctx.sandbox_of(session).call(fn, [int(d.X_train.shape[1]), len(d.classes)], seed=seed, keep=True, call=call)
    if not isinstance(res.value, Handle):
        raise CheckFailure("not_a_module", {"call": call, "got": fmt.value(res.value)})
    return res.value


def state_of(ctx, model: Handle, session=None) -> dict:
    return ctx.sandbox_of(session).state_dict(model, call="model.state_dict()")


def train(
    ctx,
    model: Handle,
    *,
    seed: int,
    epochs: int,
    batch_size: int,
    device: str = "cpu",
    checkpoint_dir: str | None = None,
    resume_from: str | None = None,
    session=None,
):
    """The student's train in the sandbox. Returns (raw history, the worker's CPU seconds for the call or None, wall s)."""
    d = _data(ctx, session)
    kwargs = {
        "epochs": epochs,
        "batch_size": batch_size,
        "device": device,
        "checkpoint_dir": checkpoint_dir,
        "resume_from": resume_from,
    }
    call = (
        f"train(model, X_train, y_train, X_valid, y_valid, epochs={epochs}, batch_size={batch_size}, device={device!r}"
        + (f", checkpoint_dir={checkpoint_dir!r}" if checkpoint_dir else "")
        + (f", resume_from={resume_from!r}" if resume_from else "")
        + ")"
    )
    sandbox = ctx.sandbox_of(session)
    timeout = float(ctx.item.params.get("train_timeout_s") or ctx.exercise.limits.wall_s)
    cpu0 = sandbox.session.cpu_seconds()
    res = sandbox.call(
        "train",
        [model, d["X_train"], d["y_train"], d["X_valid"], d["y_valid"]],
        kwargs,
        seed=seed,
        timeout=timeout,
        call=call,
    )
    cpu1 = sandbox.session.cpu_seconds()
    cpu = cpu1 - cpu0 if cpu0 is not None and cpu1 is not None else None
    return res.value, cpu, float(res.meta.get("elapsed_s", 0.0))


def predict(ctx, model: Handle, X, n: int, session=None, mode: str = "eval") -> torch.Tensor:
    """The module's outputs on the grader's choice of rows, validated: a float (n, L) tensor, in float64."""
    out = ctx.sandbox_of(session).predict(
        model, X, mode=mode, timeout=ctx.exercise.limits.call_timeout_s * 3, call="model(X)"
    )
    out = values.like(out, torch.empty((n, len(ctx.data.classes))), "model(X)")
    if not out.is_floating_point():
        raise CheckFailure(
            "bad_dtype", {"what": "model(X)", "got": str(out.dtype).replace("torch.", ""), "expected": "float32"}
        )
    return out.double()


# -- history: read leniently, or held to every rule ----------------------------------------------


def records(raw, count: int, first_epoch: int = 1) -> list[dict]:
    """The history's numbers as floats (the rules of the contract are the `history` item's)."""
    if not isinstance(raw, list) or not all(isinstance(r, dict) for r in raw):
        raise CheckFailure("history_type", {"got": values.describe(raw)})
    if len(raw) != count:
        raise CheckFailure("history_len", {"got": len(raw), "expected": count})
    out = []
    for k, rec in enumerate(raw, start=1):
        clean = {"epoch": rec.get("epoch")}
        for key in KEYS[1:]:
            v = rec.get(key)
            try:
                clean[key] = values.like(v, 0.0, key)
            except CheckFailure:
                raise CheckFailure(
                    "history_value", {"k": k, "key": key, "got": fmt.value(v), "expected": Msg("a_finite_number")}
                ) from None
        out.append(clean)
    return out


def validate_history(raw, count: int, first_epoch: int = 1) -> list[dict]:
    """Every rule of the contract: one record per epoch, the five keys, epochs counted from 1, finite values, fractions."""
    if not isinstance(raw, list):
        raise CheckFailure("history_type", {"got": values.describe(raw)})
    if len(raw) != count:
        raise CheckFailure("history_len", {"got": len(raw), "expected": count})
    out = []
    for k, rec in enumerate(raw, start=1):
        if not isinstance(rec, dict):
            raise CheckFailure("history_type", {"got": values.describe(rec)})
        if set(rec) != set(KEYS):
            raise CheckFailure(
                "history_keys", {"k": k, "got": ", ".join(sorted(map(str, rec))) or "-", "expected": ", ".join(KEYS)}
            )
        ep = rec["epoch"]
        if isinstance(ep, bool) or not isinstance(ep, int):
            raise CheckFailure(
                "history_value", {"k": k, "key": "epoch", "got": fmt.value(ep), "expected": Msg("an_int")}
            )
        if ep != first_epoch + k - 1:
            raise CheckFailure("history_epoch", {"k": k, "got": ep, "expected": first_epoch + k - 1})
        clean = {"epoch": ep}
        for key in KEYS[1:]:
            try:
                v = values.like(rec[key], 0.0, key)
            except CheckFailure:
                raise CheckFailure(
                    "history_value",
                    {"k": k, "key": key, "got": fmt.value(rec[key]), "expected": Msg("a_finite_number")},
                ) from None
            if not math.isfinite(v):
                raise CheckFailure(
                    "history_value", {"k": k, "key": key, "got": fmt.value(v), "expected": Msg("a_finite_number")}
                )
            if key.endswith("acc") and not (0.0 <= v <= 1.0):
                f = CheckFailure(
                    "history_value", {"k": k, "key": key, "got": fmt.value(v), "expected": Msg("a_fraction")}
                )
                if 1.0 < v <= 100.0:
                    f.details.append(Msg("hint_percent"))
                raise f
            clean[key] = v
        out.append(clean)
    return out


# -- checkpoints -------------------------------------------------------------------------------


@dataclass
class Checkpoint:
    k: int
    data: bytes | None = None  # the file's bytes, as the submission wrote them (None: not there)
    obj: dict | None = None  # loaded safely
    error: CheckFailure | None = None  # why it cannot be used

    @property
    def name(self) -> str:
        return f"epoch_{self.k}.pt"


def parse_checkpoint(ck: Checkpoint) -> dict:
    """The checkpoint loaded with a size and element budget, with the keys the contract names (or a failure)."""
    if ck.obj is not None:
        return ck.obj
    if ck.error is not None:
        raise ck.error
    try:
        if ck.data is None:
            raise CheckFailure("checkpoint_unreadable", {"name": ck.name, "error": Msg("no_such_file")})
        try:
            obj = load_checkpoint_bytes(ck.data, max_bytes=MAX_CHECKPOINT_BYTES, max_elements=MAX_CHECKPOINT_ELEMENTS)
        except CheckpointError as e:
            raise CheckFailure("checkpoint_unreadable", {"name": ck.name, "error": str(e)[:300]}) from None
        if not isinstance(obj, dict) or not {"epoch", "model", "optimizer"} <= set(obj):
            keys = ", ".join(sorted(map(str, obj)))[:200] if isinstance(obj, dict) else type(obj).__name__
            raise CheckFailure("checkpoint_content", {"name": ck.name, "problem": Msg("ckpt_keys", {"got": keys})})
        ep = obj["epoch"]
        if isinstance(ep, torch.Tensor) and ep.numel() == 1 and not ep.is_floating_point() and ep.dtype != torch.bool:
            ep = int(ep.reshape(()))  # torch.tensor(k): odd, but it says k
        if isinstance(ep, bool) or not isinstance(ep, int) or ep != ck.k:
            raise CheckFailure(
                "checkpoint_content",
                {"name": ck.name, "problem": Msg("ckpt_epoch", {"got": fmt.value(obj["epoch"]), "expected": ck.k})},
            )
        model = obj["model"]
        if not isinstance(model, dict) or not model or not all(isinstance(v, torch.Tensor) for v in model.values()):
            raise CheckFailure("checkpoint_content", {"name": ck.name, "problem": Msg("ckpt_model")})
        opt = obj["optimizer"]
        if (
            not isinstance(opt, dict)
            or not isinstance(opt.get("state"), dict)
            or not isinstance(opt.get("param_groups"), list)
        ):
            raise CheckFailure("checkpoint_content", {"name": ck.name, "problem": Msg("ckpt_optimizer")})
        ck.obj = obj
        return obj
    except CheckFailure as f:
        ck.error = f
        raise


def fetch_checkpoints(ctx, folder: str, epochs: int, session=None) -> dict[int, Checkpoint]:
    """epoch_1.pt … epoch_E.pt as the submission wrote them (bytes fetched through the pipe, not yet loaded)."""
    out = {}
    for k in range(1, epochs + 1):
        out[k] = Checkpoint(k, read_file(ctx, f"{folder}/epoch_{k}.pt", MAX_CHECKPOINT_BYTES, session))
    return out


def optimizer_settings(ck: Checkpoint | None) -> dict | None:
    """lr and momentum from a checkpoint's optimizer state (for feedback only: it is what the file says)."""
    if ck is None:
        return None
    try:
        groups = parse_checkpoint(ck)["optimizer"]["param_groups"]
        g = groups[0]
        lr, m = float(g["lr"]), float(g.get("momentum", 0.0) or 0.0)
    except (CheckFailure, LookupError, TypeError, ValueError):
        return None
    if not (math.isfinite(lr) and math.isfinite(m)):
        return None
    return {"lr": lr, "momentum": m, "effective": lr / (1 - m) if m < 1 else float("inf")}


# -- the shared runs ---------------------------------------------------------------------------


@dataclass
class Run:
    name: str
    seed: int
    epochs: int
    batch_size: int
    model: Handle
    raw_history: object
    before: Linear | None = None  # the built model's weights (single layer)
    after: Linear | None = None  # the trained model's weights
    structure: CheckFailure | None = None  # why the weights are not the single-layer network
    checkpoints: dict[int, Checkpoint] = field(default_factory=dict)
    cpu_s: float | None = None
    wall_s: float = 0.0
    notes: list = field(default_factory=list)


def _remember(ctx, key, make):
    """A shared run: made once per submission (per worker: after a crash its handles are gone); a failure
    while making it is every user's failure."""
    key = (*key, ctx.session.restarts)
    if key not in ctx.shared:
        try:
            ctx.shared[key] = make()
        except CheckFailure as f:
            ctx.shared[key] = f
    got = ctx.shared[key]
    if isinstance(got, CheckFailure):
        raise got
    return got


def single_run(ctx, device: str = "cpu") -> Run:
    """The run of 73–75 (and 78's CPU run): build_model, trained with checkpoints, measured from its weights."""
    epochs, batch = int(_p(ctx, "epochs")), int(_p(ctx, "batch_size"))
    name = f"single/e{epochs}/b{batch}/{device}"

    def make() -> Run:
        d = ctx.data
        seed = ctx.run_seed(name)
        model = build(ctx, "build_model", seed)
        run = Run(name, seed, epochs, batch, model, None)
        try:
            run.before = single_layer(state_of(ctx, model), d.d, len(d.classes))
        except CheckFailure as f:
            run.structure = f
        folder = fresh_dir(ctx)
        run.raw_history, run.cpu_s, run.wall_s = train(
            ctx, model, seed=seed, epochs=epochs, batch_size=batch, device=device, checkpoint_dir=folder
        )
        if run.structure is None:
            try:
                run.after = single_layer(state_of(ctx, model), d.d, len(d.classes), "train")
            except CheckFailure as f:
                run.structure = f
        run.checkpoints = fetch_checkpoints(ctx, folder, epochs)
        return run

    return _remember(ctx, ("run", name), make)


def weights(ctx, run: Run) -> Linear:
    """The trained weights, or the failure that says why the grader cannot judge them."""
    if run.structure is not None:
        raise CheckFailure(
            "needs_single_layer",
            {"problem": Msg(run.structure.msg.key, run.structure.msg.params)},
            details=[Msg("see_build_model")],
        )
    if not run.after.finite:
        raise CheckFailure("weights_not_finite", {}, details=[Msg("hint_lr_too_large")])
    return run.after


def first_epoch_weights(ctx, run: Run) -> Linear:
    """The weights after epoch 1 of the same run, from a 1-epoch run with the same seed (no checkpoints needed)."""

    def make() -> Linear:
        d = ctx.data
        model = build(ctx, "build_model", run.seed)
        train(ctx, model, seed=run.seed, epochs=1, batch_size=run.batch_size)
        return single_layer(state_of(ctx, model), d.d, len(d.classes), "train")

    return _remember(ctx, ("first", run.name), make)


def epoch_weights(ctx, run: Run) -> tuple[dict[int, Linear], bool]:
    """{epoch: weights} to recompute the history from, and whether they came from the run's own checkpoints.

    Checkpoints are used when every epoch's file loads and the last one holds the trained weights;
    otherwise the first epoch comes from a 1-epoch run with the same seed and the last from the trained model.
    """
    final = weights(ctx, run)
    d = ctx.data
    got: dict[int, Linear] = {}
    for k, ck in run.checkpoints.items():
        try:
            got[k] = single_layer(parse_checkpoint(ck)["model"], d.d, len(d.classes), ck.name)
        except CheckFailure:
            break
    if len(got) == run.epochs and got[run.epochs].distance(final) <= 1e-5 * (1 + float(final.flat().norm())):
        return got, True
    return {1: first_epoch_weights(ctx, run), run.epochs: final}, False


def measured(ctx, lin: Linear) -> dict:
    d = ctx.data
    zt, zv = lin.logits(d.X_train), lin.logits(d.X_valid)
    return {
        "train_loss": ce(zt, d.y_train),
        "train_acc": acc(zt, d.y_train),
        "valid_loss": ce(zv, d.y_valid),
        "valid_acc": acc(zv, d.y_valid),
    }


def recompute_history(ctx, run: Run, keys) -> None:
    """Each record the grader can check against its own recomputation from that epoch's weights."""
    history = records(run.raw_history, run.epochs)
    by_epoch, from_checkpoints = epoch_weights(ctx, run)
    if not from_checkpoints:
        ctx.notes.append(Msg("history_first_last", {"last": run.epochs}))
    d = ctx.data
    for k in sorted(by_epoch):
        got_rec, exp = history[k - 1], measured(ctx, by_epoch[k])
        for key in keys:
            got, want = got_rec[key], exp[key]
            n = d.y_train.shape[0] if key.startswith("train") else d.y_valid.shape[0]
            tol = 2.0 / n + 1e-6 if key.endswith("acc") else LOSS_ATOL + LOSS_RTOL * abs(want)
            if not abs(got - want) <= tol:
                details = []
                other = "train_" + key.split("_")[1]
                if key.startswith("valid") and abs(got - exp[other]) <= tol:
                    details.append(Msg("hint_valid_on_train"))
                else:
                    details.append(Msg("hint_running_mean"))
                raise CheckFailure(
                    "history_recompute",
                    {
                        "key": key,
                        "k": k,
                        "got": fmt.number(got),
                        "expected": fmt.number(want),
                        "data": key.split("_")[0],
                    },
                    details=details,
                )


# -- 73 -----------------------------------------------------------------------------------------


def check_single_layer(ctx) -> None:
    """build_model's weights are exactly the network of task 71, and the module computes X W^T + b with them."""
    d = ctx.data
    seed = ctx.run_seed("single/structure")
    model = build(ctx, "build_model", seed)
    lin = single_layer(state_of(ctx, model), d.d, len(d.classes))
    X = d.X_valid[:64]
    z = predict(ctx, model, X, X.shape[0])
    want = lin.logits(X)
    scale = 1.0 + float(want.abs().max())
    if not float((z - want).abs().max()) <= 1e-4 * scale:
        details = []
        if bool(((z >= 0) & (z <= 1)).all()) and bool(((z.sum(1) - 1).abs() < 1e-3).all()):
            details.append(Msg("hint_model_softmax"))
        raise CheckFailure(
            "model_not_linear",
            {"got": fmt.number(float(z[0, 0])), "expected": fmt.number(float(want[0, 0]))},
            details=details,
        )
    run = single_run(ctx)
    if run.structure is not None:
        raise run.structure


def check_loss_decreases(ctx) -> None:
    """Training lowers the training loss: the grader's cross-entropy of the built and the trained weights."""
    run = single_run(ctx)
    after_lin = weights(ctx, run)
    d = ctx.data
    before = ce(run.before.logits(d.X_train), d.y_train)
    after = ce(after_lin.logits(d.X_train), d.y_train)
    details = []
    if run.before.distance(after_lin) <= 1e-9:
        details.append(Msg("hint_no_step"))
    else:
        h = _lenient_history(run)
        if (
            h
            and all(0.74 <= r["train_loss"] <= 1.75 for r in h)
            and min(r["train_loss"] for r in h) < h[0]["train_loss"] - 0.05
        ):
            details.append(
                Msg("hint_double_softmax")
            )  # it learns, but a cross-entropy of probabilities (4 classes) stays above 0.74
    details += _lr_details(ctx, run)
    if not after < before * float(_p(ctx, "loss_ratio")):
        raise CheckFailure(
            "loss_not_decreasing", {"before": fmt.number(before), "after": fmt.number(after)}, details=details
        )
    target = float(_p(ctx, "max_final_loss"))
    if not after <= target:
        raise CheckFailure("loss_too_high", {"after": fmt.number(after), "target": fmt.number(target)}, details=details)


def _lenient_history(run: Run) -> list[dict] | None:
    try:
        return records(run.raw_history, run.epochs)
    except CheckFailure:
        return None


def _lr_details(ctx, run: Run) -> list[Msg]:
    """The student's learning rate and momentum (from the last checkpoint, when there is one) beside what works."""
    lo, hi = ctx.exercise.accuracy.get("lr_low", 0.05), ctx.exercise.accuracy.get("lr_high", 0.5)
    s = optimizer_settings(run.checkpoints.get(run.epochs))
    if s is None:
        return [Msg("hint_lr_range", {"lo": fmt.number(lo), "hi": fmt.number(hi)})]
    return [
        Msg(
            "hint_lr_yours",
            {
                "lr": fmt.number(s["lr"]),
                "momentum": fmt.number(s["momentum"]),
                "effective": fmt.number(s["effective"]),
                "lo": fmt.number(lo),
                "hi": fmt.number(hi),
            },
        )
    ]


def _threshold(ctx, key: str) -> float:
    return float(ctx.exercise.accuracy[key])


def check_accuracy_threshold(ctx) -> None:
    """Test accuracy of the trained weights, computed by the grader (test labels never leave it), reaches the threshold."""
    run = single_run(ctx)
    a = acc(weights(ctx, run).logits(ctx.data.X_test), ctx.data.y_test)
    ctx.facts["test_accuracy"] = round(a, 4)
    th = _threshold(ctx, "linear_threshold")
    if a < th:
        raise CheckFailure(
            "accuracy_below", {"got": f"{a:.3f}", "threshold": f"{th:.3f}"}, details=_lr_details(ctx, run)
        )


# -- 74 -----------------------------------------------------------------------------------------


def check_accuracy_function(ctx) -> None:
    """The student's accuracy() agrees with the grader's, computed from the trained weights, on given data."""
    run = single_run(ctx)
    lin = weights(ctx, run)
    d = ctx.data
    z = lin.logits(d.X_valid)
    pred = z.argmax(1)
    L = len(d.classes)
    cases = [
        (Msg("case_valid_data"), d.X_valid, d.y_valid),
        (Msg("case_all_right"), d.X_valid[:50], pred[:50].to(torch.int64)),
        (Msg("case_all_wrong"), d.X_valid[:50], ((pred[:50] + 1) % L).to(torch.int64)),
        (Msg("case_one_example"), d.X_valid[:1], d.y_valid[:1]),
    ]
    for label, X, y in cases:
        expected = acc(z[: X.shape[0]], y)
        res = ctx.sandbox.call("accuracy", [run.model, X, y], seed=ctx.seed, call="accuracy(model, X, y)")
        got = values.like(res.value, 0.0, "accuracy(model, X, y)")
        if not abs(got - expected) <= 1e-6 + 1.0 / (10 * X.shape[0]):
            details = [Msg("hint_percent")] if abs(got - 100 * expected) < 1e-3 else []
            raise CheckFailure(
                "accuracy_mismatch",
                {"got": fmt.number(got), "case": label, "expected": fmt.number(expected)},
                details=details,
                counterexample={
                    "input": Msg("accuracy_call", {"n": X.shape[0], "case": label}),
                    "got": fmt.number(got),
                    "expected": fmt.number(expected),
                },
            )


def check_history_accuracy(ctx) -> None:
    """Every record's accuracies agree with the grader's recomputation from that epoch's weights."""
    recompute_history(ctx, single_run(ctx), ("train_acc", "valid_acc"))


# -- 75 -----------------------------------------------------------------------------------------


def check_history(ctx) -> None:
    """One record per epoch with the five keys and finite values, each agreeing with the grader's recomputation."""
    run = single_run(ctx)
    history = validate_history(run.raw_history, run.epochs, 1)
    ctx.artifacts["history_plot"] = str(own_plot(ctx, history))  # shown next to the report, pass or fail
    ctx.facts["valid_loss"] = round(measured(ctx, weights(ctx, run))["valid_loss"], 6)  # the grader's, from the weights
    recompute_history(ctx, run, ("train_loss", "train_acc", "valid_loss", "valid_acc"))


def artifacts_dir(ctx) -> Path:
    return ctx.artifacts_dir()


# fonts with Japanese glyphs, by file name (matplotlib's own font list may predate their installation)
_CJK_FILES = (
    "notosanscjk",
    "notosansjp",
    "sourcehansans",
    "ipaexg",
    "ipag",
    "takaogothic",
    "vl-gothic",
    "droidsansfallback",
    "notoserifcjk",
    "yugoth",
    "meiryo",
    "hiragino",
)
_CJK_FONT: list = []


def cjk_font() -> str | None:
    """The family name of an installed font with Japanese glyphs, registered with matplotlib; None when there is none."""
    if not _CJK_FONT:
        from matplotlib import font_manager as fm

        found = None
        for path in sorted(
            fm.findSystemFonts(),
            key=lambda p: next((i for i, k in enumerate(_CJK_FILES) if k in Path(p).name.lower()), len(_CJK_FILES)),
        ):
            if any(k in Path(path).name.lower() for k in _CJK_FILES):
                try:
                    fm.fontManager.addfont(path)
                    found = fm.FontProperties(fname=path).get_name()
                    break
                except (OSError, RuntimeError, ValueError):
                    continue
        _CJK_FONT.append(found)
    return _CJK_FONT[0]


def plot_text(ctx):
    """(label function, matplotlib rc settings) for the checker's plots: the report's language, in a font that has its
    glyphs; in English when the report is Japanese and no such font is installed (rather than boxes for every character)."""
    if ctx.lang != "ja":
        return ctx.text, {}
    font = cjk_font()
    if font is None:
        return (lambda key, **p: ctx.registry.catalog.render(key, "en", **p)), {}
    return ctx.text, {
        "font.family": "sans-serif",
        "font.sans-serif": [font, "DejaVu Sans"],
        "axes.unicode_minus": False,
    }


def own_plot(ctx, history: list[dict]) -> Path:
    """The grader's own loss/accuracy plot, drawn from the validated history."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    text, style = plot_text(ctx)
    ep = [r["epoch"] for r in history]
    clip = lambda v: min(max(v, -1e6), 1e6)  # noqa: E731 - a validated but absurd value (1e308) still draws
    with matplotlib.rc_context(style):
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(8, 3.2))
        for key, ax in (("loss", a1), ("acc", a2)):
            ax.plot(ep, [clip(r[f"train_{key}"]) for r in history], "o-", label=text("plot_train"))
            ax.plot(ep, [clip(r[f"valid_{key}"]) for r in history], "s-", label=text("plot_valid"))
            ax.set_xlabel(text("plot_epoch"))
            ax.set_ylabel(text("plot_loss") if key == "loss" else text("plot_accuracy"))
            ax.grid(alpha=0.3)
            ax.legend()
        fig.suptitle(text("plot_history_title"), fontsize=9)
        fig.tight_layout()
        path = artifacts_dir(ctx) / f"{ctx.exercise.id}_history.png"
        ctx.save_figure(fig, path)
        plt.close(fig)
    return path


def _probe_history(epochs: int, shift: float, only: str | None = None) -> list[dict]:
    """A history the grader makes up: curves whose shape changes with ``shift``; with ``only``, the same history
    with that one curve bent (losses up, accuracies down, towards the last epoch)."""
    out = []
    for k in range(1, epochs + 1):
        t = (k - 1) / max(1, epochs - 1)
        out.append(
            {
                "epoch": k,
                "train_loss": 1.3 - 0.8 * t,
                "train_acc": 0.4 + 0.5 * t,
                "valid_loss": 1.35 - (0.6 - shift) * t + shift * t * t,
                "valid_acc": 0.38 + (0.45 - shift) * t,
            }
        )
        if only is not None:
            out[-1][only] += (0.25 if only.endswith("loss") else -0.2) * t * t
    return out


def _png_colours(ctx, data: bytes | None) -> int:
    from PIL import Image, UnidentifiedImageError

    if data is None:
        raise CheckFailure("plot_missing", {})
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
    return len(colours) if colours is not None else 1 << 16


def check_plot_history(ctx) -> None:
    """plot_history draws the history it is given: a real, non-blank PNG that changes when the history changes,
    and changes again when any one of its four curves alone changes (all four are drawn)."""
    epochs = int(_p(ctx, "epochs"))
    folder = fresh_dir(ctx)

    def draw(history: list[dict]) -> bytes:
        path = f"{folder}/{secrets.token_hex(4)}.png"
        ctx.sandbox.call(
            "plot_history",
            [history, path],
            seed=ctx.seed,
            timeout=ctx.exercise.limits.call_timeout_s * 3,
            call=f"plot_history(history, {path!r})",
        )
        data = read_file(ctx, path, 32 * 1024 * 1024)
        if _png_colours(ctx, data) < 2:
            raise CheckFailure("plot_blank", {})
        return data

    base, again, shifted = (draw(_probe_history(epochs, s)) for s in (0.0, 0.0, 0.3))
    dest = artifacts_dir(ctx) / f"{ctx.exercise.id}_student_plot.png"
    ctx.write_artifact(dest, base)
    ctx.artifacts["student_plot"] = str(dest)
    if base == shifted:
        raise CheckFailure("plot_ignores_history", {})
    if base != again:
        return  # a picture that changes by itself (random colours, a timestamp): one curve's change cannot be told
    for key in ("train_loss", "valid_loss", "train_acc", "valid_acc"):
        if draw(_probe_history(epochs, 0.0, only=key)) == base:
            raise CheckFailure("plot_missing_curve", {"key": key})


# -- 76 -----------------------------------------------------------------------------------------


@dataclass
class CheckpointRuns:
    epochs: int
    k: int
    batch_size: int
    seed: int
    one_epoch: Linear  # weights after one full-batch epoch (its own run)
    final: Linear  # weights at the end of the uninterrupted run
    checkpoints: dict[int, Checkpoint]


def checkpoint_runs(ctx) -> CheckpointRuns:
    """Full-batch epochs (deterministic): a 1-epoch run, then the uninterrupted run writing epoch_k.pt files."""
    epochs = int(_p(ctx, "epochs"))

    def make() -> CheckpointRuns:
        d = ctx.data
        n = int(d.X_train.shape[0])
        seed = ctx.run_seed(f"checkpoint/e{epochs}")
        m1 = build(ctx, "build_model", seed)
        train(ctx, m1, seed=seed, epochs=1, batch_size=n)
        one = single_layer(state_of(ctx, m1), d.d, len(d.classes), "train")
        model = build(ctx, "build_model", seed)
        folder = fresh_dir(ctx)
        train(ctx, model, seed=seed, epochs=epochs, batch_size=n, checkpoint_dir=folder)
        final = single_layer(state_of(ctx, model), d.d, len(d.classes), "train")
        return CheckpointRuns(epochs, max(1, epochs // 2), n, seed, one, final, fetch_checkpoints(ctx, folder, epochs))

    return _remember(ctx, ("checkpoint_runs", epochs), make)


def _close(a: Linear, b: Linear, scale: float, rtol: float) -> bool:
    return a.distance(b) <= rtol * scale + 1e-6 * (1.0 + float(b.flat().norm()))


def checkpoint_weights(ctx, ck: Checkpoint) -> Linear:
    d = ctx.data
    return single_layer(parse_checkpoint(ck)["model"], d.d, len(d.classes), ck.name)


def check_checkpoints(ctx) -> None:
    """epoch_{k}.pt for every epoch, safe to load, with epoch/model/optimizer, holding the model at the end of epoch k."""
    runs = checkpoint_runs(ctx)
    E = runs.epochs
    missing = [ck.name for ck in runs.checkpoints.values() if ck.data is None]
    if missing:
        raise CheckFailure(
            "checkpoint_missing",
            {
                "epochs": E,
                "expected": f"epoch_1.pt … epoch_{E}.pt",
                "got": ", ".join(missing[:4]) + (" …" if len(missing) > 4 else ""),
                "dir": "checkpoint_dir",
            },
        )
    lins = {k: checkpoint_weights(ctx, ck) for k, ck in runs.checkpoints.items()}
    rtol = float(_p(ctx, "checkpoint_rtol"))
    moved = runs.final.distance(lins[1]) + 1e-12
    if not _close(lins[E], runs.final, moved, rtol):
        raise CheckFailure(
            "checkpoint_not_model",
            {"name": f"epoch_{E}.pt", "k": E, "dist": fmt.number(lins[E].distance(runs.final) / moved)},
        )
    if not _close(lins[1], runs.one_epoch, moved, rtol):
        raise CheckFailure(
            "checkpoint_not_model",
            {"name": "epoch_1.pt", "k": 1, "dist": fmt.number(lins[1].distance(runs.one_epoch) / moved)},
        )
    for k in range(2, E + 1):
        if lins[k].distance(lins[k - 1]) <= 1e-9 * (1.0 + float(lins[k].flat().norm())):
            raise CheckFailure("checkpoint_same", {"a": f"epoch_{k - 1}.pt", "b": f"epoch_{k}.pt"})


def _probe_checkpoint(obj: dict, lr: float | None = None) -> bytes:
    """A checkpoint the grader writes (its own copy of the submission's, with the optimizer's lr changed when asked)."""
    if lr is not None:
        groups = obj["optimizer"]["param_groups"]
        obj = {**obj, "optimizer": {**obj["optimizer"], "param_groups": [{**g, "lr": lr} for g in groups]}}
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def _resume_in(ctx, session, runs: CheckpointRuns, data: bytes, epochs: int) -> tuple[Linear, object]:
    """Resume from ``data`` in ``session``: the file under a random name, a fresh model, train to ``epochs``."""
    d = ctx.data
    folder = fresh_dir(ctx, session)
    path = f"{folder}/{secrets.token_hex(5)}.pt"
    ctx.sandbox_of(session).write(path, data, call="writing a checkpoint")
    model = build(ctx, "build_model", runs.seed, session)
    raw, _, _ = train(
        ctx, model, seed=runs.seed, epochs=epochs, batch_size=runs.batch_size, resume_from=path, session=session
    )
    return single_layer(state_of(ctx, model, session), d.d, len(d.classes), "train"), raw


def check_resume(ctx) -> None:
    """Resumed from epoch_k.pt in a fresh worker, training reproduces the uninterrupted run's weights (full-batch
    epochs: deterministic), and the optimizer state comes from the file (an lr=0 copy leaves the model where it was)."""
    runs = checkpoint_runs(ctx)
    E, k = runs.epochs, runs.k
    ck = runs.checkpoints.get(k)
    if ck is None or ck.data is None:
        raise CheckFailure("resume_needs_checkpoint", {"name": f"epoch_{k}.pt"})
    obj = parse_checkpoint(ck)
    at_k = checkpoint_weights(ctx, ck)
    session = ctx.fresh_session()  # a worker that never saw the uninterrupted run
    # 1. the optimizer state is restored: with lr = 0 in the file, resuming must leave the model where it was
    frozen, _ = _resume_in(ctx, session, runs, _probe_checkpoint(obj, lr=0.0), k + 1)
    moved = runs.final.distance(at_k) + 1e-12
    if frozen.distance(at_k) > 1e-4 * moved + 1e-7 * (1.0 + float(at_k.flat().norm())):
        raise CheckFailure(
            "resume_optimizer",
            {"moved": fmt.number(frozen.distance(at_k) / moved)},
            details=[Msg("hint_load_optimizer")],
        )
    # 2. resuming continues the run: epochs k+1..E reproduce the uninterrupted run's weights
    resumed, raw = _resume_in(ctx, session, runs, _probe_checkpoint(obj), E)
    epochs_back = [r.get("epoch") if isinstance(r, dict) else None for r in raw] if isinstance(raw, list) else raw
    if epochs_back != list(range(k + 1, E + 1)):
        raise CheckFailure(
            "resume_epochs", {"k": k, "got": fmt.value(epochs_back), "expected": fmt.value(list(range(k + 1, E + 1)))}
        )
    rtol = float(_p(ctx, "resume_rtol"))
    dist = resumed.distance(runs.final) / moved
    ctx.facts["resume_distance"] = round(dist, 6)
    if not dist <= rtol:
        details = []
        if resumed.distance(at_k) <= 1e-6 * moved:
            details.append(Msg("hint_resume_no_training"))
        elif any(isinstance(s, dict) and "momentum_buffer" in s for s in obj["optimizer"]["state"].values()):
            details.append(Msg("hint_load_optimizer"))
        raise CheckFailure(
            "resume_far", {"k": k, "E": E, "dist": fmt.number(dist), "tol": fmt.number(rtol)}, details=details
        )


# -- 77 -----------------------------------------------------------------------------------------


def check_batch_timing(ctx) -> None:
    """CPU time per epoch (the worker's, read by the grader) for batch sizes 1, 2, 4, ...: larger batches are
    faster, and each still learns (losses from the weights)."""
    d = ctx.data
    budget = float(_p(ctx, "budget_s"))
    speedup = float(_p(ctx, "min_speedup"))
    n = d.X_train.shape[0]
    rows = []
    spent = 0.0
    seed = ctx.run_seed("batch_timing")
    warm = build(ctx, "build_model", seed)  # one discarded epoch first: the first call pays one-time costs
    train(ctx, warm, seed=seed, epochs=1, batch_size=min(n, 64))
    start = None
    b = 1
    while b <= min(n, int(_p(ctx, "max_batch"))):
        model = build(ctx, "build_model", seed)
        lin0 = single_layer(state_of(ctx, model), d.d, len(d.classes))
        if start is None:
            start = ce(lin0.logits(d.X_train), d.y_train)
        _, cpu, wall = train(ctx, model, seed=seed, epochs=1, batch_size=b)
        lin = single_layer(state_of(ctx, model), d.d, len(d.classes), "train")
        seconds = cpu if cpu is not None else wall
        rows.append(
            {
                "batch_size": b,
                "seconds": seconds,
                "clock": "cpu" if cpu is not None else "wall",
                "train_loss": ce(lin.logits(d.X_train), d.y_train),
                "weights": lin,
            }
        )
        spent += max(seconds, wall)
        if ctx.options.progress:
            ctx.options.progress(
                "step",
                exercise=ctx.exercise.id,
                item=ctx.item.name,
                text=f"{ctx.text('plot_batch_size')} {b}: {seconds:.2f} s",
            )
        if spent + max(seconds, wall) / 1.5 > budget:
            break
        b *= 2
    ctx.facts["batch_timing"] = [{k: v for k, v in r.items() if k != "weights"} for r in rows]
    ctx.artifacts["batch_timing_plot"] = str(_timing_plot(ctx, rows))
    table = [
        Msg("batch_table", {"b": r["batch_size"], "t": f"{r['seconds']:.3f}", "loss": fmt.number(r["train_loss"])})
        for r in rows
    ]
    if rows[0]["clock"] == "wall":
        table.insert(0, Msg("timing_wall_clock"))
    if len(rows) < 2:
        raise CheckFailure(
            "batch_not_faster",
            {"t1": f"{rows[0]['seconds']:.2f}", "tb": "-", "b": "-", "speedup": speedup},
            details=table,
        )
    if all(r["weights"].distance(rows[0]["weights"]) <= 1e-9 for r in rows[1:]):
        # the same seed, different batch sizes, the very same weights: batch_size had no effect
        raise CheckFailure(
            "batch_same_result",
            {"n": len(rows), "loss": fmt.number(rows[0]["train_loss"])},
            details=[Msg("hint_batch_ignored")] + table,
        )
    t1 = max(rows[0]["seconds"], 0.01)
    best = min(rows[1:], key=lambda r: r["seconds"])
    if not max(best["seconds"], 0.0) * speedup <= t1:
        raise CheckFailure(
            "batch_not_faster",
            {"t1": f"{t1:.3f}", "tb": f"{best['seconds']:.3f}", "b": best["batch_size"], "speedup": f"{speedup:g}"},
            details=[Msg("hint_batch_ignored")] + table,
        )
    for r in rows:
        if not r["train_loss"] < start:
            raise CheckFailure(
                "batch_not_learning",
                {"b": r["batch_size"], "before": fmt.number(start), "after": fmt.number(r["train_loss"])},
                details=table,
            )
    ctx.facts["table"] = table


def _timing_plot(ctx, rows) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    text, style = plot_text(ctx)
    with matplotlib.rc_context(style):
        fig, ax = plt.subplots(figsize=(5, 3.2))
        ax.loglog([r["batch_size"] for r in rows], [max(r["seconds"], 1e-3) for r in rows], "o-", base=2)
        ax.set_xlabel(text("plot_batch_size"))
        ax.set_ylabel(text("plot_seconds_per_epoch"))
        ax.grid(alpha=0.3, which="both")
        ax.set_title(text("plot_timing_title"), fontsize=9)
        fig.tight_layout()
        path = artifacts_dir(ctx) / f"{ctx.exercise.id}_batch_timing.png"
        ctx.save_figure(fig, path)
        plt.close(fig)
    return path


# -- 78 -----------------------------------------------------------------------------------------


def _needs_gpu() -> None:
    if not torch.cuda.is_available():  # the grader's own host decides, never the worker
        raise Skip("skipped_no_cuda")


def check_device(ctx) -> None:
    """With a GPU on the grader's host: training on "cuda" gives weights that, evaluated by the grader, agree with the CPU run."""
    _needs_gpu()
    cpu = weights(ctx, single_run(ctx, device="cpu"))
    gpu = weights(ctx, single_run(ctx, device="cuda"))
    a_cpu = acc(cpu.logits(ctx.data.X_test), ctx.data.y_test)
    a_gpu = acc(gpu.logits(ctx.data.X_test), ctx.data.y_test)
    tol = float(_p(ctx, "accuracy_tolerance"))
    ctx.facts.update({"cpu_test_accuracy": round(a_cpu, 4), "cuda_test_accuracy": round(a_gpu, 4)})
    if not abs(a_cpu - a_gpu) <= tol:
        raise CheckFailure("device_disagree", {"cuda": f"{a_gpu:.3f}", "cpu": f"{a_cpu:.3f}", "tol": tol})


def check_device_placement(ctx) -> None:
    """(A claim: the worker reports where the parameters are.) After train(device="cuda") they are on the GPU."""
    _needs_gpu()
    run = single_run(ctx, device="cuda")
    mods = ctx.sandbox.modules(run.model, call="model.named_parameters()")
    try:
        devices = [
            (f"{m['name']}.{p[0]}".strip("."), str(p[2])) for m in mods["modules"][:1000] for p in m["params"][:1000]
        ]
    except (TypeError, KeyError, IndexError):
        raise CheckFailure("protocol", {"detail": "a malformed module list"}, status=Status.ERROR) from None
    for name, dev in devices:
        if not dev.startswith("cuda"):
            raise CheckFailure("device_params", {"name": name[:100], "got": dev[:20]})


# -- 79 -----------------------------------------------------------------------------------------


def mlp_run(ctx) -> Run:
    """build_mlp trained with the student's own train (mini-batches of at least 2), with checkpoints for feedback."""
    epochs, batch = int(_p(ctx, "epochs")), int(_p(ctx, "batch_size"))
    name = f"mlp/e{epochs}/b{batch}"

    def make() -> Run:
        seed = ctx.run_seed(name)
        model = build(ctx, "build_mlp", seed)
        folder = fresh_dir(ctx)
        raw, cpu, wall = train(ctx, model, seed=seed, epochs=epochs, batch_size=batch, checkpoint_dir=folder)
        run = Run(name, seed, epochs, batch, model, raw, cpu_s=cpu, wall_s=wall)
        last = read_file(ctx, f"{folder}/epoch_{epochs}.pt", MAX_CHECKPOINT_BYTES)
        run.checkpoints = {epochs: Checkpoint(epochs, last)}
        return run

    return _remember(ctx, ("run", name), make)


def _finite(z: torch.Tensor) -> torch.Tensor:
    if not bool(torch.isfinite(z).all()):
        bad = int((~torch.isfinite(z)).any(1).sum())
        raise CheckFailure("outputs_not_finite", {"n": bad, "total": z.shape[0]}, details=[Msg("hint_lr_too_large")])
    return z


def check_mlp_structure(ctx) -> None:
    """From behaviour on the grader's inputs, in eval mode: deterministic, not affine, logits (not probabilities);
    and (a claim of the worker) at least two weight matrices."""
    d = ctx.data
    seed = ctx.run_seed("mlp/structure")
    model = build(ctx, "build_mlp", seed)
    state = state_of(ctx, model)
    if isinstance(state, dict):
        mats = [k for k, v in state.items() if isinstance(v, torch.Tensor) and v.is_floating_point() and v.dim() == 2]
        if len(mats) < 2:
            details = []
            mods = ctx.sandbox.modules(model, call="model.named_modules()")
            lists = mods.get("unregistered_lists") or []
            if isinstance(lists, list) and lists:
                details.append(Msg("hint_plain_list", {"attrs": ", ".join(str(a)[:50] for a in lists[:5])}))
            raise CheckFailure("mlp_layers", {"n": len(mats)}, details=details)
    g = torch.Generator().manual_seed(seed)
    rows = d.X_valid[torch.randperm(d.X_valid.shape[0], generator=g)[:16]]
    a = rows + 0.5 * torch.randn(16, d.d, generator=g) * rows.std()
    b = d.X_valid[torch.randperm(d.X_valid.shape[0], generator=g)[:16]]
    X = torch.cat([a, b, a + b, torch.zeros(16, d.d), 2 * a])
    z1 = _finite(predict(ctx, model, X, X.shape[0]))
    z2 = _finite(predict(ctx, model, X, X.shape[0]))
    scale = float(z1.abs().max()) + 1e-12
    if not float((z1 - z2).abs().max()) <= 1e-5 * scale:
        raise CheckFailure(
            "mlp_nondeterministic", {"dev": f"{float((z1 - z2).abs().max()):.2g}"}, details=[Msg("hint_eval_mode")]
        )
    fa, fb, fab, f0, f2a = z1[:16], z1[16:32], z1[32:48], z1[48:64], z1[64:]
    dev = max(float((fab - fa - fb + f0).abs().max()), float((f2a - 2 * fa + f0).abs().max()))
    if not dev > 1e-4 * scale:
        raise CheckFailure("mlp_linear", {"dev": f"{dev:.2g}"})
    if bool(((z1 >= 0) & (z1 <= 1)).all()) and bool(((z1.sum(1) - 1).abs() < 1e-3).all()):
        raise CheckFailure("mlp_probabilities", {}, details=[Msg("hint_model_softmax")])


def check_mlp_accuracy(ctx) -> None:
    """The MLP, trained with the student's own train, reaches the threshold on test data the grader scores."""
    run = mlp_run(ctx)
    z = _finite(predict(ctx, run.model, _data(ctx)["X_test"], ctx.data.X_test.shape[0]))
    a = acc(z, ctx.data.y_test)
    ctx.facts["test_accuracy"] = round(a, 4)
    th = _threshold(ctx, "mlp_threshold")
    if a < th:
        raise CheckFailure(
            "accuracy_below", {"got": f"{a:.3f}", "threshold": f"{th:.3f}"}, details=_lr_details(ctx, run)
        )
