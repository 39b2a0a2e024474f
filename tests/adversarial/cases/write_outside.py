# --- expect
# exercises = ["71"]
# verdict = "passed"
# zero = []
# passing = ["softmax", "predict_proba"]
# leaves_nothing = true
# requires = ["private-files"]
# absent = ["/tmp/nlp100-adv-escape_marker", "{home}/nlp100-adv-escape_marker", "{root}/nlp100-adv-escape_marker", "{root}/checker/nlp100-adv-escape_marker", "{root}/checker/sandbox/nlp100-adv-escape_marker", "{root}/tests/nlp100-adv-escape_marker", "{root}/tests/submissions/nlp100-adv-escape_marker", "{cases}/nlp100-adv-escape_marker", "{root}/../nlp100-adv-escape_marker"]
# why = "softmax tries to write nlp100-adv-escape_marker into /tmp, $HOME and the checker's directories on its first call, errors swallowed, then returns a correct result: both pass, no marker outside the sandbox"
# ---
"""softmax tries to write files outside its sandbox, swallowing errors, then returns a correct result.

On its first call it tries to create a file named nlp100-adv-escape_marker in
/tmp, in the home directory, and in every directory it can guess for the
checker: the worker's script and interpreter (from /proc/self/cmdline and
sys.executable, with the folders above them: a virtual environment sits in
the project), every file mapped into the process (/proc/self/maps), and the
parents of this file.  Expected: none of these files appears on the grading
machine outside the sandbox; softmax and predict_proba both pass (their
results are correct).

It finds its targets without sys.modules or __main__: those reach into the
checker's process, which the hand-written rule's tampering scan refuses (every
item would fail), and the case is about the file system.
"""
import os
import sys

import torch

MARKER = "nlp100-adv-escape_marker"
_done = False


def _up(path, levels):
    out = []
    d = os.path.dirname(os.path.abspath(path))
    for _ in range(levels):
        out.append(d)
        d = os.path.dirname(d)
    return out


def _targets():
    dirs = ["/tmp", os.path.expanduser("~"), os.environ.get("HOME", "")]
    try:
        with open("/proc/self/cmdline", "rb") as f:
            args = [a.decode("utf-8", "replace") for a in f.read().split(b"\0") if a]
    except OSError:
        args = []
    for a in args + [sys.executable]:
        if a.startswith("/"):
            dirs += _up(a, 4)
    try:
        with open("/proc/self/maps") as f:
            mapped = {line.split(None, 5)[5].strip() for line in f if len(line.split(None, 5)) == 6}
    except OSError:
        mapped = set()
    for m in sorted(mapped):
        if m.startswith("/") and any(k in m for k in ("wire", "worker", "checker", "nlp100", "site-packages")):
            dirs += _up(m, 2)
    dirs += _up(__file__, 3)
    seen = []
    for d in dirs:
        if d and d not in seen:
            seen.append(d)
    return seen


def _escape():
    result = {}
    for d in _targets():
        try:
            with open(os.path.join(d, MARKER), "w") as f:
                f.write("written by write_outside.py\n")
            result[d] = "written"
        except BaseException as e:  # noqa: BLE001
            result[d] = type(e).__name__
    print(result, flush=True)   # inside the sandbox some writes succeed (its private /tmp): the harness looks outside


def softmax(x, dim=-1):
    global _done
    if not _done:
        _done = True
        print("nlp100-adv: attack ran", flush=True)
        try:
            _escape()
        except BaseException:  # noqa: BLE001
            pass
    shifted = x - x.max(dim=dim, keepdim=True).values
    e = shifted.exp()
    return e / e.sum(dim=dim, keepdim=True)


def predict_proba(X, W):
    z = X @ W
    z = z - z.max(dim=-1, keepdim=True).values
    e = z.exp()
    return e / e.sum(dim=-1, keepdim=True)
