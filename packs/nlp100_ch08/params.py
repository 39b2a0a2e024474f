"""The parameters of chapter 8's checks, typed, with their defaults (light: no torch).

A spec item's ``params`` table is checked against these when the spec loads; a check
reads them with ``ctx.param(name)``.  Checks not named here take none.
"""

from __future__ import annotations

import math

from pydantic import Field

from checker.spec.params import Params


class Run(Params):
    """A training run: epochs and mini-batch size given to the student's ``train``."""

    epochs: int = Field(8, ge=1, le=200)
    batch_size: int = Field(1, ge=1)
    train_timeout_s: float | None = Field(
        None, gt=0, description="wall clock for one train call (default: the exercise's wall_s)"
    )


class LossDecreases(Run):
    loss_ratio: float = Field(0.9, gt=0, le=1, description="the trained loss must fall below this × the built model's")
    max_final_loss: float = Field(math.inf, gt=0, description="and below this (a double softmax cannot go under 0.74)")


class Checkpoints(Params):
    """76: full-batch epochs (deterministic)."""

    epochs: int = Field(6, ge=2, le=50)
    checkpoint_rtol: float = Field(
        1e-3, gt=0, description="epoch_k.pt's weights vs the k-epoch model, relative to the run's movement"
    )
    train_timeout_s: float | None = Field(None, gt=0)


class Resume(Checkpoints):
    resume_rtol: float = Field(
        0.01, gt=0, description="resumed weights vs the uninterrupted run's, relative to its movement"
    )


class BatchTiming(Params):
    budget_s: float = Field(30, gt=0, description="seconds of training spent on the batch sizes 1, 2, 4, ...")
    min_speedup: float = Field(
        3.0, ge=1, description="the fastest larger batch must be this many times faster than batch size 1"
    )
    max_batch: int = Field(4096, ge=2)
    train_timeout_s: float | None = Field(None, gt=0)


class Device(Run):
    accuracy_tolerance: float = Field(0.02, ge=0, le=1, description="CUDA and CPU test accuracies agree within this")


class MlpRun(Run):
    """79: mini-batches of at least 2, so that batch normalisation works."""

    epochs: int = Field(10, ge=1, le=200)
    batch_size: int = Field(8, ge=2)


class Gradient(Params):
    localise_max: int = Field(
        4096, ge=0, description="localise a wrong gradient entry by entry up to this many entries"
    )


CHECK_PARAMS: dict[str, type[Params]] = {
    "single_layer": Run,
    "loss_decreases": LossDecreases,
    "accuracy_threshold": Run,
    "accuracy_function": Run,
    "history_accuracy": Run,
    "history": Run,
    "plot_history": Run,
    "checkpoints": Checkpoints,
    "resume": Resume,
    "batch_timing": BatchTiming,
    "device": Device,
    "device_placement": Run,
    "mlp_accuracy": MlpRun,
    "gradient_linear": Gradient,
    "gradient_softmax_cross_entropy": Gradient,
    "gradient_loss_and_grad": Gradient,
}
