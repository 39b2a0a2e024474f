# --- expect
# kind = "correct"
# exercises = ["70", "71", "72"]
# failing = []
# passing = ["featurize", "softmax", "predict_proba", "cross_entropy", "linear_forward", "linear_backward", "softmax_cross_entropy_backward", "loss_and_grad"]
# exit = 0
# why = "Computes in float64 and casts back to the input dtype; movedim for any softmax dim, advanced indexing, index_put one-hot."
# ---
"""NLP-100 chapter 8, tasks 70-72: correct, a careful student's version.

Computes internally in float64 and casts back to the input's dtype; moves
the softmax dimension to the end with movedim; picks the true-class logits
by advanced indexing; builds one-hot targets with index_put.
"""
import torch


def featurize(titles, vectors):
    d = len(next(iter(vectors.values()))) if vectors else 0
    X = torch.zeros(len(titles), d, dtype=torch.float64)
    for i, title in enumerate(titles):
        count = 0
        for token in title:
            vec = vectors.get(token)
            if vec is None:
                continue
            X[i] += torch.tensor(vec, dtype=torch.float64)
            count += 1
        if count > 0:
            X[i] /= count
    return X.to(torch.float32)


def softmax(x, dim=-1):
    moved = torch.movedim(x.to(torch.float64), dim, -1)
    moved = moved - moved.max(dim=-1, keepdim=True).values
    p = moved.exp()
    p = p / p.sum(dim=-1, keepdim=True)
    return torch.movedim(p, -1, dim).to(x.dtype).contiguous()


def predict_proba(X, W):
    single = X.dim() == 1
    X2 = X.reshape(1, -1) if single else X
    z = X2.to(torch.float64) @ W.to(torch.float64)
    z = z - z.max(dim=1, keepdim=True).values
    p = z.exp()
    p = (p / p.sum(dim=1, keepdim=True)).to(X.dtype)
    return p[0] if single else p


def cross_entropy(logits, y):
    z = logits.to(torch.float64)
    n = z.shape[0]
    m = z.max(dim=1).values
    lse = m + (z - m[:, None]).exp().sum(dim=1).log()
    nll = lse - z[torch.arange(n), y]
    return (nll.sum() / n).to(logits.dtype)


def linear_forward(x, W, b=None):
    if b is None:
        b = torch.zeros(W.shape[1], dtype=W.dtype)
    return (x.to(torch.float64) @ W.to(torch.float64) + b.to(torch.float64)).to(x.dtype)


def linear_backward(grad_y, x, W):
    g = grad_y.to(torch.float64)
    grad_x = (g @ W.to(torch.float64).transpose(0, 1)).to(x.dtype)
    grad_W = (x.to(torch.float64).transpose(0, 1) @ g).to(W.dtype)
    grad_b = g.sum(dim=0).to(grad_y.dtype)
    return grad_x, grad_W, grad_b


def softmax_cross_entropy_backward(logits, y):
    n = logits.shape[0]
    p = softmax(logits, dim=1).to(torch.float64)
    target = torch.zeros_like(p).index_put((torch.arange(n), y), torch.tensor(1.0, dtype=torch.float64))
    return ((p - target) / n).to(logits.dtype)


def loss_and_grad(X, y, W):
    n = X.shape[0]
    Xd, Wd = X.to(torch.float64), W.to(torch.float64)
    z = Xd @ Wd
    m = z.max(dim=1, keepdim=True).values
    lse = m + (z - m).exp().sum(dim=1, keepdim=True).log()
    logp = z - lse
    loss = -logp[torch.arange(n), y].mean()
    delta = logp.exp()
    delta[torch.arange(n), y] -= 1.0
    grad = Xd.T @ delta / n
    return loss.to(X.dtype), grad.to(W.dtype)
