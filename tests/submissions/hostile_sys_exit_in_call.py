"""HOSTILE: softmax calls sys.exit(0); predict_proba is correct and self-contained.

Expected: softmax fails (SystemExit is an error, not a pass), predict_proba
passes, the checker exits 1.
"""
import sys

import torch


def softmax(x, dim=-1):
    sys.exit(0)


def predict_proba(X, W):
    z = X @ W
    z = z - z.max(dim=-1, keepdim=True).values
    e = z.exp()
    return e / e.sum(dim=-1, keepdim=True)
