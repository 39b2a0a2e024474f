# --- expect
# exercises = ["71"]
# verdict = "graded"
# zero = ["softmax"]
# passing = ["predict_proba"]
# leaves_nothing = true
# why = "softmax never returns (a busy loop): it times out, predict_proba passes in a replacement worker"
# ---
"""softmax never returns (busy loop); predict_proba is correct and self-contained.

Expected: softmax times out, predict_proba passes (after the checker
replaces the stuck worker), the checker exits 1 within its time limits.
"""
import torch


def softmax(x, dim=-1):
    print("nlp100-adv: attack ran", flush=True)
    while True:
        pass


def predict_proba(X, W):
    z = X @ W
    z = z - z.max(dim=-1, keepdim=True).values
    e = z.exp()
    return e / e.sum(dim=-1, keepdim=True)
