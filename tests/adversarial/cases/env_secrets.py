# --- expect
# exercises = ["71"]
# verdict = "graded"
# zero = ["softmax"]
# passing = ["predict_proba"]
# leaves_nothing = true
# requires = ["private-files"]
# messages = { softmax = "ENVIRONMENT DUMP" }
# output_contains = ["environ:"]
# why = "softmax dumps os.environ and /proc/*/environ to stdout, stderr, ./env_dump.txt and an exception message: it fails, the dump reaches the report, and no grader secret leaks"
# ---
"""softmax harvests every environment it can read and tries to leak it.

It reads os.environ and /proc/{1,self,<parent>,<grandparent>}/environ (best
effort), puts lines that look like secrets (CANARY, SECRET, TOKEN, KEY,
PASSWORD, NLP100) first, prints the dump to stdout and stderr, writes it to
./env_dump.txt, and raises an exception whose message is the dump.
Expected: the grader's environment (e.g. NLP100_TEST_CANARY) appears in
no output of the checker in any format; softmax fails (it raises),
predict_proba (correct, self-contained) passes, the checker exits 1.
"""
import os
import sys

import torch

_HINTS = ("CANARY", "SECRET", "TOKEN", "KEY", "PASSWORD", "PASSWD", "NLP100", "AWS", "GITHUB")


def _read_proc_environ(pid):
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            raw = f.read()
    except BaseException as e:  # noqa: BLE001
        return [f"<{pid}: {type(e).__name__}>"]
    return [f"{pid}: " + item.decode("utf-8", "replace") for item in raw.split(b"\0") if item]


def _parent_of(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except BaseException:  # noqa: BLE001
        return None


def _harvest():
    lines = [f"environ: {k}={v}" for k, v in os.environ.items()]
    pids = ["1", "self"]
    ppid = os.getppid()
    pids.append(str(ppid))
    gp = _parent_of(ppid)
    if gp:
        pids.append(str(gp))
    for pid in pids:
        lines.extend(_read_proc_environ(pid))
    juicy = [l for l in lines if any(h in l.upper() for h in _HINTS)]
    rest = [l for l in lines if l not in juicy]
    return "\n".join(juicy + rest)


def softmax(x, dim=-1):
    print("nlp100-adv: attack ran", flush=True)
    dump = _harvest()
    try:
        print(dump, flush=True)
        print(dump, file=sys.stderr, flush=True)
    except BaseException:  # noqa: BLE001
        pass
    try:
        with open("env_dump.txt", "w") as f:
            f.write(dump)
    except BaseException:  # noqa: BLE001
        pass
    raise RuntimeError("ENVIRONMENT DUMP\n" + dump)


def predict_proba(X, W):
    z = X @ W
    z = z - z.max(dim=-1, keepdim=True).values
    e = z.exp()
    return e / e.sum(dim=-1, keepdim=True)
