# --- expect
# exercises = ["71"]
# verdict = "graded"
# zero = ["softmax"]
# passing = ["predict_proba"]
# leaves_nothing = true
# alone = true
# requires = ["memory-cgroup"]
# max_shmem_growth_mb = 2300
# why = "fills /dev/shm, then memfds, towards 3 GB: pages the address-space rlimit does not count; the memory cgroup (2048 MB) stops it"
# ---
"""Shared memory beyond the memory limit: /dev/shm files first, then memfds (each below the file-size rlimit)."""
import os

import torch

_done = False
BLOCK = b"x" * (1 << 20)


def _fill_shm(budget):
    written = 0
    try:
        for i in range(budget // 64):
            with open(f"/dev/shm/nlp100-adv-shm-{os.getpid()}-{i}", "wb") as f:
                for _ in range(64):
                    f.write(BLOCK)
            written += 64
    except OSError as e:
        print(f"/dev/shm stopped after {written} MB: {type(e).__name__}", flush=True)
    return written


def _fill_memfd(budget):
    fds, written = [], 0
    while written < budget:
        fd = os.memfd_create("nlp100-adv")
        fds.append(fd)
        for _ in range(64):
            os.write(fd, BLOCK)
        written += 64
    return fds


def _attack():
    print("nlp100-adv: attack ran", flush=True)
    done = _fill_shm(3072)
    _fill_memfd(3072 - done)
    print("NOT-STOPPED: 3 GB of shared memory", flush=True)


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
