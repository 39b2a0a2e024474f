# --- expect
# exercises = ["71"]
# verdict = "passed"
# zero = []
# passing = ["softmax", "predict_proba"]
# leaves_nothing = true
# output_truncated = true
# output_bytes_at_least = 104857600
# why = "softmax prints 100 MB to stdout on its first call, then returns a correct result: the output is cut and counted, both items pass"
# ---
"""softmax prints 100 MB to stdout (1 MB chunks) and then returns a correct result.

Only the first call floods; later calls just compute.  Expected: the checker keeps draining and cuts the
captured output (nothing printed is read as a result), counts every byte, and both items pass.
"""
import sys

import torch

_CHUNK = ("x" * 1023 + "\n") * 1024  # 1 MiB
_done = False


def softmax(x, dim=-1):
    global _done
    if not _done:
        _done = True
        print("nlp100-adv: attack ran", flush=True)
        for _ in range(100):
            sys.stdout.write(_CHUNK)
        sys.stdout.flush()
    shifted = x - x.max(dim=dim, keepdim=True).values
    e = shifted.exp()
    return e / e.sum(dim=dim, keepdim=True)


def predict_proba(X, W):
    z = X @ W
    z = z - z.max(dim=-1, keepdim=True).values
    e = z.exp()
    return e / e.sum(dim=-1, keepdim=True)
