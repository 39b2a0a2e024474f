"""NLP-100 chapter 8, exercise 76: checkpoints.

New in this exercise: `train` writes a checkpoint after every epoch when
`checkpoint_dir` is given, and resumes from one when `resume_from` is given.
`build_model` (and `accuracy`, if you use it) come from exercises 73-75.
Grade with `check submit FILE`. Only the standard library, torch, numpy and
matplotlib may be imported.
"""
import os

import torch


# --- from 73-75 --------------------------------------------------------------
def build_model(d_in: int, n_classes: int) -> torch.nn.Module:
    """The single-layer network: (n, d_in) -> (n, n_classes) logits, no hidden layer."""
    raise NotImplementedError


def accuracy(model: torch.nn.Module, X: torch.Tensor, y: torch.Tensor) -> float:
    """Share of correct argmax predictions, as a Python float in [0, 1]."""
    raise NotImplementedError


# --- extended in 76 ----------------------------------------------------------
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
    """Train `model` in place with torch.optim.SGD; write and resume checkpoints.

    Checkpoints: when `checkpoint_dir` is not None (an existing, empty
    directory), after each epoch k write
        path = os.path.join(checkpoint_dir, f"epoch_{k}.pt")
        torch.save({"epoch": k, "model": model.state_dict(),
                    "optimizer": optimizer.state_dict()}, path)

    Resuming: when `resume_from` is the path of such a checkpoint (epoch k),
        ckpt = torch.load(resume_from, map_location=device)
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
    (create the optimizer after moving the model to `device`), then train
    epochs k+1 .. `epochs` and return only their records. Epoch k+1 of the
    resumed run must agree with epoch k+1 of an uninterrupted run.

    Returns one record per epoch trained, in order:
        {"epoch": k, "train_loss": float, "train_acc": float,
         "valid_loss": float, "valid_acc": float}
    measured in eval mode on the model at the end of epoch k.
    """
    raise NotImplementedError
