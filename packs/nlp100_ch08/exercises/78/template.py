"""NLP-100 chapter 8, exercise 78: training on a GPU.

New in this exercise: `train` honours `device` ("cpu" or "cuda"): the model
and every batch live there while training, and the model stays there after
`train` returns. Without a CUDA device on the grading machine, this item is
skipped. `build_model` (and `accuracy`, if you use it) come from exercises
73-77. Grade with `check submit FILE`. Only the standard library, torch,
numpy and matplotlib may be imported.
"""
import os

import torch


# --- from 73-77 --------------------------------------------------------------
def build_model(d_in: int, n_classes: int) -> torch.nn.Module:
    """The single-layer network: (n, d_in) -> (n, n_classes) logits, no hidden layer."""
    raise NotImplementedError


def accuracy(model: torch.nn.Module, X: torch.Tensor, y: torch.Tensor) -> float:
    """Share of correct argmax predictions, as a Python float in [0, 1].

    Works whatever device the model is on: move X and y to the model's device.
    """
    raise NotImplementedError


# --- extended in 78 ----------------------------------------------------------
def train(
    model: torch.nn.Module,
    X_train: torch.Tensor,
    y_train: torch.Tensor,
    X_valid: torch.Tensor,
    y_valid: torch.Tensor,
    *,
    epochs: int,
    batch_size: int,
    device: str,
    checkpoint_dir: str | None = None,
    resume_from: str | None = None,
) -> list[dict]:
    """Train `model` in place with torch.optim.SGD on `device`.

    `device` is "cpu" or "cuda". Move the model first (model.to(device)),
    then create the optimizer; move every batch (and the validation data)
    to `device`. After returning, the model stays on `device`.

    Mini-batches (77), checkpoints `checkpoint_dir/epoch_{k}.pt` and
    `resume_from` (76) work as before; load checkpoints with
    torch.load(path, map_location=device).

    Returns one record per epoch trained, in order, with Python floats:
        {"epoch": k, "train_loss": float, "train_acc": float,
         "valid_loss": float, "valid_acc": float}
    """
    raise NotImplementedError
