# --- expect
# kind = "correct"
# exercises = ["70", "71", "72"]
# failing = []
# passing = ["featurize", "softmax", "predict_proba", "cross_entropy", "linear_forward", "linear_backward", "softmax_cross_entropy_backward", "loss_and_grad"]
# exit = 0
# why = "Aliased imports (torch as T, torch.nn.functional as F) used only for allowed calls; predict_proba calls the student's own softmax and cross_entropy a student helper named log_softmax."
# ---
"""NLP-100 chapter 8, tasks 70-72: correct, written with aliases and helpers.

Uses `import torch as T` and `import torch.nn.functional as F`, but only for
allowed calls (F.one_hot, scatter, gather, logsumexp).  predict_proba calls the
student's own `softmax`, and cross_entropy calls a student-defined helper
that happens to be named `log_softmax` -- neither is a forbidden call.
"""
import torch as T
import torch.nn.functional as F
from torch import Tensor


def featurize(titles: list[list[str]], vectors: dict) -> Tensor:
    dim = 0
    for v in vectors.values():
        dim = int(v.shape[0])
        break
    rows = []
    for title in titles:
        vs = [T.as_tensor(vectors[tok], dtype=T.float32) for tok in title if tok in vectors]
        rows.append(T.stack(vs).mean(0) if vs else T.zeros(dim, dtype=T.float32))
    if not rows:
        return T.zeros((0, dim), dtype=T.float32)
    return T.stack(rows)


def softmax(x: Tensor, dim: int = -1) -> Tensor:
    m = T.amax(x, dim=dim, keepdim=True)
    num = T.exp(T.sub(x, m))
    return T.div(num, T.sum(num, dim=dim, keepdim=True))


def predict_proba(X: Tensor, W: Tensor) -> Tensor:
    return softmax(T.matmul(X, W), dim=-1)


def log_softmax(z: Tensor) -> Tensor:
    """The student's own helper: log-probabilities along the last dim."""
    return z - T.logsumexp(z, dim=-1, keepdim=True)


def cross_entropy(logits: Tensor, y: Tensor) -> Tensor:
    logp = log_softmax(logits)
    return -T.gather(logp, 1, y.view(-1, 1)).mean()


def linear_forward(x: Tensor, W: Tensor, b: Tensor | None = None) -> Tensor:
    return x @ W if b is None else T.addmm(b.expand(x.shape[0], -1), x, W)


def linear_backward(grad_y: Tensor, x: Tensor, W: Tensor):
    return T.mm(grad_y, W.t()), T.mm(x.t(), grad_y), T.einsum("nl->l", grad_y)


def _one_hot(y: Tensor, like: Tensor) -> Tensor:
    return F.one_hot(y, num_classes=like.shape[1]).to(like.dtype)


def softmax_cross_entropy_backward(logits: Tensor, y: Tensor) -> Tensor:
    target = T.zeros_like(logits).scatter(1, y.unsqueeze(1), 1.0)
    return (softmax(logits, dim=1) - target) / logits.shape[0]


def loss_and_grad(X: Tensor, y: Tensor, W: Tensor):
    logits = X @ W
    loss = cross_entropy(logits, y)
    delta = (softmax(logits, 1) - _one_hot(y, logits)) / X.shape[0]
    return loss, X.t() @ delta
