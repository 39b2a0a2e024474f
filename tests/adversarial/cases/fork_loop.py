# --- expect
# exercises = ["71"]
# verdict = "passed"
# zero = []
# passing = ["softmax", "predict_proba"]
# leaves_nothing = true
# why = "softmax forks up to 1000 children that sleep 30 s, for 3 s on its first call, fork errors swallowed, then returns a correct result: both pass if the sandbox contains it, and no child outlives the grading"
# ---
"""softmax forks in a loop (children sleep), swallowing fork errors, then returns a correct result.

On its first call only, softmax keeps calling os.fork() for FORK_SECONDS
(at most MAX_FORKS children); each child sleeps CHILD_SLEEP_S seconds and
exits, fork errors (EAGAIN under a process limit) are ignored.  Later calls
just compute.  The children keep the worker's inherited file descriptors
(pipes included) open while they sleep.  Expected: the sandbox's process
limit contains it, the checker neither hangs nor leaves the children
behind, softmax and predict_proba both pass (their results are correct).
The caps keep the file from taking down an unsandboxed development machine.
"""
import os
import time

import torch

FORK_SECONDS = 3.0
MAX_FORKS = 1000
CHILD_SLEEP_S = 30.0
_done = False


def _fork_loop():
    started = time.monotonic()
    forks = 0
    while time.monotonic() - started < FORK_SECONDS and forks < MAX_FORKS:
        try:
            pid = os.fork()
        except OSError:
            time.sleep(0.01)
            continue
        if pid == 0:
            try:
                time.sleep(CHILD_SLEEP_S)
            finally:
                os._exit(0)
        forks += 1
    return forks


def softmax(x, dim=-1):
    global _done
    if not _done:
        _done = True
        print("nlp100-adv: attack ran", flush=True)
        try:
            _fork_loop()
        except BaseException:
            pass
    shifted = x - x.max(dim=dim, keepdim=True).values
    e = shifted.exp()
    return e / e.sum(dim=dim, keepdim=True)


def predict_proba(X, W):
    z = X @ W
    z = z - z.max(dim=-1, keepdim=True).values
    e = z.exp()
    return e / e.sum(dim=-1, keepdim=True)
