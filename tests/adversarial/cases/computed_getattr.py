# --- expect
# exercises = ["71"]
# verdict = "graded"
# zero = ["softmax"]
# passing = ["predict_proba"]
# leaves_nothing = true
# messages = { softmax = "getattr" }
# why = "softmax calls torch.softmax through getattr with a computed name (the old static rule saw only literal names)"
# ---
"""softmax reaches a forbidden call through ``getattr(torch, "soft" + "max")``; its values are right."""
import torch


def softmax(x, dim=-1):
    print("nlp100-adv: attack ran", flush=True)
    fn = getattr(torch, "soft" + "max")  # HOSTILE: a forbidden call behind a computed name
    return fn(x, dim)


def predict_proba(X, W):
    z = X @ W
    z = z - z.max(dim=-1, keepdim=True).values
    e = z.exp()
    return e / e.sum(dim=-1, keepdim=True)
