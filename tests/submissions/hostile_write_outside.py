"""HOSTILE: softmax tries to write files outside its sandbox, swallowing errors, then returns a correct result.

On its first call it tries to create a file named escape_marker in
/tmp, in the home directory, and in every directory it can guess for the
checker (the worker's script directory, sys.argv[0], __main__, loaded
modules named wire/worker/checker, the parents of this file).  Expected:
none of these files appears on the grading machine outside the sandbox;
softmax and predict_proba both pass (their results are correct).
"""
import os
import sys

import torch

MARKER = "escape_marker"
_done = False


def _targets():
    dirs = ["/tmp", os.path.expanduser("~"), os.environ.get("HOME", "")]
    for path in (sys.argv[0] if sys.argv else "", getattr(sys.modules.get("__main__"), "__file__", None)):
        if path:
            dirs.append(os.path.dirname(os.path.abspath(path)))
    for name, mod in list(sys.modules.items()):
        if any(k in name for k in ("wire", "worker", "checker", "nlp100")):
            f = getattr(mod, "__file__", None)
            if f:
                d = os.path.dirname(os.path.abspath(f))
                dirs += [d, os.path.dirname(d)]
    here = os.path.dirname(os.path.abspath(__file__))
    dirs += [os.path.dirname(here), os.path.dirname(os.path.dirname(here))]
    seen = []
    for d in dirs:
        if d and d not in seen:
            seen.append(d)
    return seen


def _escape():
    for d in _targets():
        try:
            with open(os.path.join(d, MARKER), "w") as f:
                f.write("written by hostile_write_outside.py\n")
        except BaseException:  # noqa: BLE001
            pass


def softmax(x, dim=-1):
    global _done
    if not _done:
        _done = True
        try:
            _escape()
        except BaseException:  # noqa: BLE001
            pass
    shifted = x - x.max(dim=dim, keepdim=True).values
    e = shifted.exp()
    return e / e.sum(dim=dim, keepdim=True)


def predict_proba(X, W):
    z = X @ W
    z = z - z.max(dim=-1, keepdim=True).values
    e = z.exp()
    return e / e.sum(dim=-1, keepdim=True)
