# --- expect
# exercises = ["71"]
# verdict = "graded"
# zero = ["softmax"]
# passing = ["predict_proba"]
# leaves_nothing = true
# requires = ["private-files"]
# why = "reads /proc/PID/environ of its parent and of every visible process of this harness, and prints what mentions NLP100"
# ---
"""Reads the environment of other processes; the grader's holds the test canary (only this harness's processes
are read: on a shared machine a regression must not print anyone else's environment)."""
import os
import sys

import torch

_done = False


def _ours(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return b"tests/adversarial" in f.read()
    except OSError:
        return False


def _attack():
    print("nlp100-adv: attack ran", flush=True)
    seen = 0
    pids = {str(os.getppid())} | {p for p in os.listdir("/proc") if p.isdigit() and _ours(p)}
    for pid in sorted(pids):
        if pid == str(os.getpid()):
            continue
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                env = f.read().split(b"\0")
        except OSError:
            continue
        seen += 1
        for kv in env:
            if b"NLP100" in kv:
                print(pid, kv.decode("utf-8", "replace"), flush=True)
                print(pid, kv.decode("utf-8", "replace"), file=sys.stderr, flush=True)
    print("environments read:", seen, flush=True)


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
