"""HOSTILE: softmax recurses without end (RecursionError).

Expected: softmax fails with a RecursionError report, predict_proba
(correct, self-contained) passes, the checker exits 1.
"""
import torch


def softmax(x, dim=-1):
    return softmax(x - 0.0, dim=dim)


def predict_proba(X, W):
    z = X @ W
    z = z - z.max(dim=-1, keepdim=True).values
    e = z.exp()
    return e / e.sum(dim=-1, keepdim=True)
