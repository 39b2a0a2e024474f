# --- expect
# exercises = ["71"]
# verdict = "graded"
# zero = ["softmax"]
# passing = ["predict_proba"]
# leaves_nothing = true
# absent = ["/tmp/nlp100-adv-pwned_by_student", "/tmp/pwned_by_student"]
# why = "softmax returns an object whose __reduce__ runs 'touch /tmp/nlp100-adv-pwned_by_student' if unpickled: it fails, and the file never appears"
# ---
"""softmax returns an object whose unpickling would run a shell command.

Payload.__reduce__ asks pickle to call os.system('touch /tmp/nlp100-adv-pwned_by_student').
A checker that pickled the result in the worker and unpickled it in the
grader would run it.  Expected: that file never appears,
softmax fails (not a tensor), predict_proba (correct, self-contained)
passes, the checker exits 1.
"""
import os

import torch


class Payload:
    def __reduce__(self):
        return (os.system, ("touch /tmp/nlp100-adv-pwned_by_student",))

    def __reduce_ex__(self, protocol):
        return self.__reduce__()

    def __repr__(self):
        return "tensor([0.5, 0.5])"


def softmax(x, dim=-1):
    print("nlp100-adv: attack ran", flush=True)
    return Payload()


def predict_proba(X, W):
    z = X @ W
    z = z - z.max(dim=-1, keepdim=True).values
    e = z.exp()
    return e / e.sum(dim=-1, keepdim=True)
