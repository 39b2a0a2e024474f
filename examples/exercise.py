"""An example submission for NLP 100 chapter 8 (tasks 70–79), as a student might write it.

Grade it with:  check submit examples/exercise.py
(or one exercise:  check submit examples/exercise.py --exercise 71)
"""

import os

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


# 70: features ---------------------------------------------------------------
def featurize(titles, vectors):
    dim = len(next(iter(vectors.values())))
    rows = []
    for words in titles:
        found = [vectors[w] for w in words if w in vectors]
        rows.append(np.mean(found, axis=0) if found else np.zeros(dim))
    return torch.tensor(np.array(rows), dtype=torch.float32).reshape(len(titles), dim)


# 71: softmax and prediction ---------------------------------------------------
def softmax(x, dim=-1):
    return torch.exp(x - torch.logsumexp(x, dim=dim, keepdim=True))


def predict_proba(X, W):
    return softmax(X @ W, dim=-1)


# 72: loss and gradients -------------------------------------------------------
def cross_entropy(logits, y):
    log_p = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    return -log_p[torch.arange(len(y)), y].mean()


def linear_forward(x, W, b=None):
    return x @ W if b is None else x @ W + b


def linear_backward(grad_y, x, W):
    return grad_y @ W.T, x.T @ grad_y, grad_y.sum(0)


def softmax_cross_entropy_backward(logits, y):
    one_hot = nn.functional.one_hot(y, logits.shape[1]).to(logits.dtype)
    return (softmax(logits, dim=1) - one_hot) / logits.shape[0]


def loss_and_grad(X, y, W):
    W = W.detach().clone().requires_grad_(True)
    loss = cross_entropy(X @ W, y)
    loss.backward()
    return loss.detach(), W.grad


# 73–78: training ----------------------------------------------------------------
class SingleLayer(nn.Module):
    def __init__(self, d_in, n_classes):
        super().__init__()
        self.fc = nn.Linear(d_in, n_classes, bias=False)

    def forward(self, x):
        return self.fc(x)


def build_model(d_in, n_classes):
    return SingleLayer(d_in, n_classes)


def _measure(model, X, y, loss_fn):
    model.eval()
    with torch.no_grad():
        out = model(X)
        return loss_fn(out, y).item(), (out.argmax(1) == y).float().mean().item()


def train(
    model, X_train, y_train, X_valid, y_valid, *, epochs, batch_size, device, checkpoint_dir=None, resume_from=None
):
    model = model.to(device)
    X_train, y_train = X_train.to(device), y_train.to(device)
    X_valid, y_valid = X_valid.to(device), y_valid.to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = nn.CrossEntropyLoss()
    first = 1
    if resume_from:
        ckpt = torch.load(resume_from, map_location=device, weights_only=True)
        model.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["optimizer"])
        first = ckpt["epoch"] + 1
    history = []
    for epoch in range(first, epochs + 1):
        torch.manual_seed(epoch)  # the same shuffle whether or not the run was resumed
        loader = DataLoader(TensorDataset(X_train, y_train), batch_size=batch_size, shuffle=True)
        model.train()
        for xb, yb in loader:
            opt.zero_grad()
            loss_fn(model(xb), yb).backward()
            opt.step()
        train_loss, train_acc = _measure(model, X_train, y_train, loss_fn)
        valid_loss, valid_acc = _measure(model, X_valid, y_valid, loss_fn)
        history.append(
            dict(epoch=epoch, train_loss=train_loss, train_acc=train_acc, valid_loss=valid_loss, valid_acc=valid_acc)
        )
        if checkpoint_dir:
            torch.save(
                {"epoch": epoch, "model": model.state_dict(), "optimizer": opt.state_dict()},
                os.path.join(checkpoint_dir, f"epoch_{epoch}.pt"),
            )
    return history


def accuracy(model, X, y):
    device = next(model.parameters()).device
    model.eval()
    with torch.no_grad():
        return (model(X.to(device)).argmax(1) == y.to(device)).float().mean().item()


def plot_history(history, path):
    import matplotlib.pyplot as plt

    epochs = [h["epoch"] for h in history]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, metric in zip(axes, ["loss", "acc"]):
        for split in ["train", "valid"]:
            ax.plot(epochs, [h[f"{split}_{metric}"] for h in history], marker="o", label=split)
        ax.set_title(metric)
        ax.set_xlabel("epoch")
        ax.legend()
    fig.savefig(path)
    plt.close(fig)


# 79: a multi-layer network --------------------------------------------------------
class MLP(nn.Module):
    def __init__(self, d_in, n_classes, hidden=64):
        super().__init__()
        self.hidden = nn.Linear(d_in, hidden)
        self.out = nn.Linear(hidden, n_classes)

    def forward(self, x):
        return self.out(torch.relu(self.hidden(x)))


def build_mlp(d_in, n_classes):
    return MLP(d_in, n_classes)
