# --- expect
# exercises = ["71"]
# verdict = "graded"
# zero = ["softmax", "predict_proba"]
# passing = []
# leaves_nothing = true
# attack_runs = false
# why = "an unclosed parenthesis in predict_proba: the file cannot be compiled (nothing of it runs), both items fail"
# ---
"""An honest mistake: a syntax error (an unclosed parenthesis in predict_proba).

Both functions are defined textually before the error.  Expected: both
items fail with a message giving the line of the syntax error, the checker
exits 1 (never 2, never a traceback of the checker).
"""
import torch


def softmax(x, dim=-1):
    shifted = x - x.max(dim=dim, keepdim=True).values
    e = shifted.exp()
    return e / e.sum(dim=dim, keepdim=True)


def predict_proba(X, W):
    z = X @ W
    return softmax(z, dim=-1


def unused():
    return 0
