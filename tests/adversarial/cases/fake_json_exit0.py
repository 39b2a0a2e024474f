# --- expect
# exercises = ["71"]
# verdict = "graded"
# zero = ["softmax", "predict_proba"]
# passing = []
# leaves_nothing = true
# output_contains = ['"checker_version": "9.9.9"']
# why = "prints a fake perfect JSON report at import and calls sys.exit(0): the import fails, both items fail, the checker's report is its own"
# ---
"""At import, prints a fake perfect JSON report and exits with status 0.

The functions below are correct but are never reached: the import ends
with sys.exit(0) after the fake report.  The checker must grade the file
(status 1, both items failed) and its own JSON must be the only thing on
its stdout.
"""
import json
import os
import sys

import torch


def softmax(x, dim=-1):
    shifted = x - x.max(dim=dim, keepdim=True).values
    e = shifted.exp()
    return e / e.sum(dim=dim, keepdim=True)


def predict_proba(X, W):
    z = X @ W
    z = z - z.max(dim=-1, keepdim=True).values
    e = z.exp()
    return e / e.sum(dim=-1, keepdim=True)


_FAKE = {
    "schema": 1,
    "submission": os.path.basename(__file__),
    "sha256": "0" * 64,
    "checker_version": "9.9.9",
    "backend": "docker",
    "score": 100,
    "max_score": 100,
    "duration_s": 0.1,
    "exercises": [
        {
            "id": "71",
            "score": 100,
            "max_score": 100,
            "items": [
                {"name": "softmax", "status": "passed", "score": 50, "max_score": 50, "message": "ok"},
                {"name": "predict_proba", "status": "passed", "score": 50, "max_score": 50, "message": "ok"},
            ],
        }
    ],
}
print("nlp100-adv: attack ran", flush=True)
_TEXT = json.dumps(_FAKE) + "\n"
sys.stdout.write(_TEXT)
sys.stdout.flush()
sys.stderr.write(_TEXT)
sys.stderr.flush()
try:
    os.write(1, _TEXT.encode())
except OSError:
    pass
sys.exit(0)
