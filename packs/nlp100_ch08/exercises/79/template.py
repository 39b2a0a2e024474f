"""NLP-100 chapter 8, exercise 79: multi-layer neural network.

New in this exercise: `build_mlp`, a network with at least one hidden layer
and a non-linearity. It is trained with your own `train` (exercises 73-78),
repeated below, which must work for any model. Grade with `check submit FILE`.
Only the standard library, torch, numpy and matplotlib may be imported.
"""
import os

import torch


# --- new in 79 ---------------------------------------------------------------
def build_mlp(d_in: int, n_classes: int) -> torch.nn.Module:
    """A multi-layer network: (n, d_in) float32 -> (n, n_classes) logits.

    At least one hidden layer with a non-linear activation between layers
    (e.g. Linear -> ReLU -> Linear). No softmax at the output.
    """
    raise NotImplementedError


# --- from 73-78 --------------------------------------------------------------
def build_model(d_in: int, n_classes: int) -> torch.nn.Module:
    """The single-layer network: (n, d_in) -> (n, n_classes) logits, no hidden layer."""
    raise NotImplementedError


def accuracy(model: torch.nn.Module, X: torch.Tensor, y: torch.Tensor) -> float:
    """Share of correct argmax predictions, as a Python float in [0, 1]."""
    raise NotImplementedError


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
    """Train any `model` in place with torch.optim.SGD over model.parameters().

    Mini-batches of `batch_size` (77) on `device` (78), checkpoints
    `checkpoint_dir/epoch_{k}.pt` and `resume_from` (76) as before.

    Returns one record per epoch trained, in order:
        {"epoch": k, "train_loss": float, "train_acc": float,
         "valid_loss": float, "valid_acc": float}
    measured in eval mode on the model at the end of epoch k.
    """
    raise NotImplementedError
