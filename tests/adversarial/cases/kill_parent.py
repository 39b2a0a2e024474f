# --- expect
# exercises = ["71"]
# verdict = "graded"
# zero = ["softmax"]
# passing = ["predict_proba"]
# leaves_nothing = true
# requires = ["signal-scope"]
# why = "SIGKILLs its parent, the parent's process group, and every visible process grading an adversarial case"
# ---
"""Kills the grader: os.kill(os.getppid(), 9), os.killpg of the parent's group, and every process it sees grading
an adversarial case (only those: on a shared machine a regression must not kill anyone else's processes)."""
import os
import signal

import torch

_done = False


def _attack():
    print("nlp100-adv: attack ran", flush=True)
    tried = []
    for fn, arg in ((os.kill, os.getppid()), (os.killpg, None)):
        try:
            if fn is os.killpg:
                arg = os.getpgid(os.getppid())
                if arg == os.getpgid(0):
                    continue
            fn(arg, signal.SIGKILL)
            tried.append(f"{fn.__name__}({arg}) ok")
        except OSError as e:
            tried.append(f"{fn.__name__}({arg}) {type(e).__name__}")
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if b"tests/adversarial/cases" in f.read() and int(pid) != os.getpid():
                    os.kill(int(pid), signal.SIGKILL)
                    tried.append(f"kill({pid}) ok")
        except (OSError, ValueError):
            pass
    print(tried, flush=True)


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
