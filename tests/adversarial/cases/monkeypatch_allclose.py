# --- expect
# exercises = ["71"]
# verdict = "graded"
# zero = ["softmax", "predict_proba"]
# passing = []
# leaves_nothing = true
# messages = { predict_proba = "reaches into the checker's own process" }
# counterexample = ["softmax"]
# why = "patches torch.allclose/isclose/equal/testing.assert_close to always agree; softmax returns zeros and must still fail, and the assignments to torch's attributes are tampering: the worker's claims (no_inplace) are not believed, so the correct predict_proba fails too"
# ---
"""At import, makes torch's comparison functions always agree, and softmax is WRONG.

torch.allclose, torch.isclose, torch.equal, torch.testing.assert_close (and
numpy/math look-alikes) are replaced with functions that always report
"close".  softmax returns zeros.  A checker that compared results inside
the submission's process would be fooled; this one must not be.
Expected: softmax fails on its values; predict_proba (correct, self-contained)
fails too, as the file reaches into the checker's process (the tampering
scan of the hand-written rule: the worker's claims are not believed); exit 1.
"""
import math

import numpy as np
import torch
import torch.testing


def _true(*args, **kwargs):
    return True


def _none(*args, **kwargs):
    return None


def _all_true(a, b=None, *args, **kwargs):
    return torch.ones_like(torch.as_tensor(a), dtype=torch.bool)


print("nlp100-adv: attack ran", flush=True)
torch.allclose = _true
torch.equal = _true
torch.isclose = _all_true
torch.testing.assert_close = _none
torch.testing.assert_allclose = _none
torch.Tensor.allclose = _true
torch.Tensor.equal = _true
np.allclose = _true
np.array_equal = _true
np.testing.assert_allclose = _none
np.testing.assert_array_equal = _none
math.isclose = _true


def softmax(x, dim=-1):
    return torch.zeros_like(x)


def predict_proba(X, W):
    z = X @ W
    z = z - z.max(dim=-1, keepdim=True).values
    e = z.exp()
    return e / e.sum(dim=-1, keepdim=True)
