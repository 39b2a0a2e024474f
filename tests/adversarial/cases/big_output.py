# --- expect
# exercises = ["71"]
# verdict = "graded"
# zero = ["softmax"]
# passing = ["predict_proba"]
# leaves_nothing = true
# output_truncated = true
# why = "writes 1 GB to stdout: the grader keeps the first 64 KB, drains the rest, and is neither blocked nor flooded"
# ---
"""1 GB of output."""
import os

import torch

_done = False


def _attack():
    print("nlp100-adv: attack ran", flush=True)
    block = b"y" * (1 << 20)
    for _ in range(1024):
        os.write(1, block)


def softmax(x, dim=-1):
    global _done
    if not _done:
        _done = True
        _attack()
    return torch.zeros_like(x)


def predict_proba(X, W):
    z = X @ W
    e = (z - z.amax(dim=-1, keepdim=True)).exp()
    return e / e.sum(dim=-1, keepdim=True)
