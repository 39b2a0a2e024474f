# --- expect
# exercises = ["79"]
# failing = ["mlp_structure"]
# passing = []
# hint = "non-linearity"
# why = "no non-linearity between the layers"
# ---
"""One-bug training submission `mlp_no_nonlinearity`: made by make_bugs.py from packs/nlp100_ch08/solution.py."""
"""Reference submission for NLP 100 chapter 8, tasks 70–79 (a complete, correct answer).

Written the way a student would write it (hand-written softmax and
gradients, a plain PyTorch training loop), so that `check validate` can grade
it through every exercise and the README's first command can grade it as the
bundled example.  The thresholds of 73 and 79 are recorded from this file.
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
    shifted = x - x.max(dim=dim, keepdim=True).values
    e = shifted.exp()
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


# 73–78 ----------------------------------------------------------------------
import os  # noqa: E402

LEARNING_RATE = 0.01
MOMENTUM = 0.9


def build_model(d_in, n_classes):
    return torch.nn.Linear(d_in, n_classes, bias=False)


def _evaluate(model, X, y, device):
    model.eval()
    with torch.no_grad():
        logits = model(X.to(device))
        loss = torch.nn.functional.cross_entropy(logits, y.to(device)).item()
        acc = (logits.argmax(dim=1) == y.to(device)).float().mean().item()
    return loss, acc


def train(
    model, X_train, y_train, X_valid, y_valid, *, epochs, batch_size, device, checkpoint_dir=None, resume_from=None
):
    model.to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE, momentum=MOMENTUM)
    start = 0
    if resume_from is not None:
        state = torch.load(resume_from, weights_only=True, map_location=device)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        start = int(state["epoch"])
    loss_fn = torch.nn.CrossEntropyLoss()
    X_train, y_train = X_train.to(device), y_train.to(device)
    n = X_train.shape[0]
    history = []
    for epoch in range(start + 1, epochs + 1):
        model.train()
        order = torch.randperm(n, generator=torch.Generator().manual_seed(epoch)).to(device)
        for i in range(0, n, batch_size):
            idx = order[i : i + batch_size]
            optimizer.zero_grad()
            loss = loss_fn(model(X_train[idx]), y_train[idx])
            loss.backward()
            optimizer.step()
        train_loss, train_acc = _evaluate(model, X_train, y_train, device)
        valid_loss, valid_acc = _evaluate(model, X_valid, y_valid, device)
        history.append(
            {
                "epoch": epoch,
                "train_loss": train_loss,
                "train_acc": train_acc,
                "valid_loss": valid_loss,
                "valid_acc": valid_acc,
            }
        )
        if checkpoint_dir is not None:
            torch.save(
                {"epoch": epoch, "model": model.state_dict(), "optimizer": optimizer.state_dict()},
                os.path.join(checkpoint_dir, f"epoch_{epoch}.pt"),
            )
    return history


def accuracy(model, X, y):
    device = next(model.parameters()).device
    model.eval()
    with torch.no_grad():
        pred = model(X.to(device)).argmax(dim=1)
    return (pred == y.to(device)).float().mean().item()


def plot_history(history, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [r["epoch"] for r in history]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.5))
    ax1.plot(epochs, [r["train_loss"] for r in history], label="train")
    ax1.plot(epochs, [r["valid_loss"] for r in history], label="valid")
    ax1.set_xlabel("epoch")
    ax1.set_ylabel("loss")
    ax1.legend()
    ax2.plot(epochs, [r["train_acc"] for r in history], label="train")
    ax2.plot(epochs, [r["valid_acc"] for r in history], label="valid")
    ax2.set_xlabel("epoch")
    ax2.set_ylabel("accuracy")
    ax2.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


# 79 -------------------------------------------------------------------------
def build_mlp(d_in, n_classes):
    return torch.nn.Sequential(
        torch.nn.Linear(d_in, 128),
        # BUG: no non-linearity between the layers
        torch.nn.Linear(128, n_classes),
    )
