"""HOSTILE: softmax never returns (busy loop); predict_proba is correct and self-contained.

Expected: softmax times out, predict_proba passes (after the checker
replaces the stuck worker), the checker exits 1 within its time limits.
"""
import torch


def softmax(x, dim=-1):
    while True:
        pass


def predict_proba(X, W):
    z = X @ W
    z = z - z.max(dim=-1, keepdim=True).values
    e = z.exp()
    return e / e.sum(dim=-1, keepdim=True)
