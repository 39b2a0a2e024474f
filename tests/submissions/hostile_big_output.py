"""HOSTILE: softmax prints 100 MB to stdout (1 MB chunks) and then returns a correct result.

Only the first call floods; later calls just compute.  Expected: the
checker keeps draining and cuts the captured output (nothing printed is
read as a result), its own stdout stays one JSON object, softmax and
predict_proba both pass.
"""
import sys

import torch

_CHUNK = ("x" * 1023 + "\n") * 1024  # 1 MiB
_done = False


def softmax(x, dim=-1):
    global _done
    if not _done:
        _done = True
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
