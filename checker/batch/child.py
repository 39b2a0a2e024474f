"""grade-batch's grading process: ``python -P -m checker.batch.child IN OUT PARENT``.

It reads a config line (the options, the exercises, the data secret as hex) on the pipe IN, then
one task line per submission (its name and its bytes, base64), grades each from those bytes
(``checker.batch.results.grade_bytes``) and answers on the pipe OUT with JSON lines: a
``launched`` line for each sandbox worker it starts (its pids cgroup and temporary folder, so
that the batch can remove them if this process dies), then the ``result``.  It gets SIGKILL when
the batch dies (PR_SET_PDEATHSIG), and its workers die with it (``bwrap --die-with-parent``;
PR_SET_PDEATHSIG in the rlimits mode).

``_NLP100_TEST_GRADER_DIES=DIR`` (tests only): before grading student S, a grading process
whose DIR/S holds a number n > 0 writes n - 1 there and kills itself with SIGKILL.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import sys
from pathlib import Path

MODULE = "checker.batch.child"
PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER = 1, 36
TEST_HOOK = "_NLP100_TEST_GRADER_DIES"


def _prctl(option: int, value: int) -> bool:
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0) == 0
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        return False


def _write(fd: int, obj: dict) -> None:
    view = memoryview((json.dumps(obj, ensure_ascii=True, default=str) + "\n").encode())
    while view:
        view = view[os.write(fd, view) :]


def _options(config: dict):
    from ..grading.plan import Options

    secret = config.get("secret")
    return Options(**config["options"], data_secret=bytes.fromhex(secret) if secret else None)


class _Reporting:
    """The launcher, telling the batch what each launch made before the worker gets any work (a warm pool's
    launcher keeps its own attributes: its fallback, its count of pool failures)."""

    def __init__(self, base, out_fd: int):
        self.base, self.out_fd = base, out_fd

    def __getattr__(self, name):
        return getattr(self.base, name)

    def fallback(self):
        return _Reporting(self.base.fallback(), self.out_fd)

    def __call__(self, limits):
        la = self.base(limits)
        cg, root = getattr(la, "cgroup", None), getattr(la, "root", None)
        _write(
            self.out_fd,
            {"launched": {"pid": getattr(la.proc, "pid", None), "cgroup": cg and str(cg), "root": root and str(root)}},
        )
        return la


def _reporting(base, out_fd: int):
    return _Reporting(base, out_fd)


def _test_hook(student: str) -> None:
    folder = os.environ.get(TEST_HOOK)
    f = Path(folder) / student if folder else None
    if f is not None and f.is_file() and int(f.read_text() or 0) > 0:
        f.write_text(str(int(f.read_text()) - 1))
        os.kill(os.getpid(), signal.SIGKILL)


def child_main(argv: list[str]) -> int:
    in_fd, out_fd, parent = (int(a) for a in argv)
    _prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL))
    if os.getppid() != parent:  # the batch died before we could ask
        return 1
    from .results import grade_bytes
    from ..grading.plan import make_launcher

    with os.fdopen(in_fd, "rb") as tasks:
        config = json.loads(tasks.readline() or "null")
        if config is None:
            return 0
        options = _options(config)
        options.launcher = _reporting(make_launcher(options), out_fd)
        for line in tasks:
            task = json.loads(line)
            _test_hook(task["student"])
            result = grade_bytes(task["name"], base64.b64decode(task["data"]), config["exercises"], options)
            _write(out_fd, {"id": task["id"], "result": result})
    return 0


if __name__ == "__main__":
    sys.exit(child_main(sys.argv[1:]))
