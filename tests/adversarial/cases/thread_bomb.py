# --- expect
# exercises = ["71"]
# verdict = "graded"
# zero = ["softmax"]
# passing = ["predict_proba"]
# leaves_nothing = true
# output_contains = ["THREADS-CAPPED"]
# why = "starts 2000 sleeping threads: threads count against the same process cap"
# ---
"""Thread bomb: as many sleeping threads as it can start, up to 2000."""
import threading
import time

import torch

_done = False


def _attack():
    print("nlp100-adv: attack ran", flush=True)
    ok = 0
    for _ in range(2000):
        try:
            threading.Thread(target=time.sleep, args=(300,), daemon=True).start()
        except (RuntimeError, MemoryError):
            break
        ok += 1
    print("THREADS-CAPPED" if ok < 2000 else "THREADS-UNCAPPED", ok, flush=True)


def softmax(x, dim=-1):
    global _done
    if not _done:
        _done = True
        _attack()
    return torch.zeros_like(x)


def predict_proba(X, W):
    z = X @ W
    e = (z - z.amax(dim=-1, keepdim=True)).exp()
    return e / e.sum(dim=-1, keepdim=True)
