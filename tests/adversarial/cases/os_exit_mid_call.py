# --- expect
# exercises = ["71"]
# verdict = "graded"
# zero = ["predict_proba"]
# passing = ["softmax"]
# leaves_nothing = true
# why = "predict_proba kills its process with os._exit(0) after a partial line on stdout; softmax is correct"
# ---
"""predict_proba computes its result, then kills its process with os._exit(0).

softmax is correct.  Expected: softmax passes, predict_proba fails (the
worker dies mid-call and must be replaced, or the item reported as an
error), the checker exits 1.
"""
import os
import sys

import torch


def softmax(x, dim=-1):
    shifted = x - x.max(dim=dim, keepdim=True).values
    e = shifted.exp()
    return e / e.sum(dim=dim, keepdim=True)


def predict_proba(X, W):
    z = X @ W
    z = z - z.max(dim=-1, keepdim=True).values
    e = z.exp()
    p = e / e.sum(dim=-1, keepdim=True)
    print("nlp100-adv: attack ran", flush=True)
    sys.stdout.write('{"half": "a partial line with no newline')
    sys.stdout.flush()
    os._exit(0)
    return p
