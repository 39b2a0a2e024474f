"""NLP-100 chapter 8, exercise 75: plotting loss and accuracy.

New in this exercise: `plot_history`, and the losses in the records `train`
returns (checked against the checker's own measurement). `build_model`,
`train` and `accuracy` from exercises 73-74 are repeated below.
Grade with `check submit FILE`. Only the standard library, torch, numpy and
matplotlib may be imported.
"""
import matplotlib

matplotlib.use("Agg")  # no display in the sandbox
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402


# --- new in 75 ---------------------------------------------------------------
def plot_history(history: list[dict], path: str) -> None:
    """Plot the training curves and save them as a PNG file.

    Args:
        history: records as returned by `train`, one per epoch:
            {"epoch": k, "train_loss": float, "train_acc": float,
             "valid_loss": float, "valid_acc": float}
        path: where to write the PNG image.

    Draws loss (train, valid) and accuracy (train, valid) against the epoch,
    saves with fig.savefig(path) and closes the figure. Returns None.
    """
    raise NotImplementedError


# --- from 73-74 --------------------------------------------------------------
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
    """Train `model` in place with torch.optim.SGD on the cross-entropy.

    Returns one record per epoch, in order:
        {"epoch": k, "train_loss": float, "train_acc": float,
         "valid_loss": float, "valid_acc": float}
    k counted from 1; losses are the mean cross-entropy over the whole set,
    accuracies in [0, 1]; all measured in eval mode on the model as it stands
    at the end of epoch k.
    """
    raise NotImplementedError
