"""NLP-100 chapter 8, exercise 73: training with stochastic gradient descent.

New in this exercise: `build_model` and `train`.
Grade with `check submit FILE`. Only the standard library, torch, numpy and
matplotlib may be imported. Inside `train`, torch.nn.functional.cross_entropy
and autograd may be used.
"""
import torch


def build_model(d_in: int, n_classes: int) -> torch.nn.Module:
    """The single-layer network of exercise 71.

    Maps inputs of shape (n, d_in) to logits of shape (n, n_classes) with one
    weight matrix and no hidden layer (a bias is allowed), e.g.
    torch.nn.Linear(d_in, n_classes, bias=False).
    """
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
    """Train `model` in place with torch.optim.SGD on the cross-entropy.

    Args:
        model: the network to train (from build_model); train this object.
        X_train, X_valid: float32 features, shape (n, d).
        y_train, y_valid: int64 class indices, shape (n,).
        epochs: number of passes over the training data (given by the checker).
        batch_size: examples per mini-batch (given by the checker).
        device: "cpu" here; the model and every batch live there.
        checkpoint_dir, resume_from: used from exercise 76 on; None here.

    Returns:
        One record per epoch, in order (checked from exercise 74 on):
        {"epoch": k, "train_loss": float, "train_acc": float,
         "valid_loss": float, "valid_acc": float}, k counted from 1.
    """
    raise NotImplementedError
