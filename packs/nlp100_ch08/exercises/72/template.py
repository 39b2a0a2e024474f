"""NLP-100 chapter 8, exercise 72: computing the loss and the gradients.

Define the five functions below and grade them with `check submit FILE`.
Only the standard library, torch, numpy and matplotlib may be imported.

Hand-written (cross_entropy, linear_backward, softmax_cross_entropy_backward):
forbidden are torch.softmax, torch.log_softmax, Tensor.softmax,
Tensor.log_softmax, torch.nn.functional.softmax / log_softmax / cross_entropy /
nll_loss, torch.nn.Softmax, torch.nn.LogSoftmax, torch.nn.CrossEntropyLoss,
torch.nn.NLLLoss; in the two backward functions also autograd (.backward(),
torch.autograd.grad). Allowed: element-wise operations and reductions,
torch.logsumexp, gather, scatter, torch.nn.functional.one_hot, indexing.
"""
import torch


def cross_entropy(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of a batch (hand-written, stable up to +-1e4).

    Args:
        logits: unnormalized scores, shape (n, L).
        y: true class indices, shape (n,), int64.

    Returns:
        A 0-dim tensor with the dtype of `logits`: mean over i of
        -log softmax(logits[i])[y[i]].
    """
    raise NotImplementedError


def linear_forward(x: torch.Tensor, W: torch.Tensor, b: torch.Tensor | None = None) -> torch.Tensor:
    """Linear layer: x @ W (+ b).

    Args:
        x: shape (n, d).
        W: shape (d, L).
        b: shape (L,), or None for no bias.

    Returns:
        Shape (n, L), the dtype of `x`.
    """
    raise NotImplementedError


def linear_backward(grad_y: torch.Tensor, x: torch.Tensor, W: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Backward pass of y = x @ W + b (hand-written, no autograd).

    Args:
        grad_y: dLoss/dy, shape (n, L).
        x: the layer's input, shape (n, d).
        W: the layer's weights, shape (d, L).

    Returns:
        (grad_x, grad_W, grad_b) with shapes (n, d), (d, L) and (L,).
    """
    raise NotImplementedError


def softmax_cross_entropy_backward(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Gradient of the mean cross-entropy w.r.t. the logits (hand-written, no autograd).

    Args:
        logits: shape (n, L).
        y: true class indices, shape (n,), int64.

    Returns:
        dLoss/dlogits, shape (n, L), the dtype of `logits`; each row sums to 0.
    """
    raise NotImplementedError


def loss_and_grad(X: torch.Tensor, y: torch.Tensor, W: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Loss of the single-layer network and its gradient w.r.t. W (autograd allowed).

    Args:
        X: features, shape (n, d).
        y: true class indices, shape (n,), int64.
        W: weights, shape (d, L).

    Returns:
        (loss, grad_W): the mean cross-entropy of softmax(X @ W) as a 0-dim
        tensor, and its gradient with respect to W, shape (d, L).
        `W` itself must not be modified (work on a detached copy).
    """
    raise NotImplementedError
