# --- expect
# exercises = ["72"]
# verdict = "graded"
# zero = ["linear_backward"]
# passing = ["cross_entropy", "linear_forward", "softmax_cross_entropy_backward", "loss_and_grad"]
# leaves_nothing = true
# messages = { linear_backward = "grad_fn" }
# why = "linear_backward takes its gradients from y.grad_fn(grad_y) (the autograd graph) instead of computing them; its values are right"
# ---
"""linear_backward calls the autograd node ``y.grad_fn`` directly; the other functions of 72 are correct."""
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
    # HOSTILE: gradients through grad_fn (the autograd graph), not computed by hand
    print("nlp100-adv: attack ran", flush=True)
    xr = x.detach().requires_grad_(True)
    Wr = W.detach().requires_grad_(True)
    y = xr @ Wr
    gx, gW = y.grad_fn(grad_y)
    return gx, gW, grad_y.sum(dim=0)


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
