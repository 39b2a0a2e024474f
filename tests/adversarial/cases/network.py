# --- expect
# exercises = ["71"]
# verdict = "passed"
# zero = []
# passing = ["softmax", "predict_proba"]
# leaves_nothing = true
# why = "softmax tries TCP to 1.1.1.1:80 and 127.0.0.1:22 (1 s timeouts) on its first call, errors swallowed, then returns a correct result: both pass within the time limits"
# ---
"""softmax tries to open network connections, swallowing errors, then returns a correct result.

On its first call it tries TCP connections to 1.1.1.1:80 and 127.0.0.1:22
with a 1-second timeout each (and, if one connects, sends a line).
Expected: no connection succeeds from the sandbox; softmax and
predict_proba both pass (their results are correct) within the time limits.
"""
import socket

import torch

_done = False


def _probe():
    for host, port in (("1.1.1.1", 80), ("127.0.0.1", 22)):
        try:
            with socket.create_connection((host, port), timeout=1.0) as s:
                s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        except BaseException:  # noqa: BLE001
            pass


def softmax(x, dim=-1):
    global _done
    if not _done:
        _done = True
        print("nlp100-adv: attack ran", flush=True)
        _probe()
    shifted = x - x.max(dim=dim, keepdim=True).values
    e = shifted.exp()
    return e / e.sum(dim=dim, keepdim=True)


def predict_proba(X, W):
    z = X @ W
    z = z - z.max(dim=-1, keepdim=True).values
    e = z.exp()
    return e / e.sum(dim=-1, keepdim=True)
