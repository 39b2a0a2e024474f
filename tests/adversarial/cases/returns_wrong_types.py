# --- expect
# exercises = ["71"]
# verdict = "graded"
# zero = ["softmax", "predict_proba"]
# passing = []
# leaves_nothing = true
# counterexample = ["softmax", "predict_proba"]
# why = "right values, wrong types: softmax returns a list, predict_proba a numpy array; both fail"
# ---
"""An honest mistake: right values, wrong types.

softmax returns a (nested) list of Python floats; predict_proba returns a
numpy.ndarray.  The contract requires torch.Tensor results.  Expected:
both items fail with a message naming the type, the checker exits 1.
"""
import numpy as np
import torch

print("nlp100-adv: attack ran", flush=True)


def softmax(x, dim=-1):
    shifted = x - x.max(dim=dim, keepdim=True).values
    e = shifted.exp()
    return (e / e.sum(dim=dim, keepdim=True)).tolist()


def predict_proba(X, W):
    z = (X @ W).numpy()
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)
