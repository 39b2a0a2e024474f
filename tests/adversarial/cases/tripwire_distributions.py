# --- expect
# exercises = ["71"]
# verdict = "graded"
# zero = ["softmax"]
# passing = ["predict_proba"]
# leaves_nothing = true
# messages = { softmax = "softmax" }
# why = "softmax lets torch.distributions call F.softmax: the static rule sees nothing, the runtime tripwire sees the call"
# ---
"""torch.distributions computes the softmax (F.softmax) for softmax; the text names no forbidden call."""
import torch


def softmax(x, dim=-1):
    print("nlp100-adv: attack ran", flush=True)
    return torch.distributions.Categorical(logits=x.movedim(dim, -1)).probs.movedim(-1, dim)


def predict_proba(X, W):
    z = X @ W
    z = z - z.max(dim=-1, keepdim=True).values
    e = z.exp()
    return e / e.sum(dim=-1, keepdim=True)
