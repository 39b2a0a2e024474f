# --- expect
# kind = "bug"
# exercises = ["70", "71", "72"]
# failing = ["softmax"]
# passing = ["featurize", "predict_proba", "cross_entropy", "linear_forward", "linear_backward", "softmax_cross_entropy_backward", "loss_and_grad"]
# exit = 1
# why = "softmax without subtracting the max: exp overflows to inf and inf/inf gives NaN for inputs around 1e2..1e4."
# ---
"""NLP-100 chapter 8, tasks 70-72: correct_plain.py with ONE bug.

BUG: softmax without subtracting the max: exp overflows to inf and inf/inf gives NaN for inputs around 1e2..1e4.
"""
import numpy as np
import torch


# 70 -------------------------------------------------------------------------
def featurize(titles, vectors):
    d = len(next(iter(vectors.values()))) if vectors else 0
    out = torch.zeros((len(titles), d), dtype=torch.float32)
    for i, title in enumerate(titles):
        known = [np.asarray(vectors[w], dtype=np.float32) for w in title if w in vectors]
        if known:
            out[i] = torch.from_numpy(np.mean(np.stack(known), axis=0).astype(np.float32))
    return out


# 71 -------------------------------------------------------------------------
def softmax(x, dim=-1):
    e = x.exp()  # BUG: no max subtraction, overflows for large inputs
    return e / e.sum(dim=dim, keepdim=True)


def predict_proba(X, W):
    z = X @ W
    z = z - z.max(dim=-1, keepdim=True).values
    e = z.exp()
    return e / e.sum(dim=-1, keepdim=True)


# 72 -------------------------------------------------------------------------
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
    n = logits.shape[0]
    z = logits - logits.max(dim=1, keepdim=True).values
    e = z.exp()
    p = e / e.sum(dim=1, keepdim=True)
    onehot = torch.zeros_like(p)
    onehot[torch.arange(n), y] = 1.0
    return (p - onehot) / n


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
