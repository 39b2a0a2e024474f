# --- expect
# kind = "correct"
# exercises = ["70", "71", "72"]
# failing = []
# passing = ["featurize", "softmax", "predict_proba", "cross_entropy", "linear_forward", "linear_backward", "softmax_cross_entropy_backward", "loss_and_grad"]
# exit = 0
# why = "Computed in numpy and converted back: softmax as exp(x - logsumexp), one-hot cross-entropy; loss_and_grad through autograd (allowed there)."
# ---
"""NLP-100 chapter 8, tasks 70-72: correct, computed mostly in numpy.

Different but sound formulas: softmax as exp(x - logsumexp(x)), cross-entropy
through a one-hot matrix, and loss_and_grad through autograd (allowed there).
Results are converted back to tensors of the input's dtype.
"""
import numpy as np
import torch


def _np(t):
    return t.detach().cpu().numpy()


def _logsumexp(a, axis):
    m = np.max(a, axis=axis, keepdims=True)
    return m + np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True))


def featurize(titles, vectors):
    d = 0
    for v in vectors.values():
        d = np.asarray(v).shape[-1]
        break
    feats = np.zeros((len(titles), d), dtype=np.float32)
    for i, title in enumerate(titles):
        hits = [w for w in title if w in vectors]
        if hits:
            feats[i] = np.sum([vectors[w] for w in hits], axis=0, dtype=np.float64) / len(hits)
    return torch.from_numpy(feats)


def softmax(x, dim=-1):
    a = _np(x)
    out = np.exp(a - _logsumexp(a, axis=dim))
    return torch.from_numpy(np.ascontiguousarray(out, dtype=a.dtype))


def predict_proba(X, W):
    z = _np(X) @ _np(W)
    out = np.exp(z - _logsumexp(z, axis=-1))
    return torch.from_numpy(np.ascontiguousarray(out, dtype=z.dtype))


def cross_entropy(logits, y):
    z = _np(logits)
    labels = _np(y)
    onehot = np.eye(z.shape[1], dtype=z.dtype)[labels]
    logp = z - _logsumexp(z, axis=1)
    loss = -(onehot * logp).sum(axis=1).mean()
    return torch.from_numpy(np.asarray(loss, dtype=z.dtype))


def linear_forward(x, W, b=None):
    out = _np(x) @ _np(W)
    if b is not None:
        out = out + _np(b)
    return torch.from_numpy(np.ascontiguousarray(out))


def linear_backward(grad_y, x, W):
    g = _np(grad_y)
    grad_x = g @ _np(W).T
    grad_W = _np(x).T @ g
    grad_b = g.sum(axis=0)
    return tuple(torch.from_numpy(np.ascontiguousarray(a)) for a in (grad_x, grad_W, grad_b))


def softmax_cross_entropy_backward(logits, y):
    z = _np(logits)
    n, num_classes = z.shape
    p = np.exp(z - _logsumexp(z, axis=1))
    onehot = np.eye(num_classes, dtype=z.dtype)[_np(y)]
    return torch.from_numpy(np.ascontiguousarray((p - onehot) / n, dtype=z.dtype))


def loss_and_grad(X, y, W):
    W = W.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        logits = X.detach() @ W
        logp = logits - torch.logsumexp(logits, dim=1, keepdim=True)
        onehot = torch.nn.functional.one_hot(y, logits.shape[1]).to(logits.dtype)
        loss = -(onehot * logp).sum(dim=1).mean()
        (grad_W,) = torch.autograd.grad(loss, W)
    return loss.detach(), grad_W
