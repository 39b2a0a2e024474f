"""NLP-100 chapter 8, exercise 74: measuring accuracy.

New in this exercise: `accuracy`, and the accuracies in the records `train`
returns. `build_model` and `train` from exercise 73 are needed too (repeated
below). Grade with `check submit FILE`. Only the standard library, torch,
numpy and matplotlib may be imported.
"""
import torch


# --- new in 74 ---------------------------------------------------------------
def accuracy(model: torch.nn.Module, X: torch.Tensor, y: torch.Tensor) -> float:
    """Share of examples whose predicted class (argmax of the logits) equals y.

    Args:
        model: a network mapping (n, d) to (n, L) logits, on any device.
        X: float32 features, shape (n, d) (move it to the model's device).
        y: int64 class indices, shape (n,).

    Returns:
        A Python float in [0, 1]. Measured in eval mode without gradients;
        the model's parameters are not changed.
    """
    raise NotImplementedError


# --- from 73 -----------------------------------------------------------------
def build_model(d_in: int, n_classes: int) -> torch.nn.Module:
    """The single-layer network: (n, d_in) -> (n, n_classes) logits, no hidden layer."""
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

    Returns one record per epoch, in order:
        {"epoch": k, "train_loss": float, "train_acc": float,
         "valid_loss": float, "valid_acc": float}
    with k counted from 1 and the accuracies (e.g. from `accuracy`) measured
    in eval mode on the model as it stands at the end of epoch k.
    """
    raise NotImplementedError
