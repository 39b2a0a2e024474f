"""NLP-100 chapter 8, exercise 73: training with stochastic gradient descent.

New in this exercise: `build_model` and `train`. This file is the base of
exercises 73-79: their templates hold only what each one adds (74 `accuracy`,
75 `plot_history`, 76 checkpoint helpers, 77 and 78 notes on `train`, 79
`build_mlp`); append them here, and extend this one `train` instead of
writing a second one.

Grade with `check submit FILE` (`--exercise 73` for this exercise only).
Only the standard library, torch, numpy and matplotlib may be imported.
From here on torch.nn, torch.optim, torch.nn.functional.cross_entropy and
autograd may be used. `check show 73` prints the numbers the checker uses
(epochs, batch size, required accuracy, time limits).
"""
import torch


def build_model(d_in: int, n_classes: int) -> torch.nn.Module:
    """The single-layer network of exercise 71: logits = X W^T + b.

    Maps float32 inputs of shape (n, d_in) to logits of shape (n, n_classes)
    (scores before softmax). Its state_dict must hold exactly one weight of
    shape (n_classes, d_in) and at most a bias of shape (n_classes,): no
    hidden layer, no batch norm, no softmax. torch.nn.Linear(d_in, n_classes)
    (with or without bias) is such a network.
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
    """Train `model` in place with torch.optim.SGD on the mean cross-entropy.

    Args:
        model: the network to train (from build_model; from build_mlp in 79).
            Train this very object: do not build and return a new one.
        X_train, X_valid: float32 features, shape (n, d).
        y_train, y_valid: int64 class indices, shape (n,).
        epochs: the number of passes over the training data (the checker's).
        batch_size: examples per update (the checker's; 1 is plain SGD).
        device: "cpu"; "cuda" too from exercise 78.
        checkpoint_dir: an existing, empty folder, or None. The checker passes
            one already in 73; writing checkpoints there is exercise 76.
        resume_from: the path of a checkpoint to continue from, or None
            (exercise 76).

    Returns:
        One record per epoch trained, in order:
        {"epoch": k, "train_loss": float, "train_acc": float,
         "valid_loss": float, "valid_acc": float}, k counted from 1.
        The checker reads the weights, not the records, in 73; the records
        are checked from 74 on.
    """
    # Which exercise asks what of this function (the later templates say more):
    #   73  every epoch: model.train(), shuffle, one optimizer step per batch
    #   74  each record's accuracies: the whole set, eval mode, end of the epoch
    #   75  each record's losses: the same, mean cross-entropy
    #   76  checkpoint_dir/epoch_{k}.pt after every epoch; resume_from
    #   77  ceil(n / batch_size) updates per epoch, the last smaller batch too
    #   78  the model and every batch on `device`; the model stays there
    #   79  any model: use model.parameters(), nothing specific to one layer
    raise NotImplementedError
