# --- expect
# exercises = ["71"]
# verdict = "graded"
# zero = ["softmax", "predict_proba"]
# passing = []
# leaves_nothing = true
# messages = { softmax = "scipy", predict_proba = "scipy" }
# why = "imports scipy at top level: the checker says module 'scipy' is not available, both items fail"
# ---
"""An honest mistake: imports scipy, which the grader does not provide.

scipy may well be installed where the checker runs; it is still not on the
allowed list (stdlib, torch, numpy, matplotlib).  Expected: the import
fails with a message naming 'scipy', both items fail, the checker exits 1.
"""
import torch

print("nlp100-adv: attack ran", flush=True)
from scipy.special import logsumexp


def softmax(x, dim=-1):
    shifted = x - x.max(dim=dim, keepdim=True).values
    e = shifted.exp()
    return e / e.sum(dim=dim, keepdim=True)


def predict_proba(X, W):
    z = X @ W
    z = z - z.max(dim=-1, keepdim=True).values
    e = z.exp()
    return e / e.sum(dim=-1, keepdim=True)
