# --- expect
# exercises = ["71"]
# verdict = "graded"
# zero = ["softmax"]
# passing = ["predict_proba"]
# leaves_nothing = true
# why = "softmax calls sys.exit(0) (an error, not a pass); predict_proba is correct and self-contained"
# ---
"""softmax calls sys.exit(0); predict_proba is correct and self-contained.

Expected: softmax fails (SystemExit is an error, not a pass), predict_proba
passes, the checker exits 1.
"""
import sys

import torch


def softmax(x, dim=-1):
    print("nlp100-adv: attack ran", flush=True)
    sys.exit(0)


def predict_proba(X, W):
    z = X @ W
    z = z - z.max(dim=-1, keepdim=True).values
    e = z.exp()
    return e / e.sum(dim=-1, keepdim=True)
