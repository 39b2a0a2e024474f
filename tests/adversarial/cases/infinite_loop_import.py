# --- expect
# exercises = ["71"]
# verdict = "graded"
# zero = ["softmax", "predict_proba"]
# passing = []
# leaves_nothing = true
# why = "an endless loop at import: the load times out, both items fail"
# ---
"""An endless busy loop at import time.

The functions are correct but the import never finishes.  Expected: the
load times out, both items fail, the checker exits 1.
"""
import torch


def softmax(x, dim=-1):
    shifted = x - x.max(dim=dim, keepdim=True).values
    e = shifted.exp()
    return e / e.sum(dim=dim, keepdim=True)


def predict_proba(X, W):
    z = X @ W
    z = z - z.max(dim=-1, keepdim=True).values
    e = z.exp()
    return e / e.sum(dim=-1, keepdim=True)


print("nlp100-adv: attack ran", flush=True)
while True:
    pass
