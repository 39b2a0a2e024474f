# --- expect
# exercises = ["71"]
# verdict = "graded"
# zero = ["softmax"]
# passing = ["predict_proba"]
# leaves_nothing = true
# why = "softmax recurses forever (RecursionError); predict_proba passes"
# ---
"""softmax recurses without end (RecursionError).

Expected: softmax fails with a RecursionError report, predict_proba
(correct, self-contained) passes, the checker exits 1.
"""
import torch


_depth = 0


def softmax(x, dim=-1):
    global _depth
    if _depth == 0:
        print("nlp100-adv: attack ran", flush=True)
    _depth += 1
    return softmax(x - 0.0, dim=dim)


def predict_proba(X, W):
    z = X @ W
    z = z - z.max(dim=-1, keepdim=True).values
    e = z.exp()
    return e / e.sum(dim=-1, keepdim=True)
