"""NLP-100 chapter 8, exercise 77: mini-batches.

New in this exercise: `train` updates the weights once per mini-batch of
`batch_size` examples (the last, smaller batch included). `build_model`
(and `accuracy`, if you use it) come from exercises 73-76; checkpoints and
resuming (76) keep working. Grade with `check submit FILE`. Only the standard
library, torch, numpy and matplotlib may be imported.
"""
import os

import torch


# --- from 73-76 --------------------------------------------------------------
def build_model(d_in: int, n_classes: int) -> torch.nn.Module:
    """The single-layer network: (n, d_in) -> (n, n_classes) logits, no hidden layer."""
    raise NotImplementedError


def accuracy(model: torch.nn.Module, X: torch.Tensor, y: torch.Tensor) -> float:
    """Share of correct argmax predictions, as a Python float in [0, 1]."""
    raise NotImplementedError


# --- extended in 77 ----------------------------------------------------------
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
    """Train `model` in place with torch.optim.SGD in mini-batches.

    Each epoch: shuffle the training data, cut it into batches of
    `batch_size` examples (keep the last, smaller one), and for each batch
    compute the mean cross-entropy, backpropagate and take one optimizer step:
    ceil(n / batch_size) updates per epoch.

    Checkpoints (`checkpoint_dir/epoch_{k}.pt`) and `resume_from` work as in
    exercise 76.

    Returns one record per epoch trained, in order:
        {"epoch": k, "train_loss": float, "train_acc": float,
         "valid_loss": float, "valid_acc": float}
    measured in eval mode on the model at the end of epoch k.
    """
    raise NotImplementedError
