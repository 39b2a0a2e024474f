# --- expect
# exercises = ["71"]
# verdict = "passed"
# zero = []
# passing = ["softmax", "predict_proba"]
# leaves_nothing = true
# output_contains = ["nlp100-adv: printed without flush"]
# why = "a correct submission whose only output is a print() without flush: it must be in the report"
# ---
"""Prints without flushing (stdout is a pipe: block-buffered), otherwise correct."""
_done = False


def softmax(x, dim=-1):
    global _done
    if not _done:
        _done = True
        print("nlp100-adv: attack ran")
        print("nlp100-adv: printed without flush")
    e = (x - x.amax(dim=dim, keepdim=True)).exp()
    return e / e.sum(dim=dim, keepdim=True)


def predict_proba(X, W):
    z = X @ W
    e = (z - z.amax(dim=-1, keepdim=True)).exp()
    return e / e.sum(dim=-1, keepdim=True)
