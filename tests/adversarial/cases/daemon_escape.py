# --- expect
# exercises = ["71"]
# verdict = "graded"
# zero = ["softmax"]
# passing = ["predict_proba"]
# leaves_nothing = true
# requires = ["process-tracking"]
# why = "a daemon that setsid()s and double-forks to leave the worker's session, process group and tree, then outlive it"
# ---
"""Daemon: setsid + double fork + exec of a long sleeper that carries the case's marker."""
import os
import sys
import time

import torch

MARKER = "nlp100-adv-daemon_escape"
_done = False


def _attack():
    print("nlp100-adv: attack ran", flush=True)
    for _ in range(3):
        pid = os.fork()
        if pid == 0:
            os.setsid()
            if os.fork() == 0:
                os.closerange(0, 1024)
                os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(300)", MARKER])
            os._exit(0)
        os.waitpid(pid, 0)
    time.sleep(0.5)


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
