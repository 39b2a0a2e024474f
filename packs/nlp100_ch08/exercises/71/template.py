"""NLP-100 chapter 8, exercise 71: prediction with a single-layer neural network.

Define `softmax` (hand-written) and `predict_proba` below and grade them with
`check submit FILE`. Only the standard library, torch, numpy and matplotlib
may be imported.

Forbidden in `softmax`: torch.softmax, Tensor.softmax, torch.log_softmax,
Tensor.log_softmax, torch.nn.functional.softmax / log_softmax,
torch.nn.Softmax, torch.nn.LogSoftmax. Allowed: element-wise operations,
reductions, torch.logsumexp, indexing.
"""
import torch


def softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Softmax of `x` along `dim` (hand-written, numerically stable).

    Args:
        x: a 1-D or 2-D floating tensor; values may be as large as +-1e4.
        dim: the dimension along which the result sums to 1.

    Returns:
        A tensor of the same shape and dtype as `x`, with no NaN or inf.
        `x` must not be modified in place.
    """
    raise NotImplementedError


def predict_proba(X: torch.Tensor, W: torch.Tensor) -> torch.Tensor:
    """Class probabilities of the single-layer network: softmax(X @ W).

    Args:
        X: features, shape (n, d), or a single example of shape (d,).
        W: weights, shape (d, L) for L classes.

    Returns:
        Probabilities over the classes (last dimension): shape (n, L) for a
        2-D `X`, shape (L,) for a 1-D `X`; the dtype of `X`.
    """
    raise NotImplementedError
