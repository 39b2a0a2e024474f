# --- expect
# exercises = ["72"]
# verdict = "graded"
# zero = ["softmax_cross_entropy_backward"]
# passing = ["cross_entropy", "linear_forward", "linear_backward", "loss_and_grad"]
# leaves_nothing = true
# messages = { softmax_cross_entropy_backward = "torch.func" }
# why = "softmax_cross_entropy_backward differentiates with torch.func.vjp (autograd under another name); its values are right"
# ---
"""softmax_cross_entropy_backward takes its gradient from torch.func.vjp; the other functions of 72 are correct."""
import torch


def cross_entropy(logits, y):
    lse = torch.logsumexp(logits, dim=1)
    picked = logits.gather(1, y.unsqueeze(1)).squeeze(1)
    return (lse - picked).mean()


def linear_forward(x, W, b=None):
    out = x @ W
    if b is not None:
        out = out + b
    return out


def linear_backward(grad_y, x, W):
    grad_x = grad_y @ W.T
    grad_W = x.T @ grad_y
    grad_b = grad_y.sum(dim=0)
    return grad_x, grad_W, grad_b


def softmax_cross_entropy_backward(logits, y):
    # HOSTILE: torch.func.vjp is autograd under another name
    from torch.func import vjp

    print("nlp100-adv: attack ran", flush=True)
    _, pullback = vjp(lambda z: cross_entropy(z, y), logits)
    return pullback(torch.ones((), dtype=logits.dtype))[0]


def loss_and_grad(X, y, W):
    n = X.shape[0]
    logits = X @ W
    lse = torch.logsumexp(logits, dim=1)
    loss = (lse - logits.gather(1, y.unsqueeze(1)).squeeze(1)).mean()
    p = torch.exp(logits - lse.unsqueeze(1))
    onehot = torch.zeros_like(p)
    onehot[torch.arange(n), y] = 1.0
    grad_W = X.T @ (p - onehot) / n
    return loss, grad_W
