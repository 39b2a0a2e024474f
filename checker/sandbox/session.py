"""The grader's side of the pipe: one sandboxed worker per submission.

``WorkerSession`` starts a worker through a backend, loads the submission,
and turns each call into one request frame and one response frame.  Every
response is decoded strictly (``wire.py``); what comes back is still
untrusted and is validated by the checks before use.  Worker deaths and
timeouts become exceptions the engine turns into item records; the session
can start a fresh worker for the next item.
"""

from __future__ import annotations

import os
import select
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from .launch import Launch, Launcher

from ..errors import SandboxError
from . import wire
from .safetext import safe_text, safe_value
from .limits import Limits


SUBMISSION_NAME = "submission.py"
CELL_BUDGET_S = 3.0  # a notebook cell that runs longer is stopped (top-level training is not graded)   # the submission's name inside the sandbox, whatever the student called it
EXIT_GRACE_S = 1.0  # after "exit", the worker's time to flush its output and end by itself


class WorkerGone(Exception):
    """The worker died or stopped answering while serving a request."""

    def __init__(self, kind: str, during: str, detail: str = "", exit_code: int | None = None, elapsed: float = 0.0):
        super().__init__(f"{kind} during {during}: {detail}")
        self.kind = kind  # "crashed" | "timeout" | "protocol"
        self.during = during
        self.detail = detail
        self.exit_code = exit_code
        self.elapsed = elapsed


class StudentError(Exception):
    """The submission raised an exception (or exited) inside a call."""

    def __init__(self, error: dict):
        super().__init__(str(error.get("message", "")))
        self.error = error

    @property
    def type(self) -> str:
        return str(self.error.get("type", "Exception"))


class _Capture(threading.Thread):
    """Reads one of the worker's output streams, keeps the first ``cap`` bytes, drains the rest."""

    def __init__(self, stream, cap: int):
        super().__init__(daemon=True)
        self.stream = stream
        self.cap = cap
        self.buf = bytearray()
        self.total = 0
        self.pair: list[_Capture] = []  # [stdout's, stderr's] of the same worker (set by WorkerSession.start)

    def run(self) -> None:
        try:
            while True:
                chunk = self.stream.read1(1 << 16) if hasattr(self.stream, "read1") else self.stream.read(1 << 16)
                if not chunk:
                    break
                self.total += len(chunk)
                room = self.cap - len(self.buf)
                if room > 0:
                    self.buf += chunk[:room]
        except (OSError, ValueError):
            pass

    def text(self) -> str:
        return self.buf.decode("utf-8", errors="replace")

    @property
    def truncated(self) -> bool:
        return self.total > len(self.buf)


class WorkerSession:
    """Talks to one worker. Not thread-safe: one request at a time."""

    def __init__(
        self,
        limits: Limits,
        launcher: Launcher,
        max_elements: int = 1 << 27,
        wire_budget: int = wire.DEFAULT_SUBMISSION_BUDGET,
    ):
        self.limits = limits
        self.launcher = launcher
        self.max_elements = max_elements
        # what decoding the worker's answers may materialise over the whole submission (restarts
        # included); each answer is also held to wire.DEFAULT_MESSAGE_BUDGET on its own
        self.wire_budget = wire.Budget(wire_budget, "submission")
        self.launch: Launch | None = None
        self.ready: dict = {}
        self.loaded: dict | None = None
        self.started_at = time.monotonic()
        self._next_id = 0
        self.captures: list[_Capture] = []
        self._finished_captures: list[_Capture] = []
        self.restarts = 0
        self.isolation = ""
        self.backend = ""
        self.last_exit: int | None = None

    def _launched(self) -> Launch:
        """The worker's launch, which ``start`` made (every caller runs after it)."""
        assert self.launch is not None, "the worker was not started"
        return self.launch

    # -- lifecycle ------------------------------------------------------
    def start(self) -> None:
        """Start the worker process (not yet waiting for it: see ``wait_ready``)."""
        try:
            self.launch = self.launcher(self.limits)
        except (OSError, RuntimeError) as e:
            raise SandboxError(str(e)) from e
        self.isolation = self.launch.isolation
        self.backend = self.launch.backend
        cap = self.limits.output_kb * 1024
        self.captures = [_Capture(self.launch.proc.stdout, cap), _Capture(self.launch.proc.stderr, cap)]
        for c in self.captures:
            c.pair = self.captures
            c.start()

    def wait_ready(self) -> dict:
        try:
            h, _ = self._receive(self.limits.start_timeout_s, "start")
        except WorkerGone as e:
            out = self.output()
            raise SandboxError(
                f"the sandboxed worker did not start ({e.kind}: {e.detail}). Its output:\n{out['stderr'][-2000:]}"
            ) from e
        if h.get("op") != "ready":
            raise SandboxError("the worker sent something other than 'ready' at start")
        nonce = getattr(self.launch, "ready_nonce", None)  # a pooled child: made for this launch
        if nonce is not None and h.get("nonce") != nonce:
            self._launched().kill()
            raise SandboxError("the pooled worker's first answer does not carry its launch's nonce")
        self.ready = h
        return h

    def load(self, source: "str | Path", seed: int = 0, cells: list | None = None) -> dict:
        """Put the submission's text into the sandbox (a read-only folder, always as ``submission.py``) and import it there.

        ``source`` is the text the grader read and analysed (a path is read here, for tests): the sandbox
        imports exactly those bytes, never the file again.
        """
        text = Path(source).read_text(encoding="utf-8") if isinstance(source, Path) else source
        if self.launch is None:
            self.start()
        if not self.ready:
            self.wait_ready()
        launch = self._launched()
        dest = launch.subdir / SUBMISSION_NAME
        fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o444)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        from .local import ALLOWED_MODULES, library_dirs

        h, _ = self.request(
            {
                "op": "load",
                "path": f"{launch.sandbox_subdir}/{SUBMISSION_NAME}",
                "limits": self.limits.for_worker(),
                "allowed": list(ALLOWED_MODULES),
                "library_dirs": library_dirs(),
                "seed": seed,
                **({"cells": [list(c) for c in cells], "cell_budget_s": CELL_BUDGET_S} if cells else {}),
            },
            timeout=self.limits.load_timeout_s,
            during="import",
        )
        self.loaded = h
        self._text, self._seed, self._cells = text, seed, cells
        return h

    def restart(self) -> dict:
        """A fresh worker for the same submission (after a crash or a timeout)."""
        self._stop_process()
        self.restarts += 1
        self.launch = None
        self.ready = {}
        return self.load(self._text, self._seed, self._cells)

    def cpu_seconds(self) -> float | None:
        """CPU time used so far by the worker's processes, as the operating system tells the grader
        (not as the worker reports it); None where the backend cannot read it."""
        if self.launch is None or not hasattr(self.launch, "cpu_seconds"):
            return None
        return self.launch.cpu_seconds()

    @property
    def alive(self) -> bool:
        return self.launch is not None and self.launch.proc.poll() is None

    def close(self) -> None:
        if self.launch is None:
            return
        if self.alive:
            try:
                wire.write_frame(self.launch.req_fd, wire.encode_frame({"op": "exit", "id": -1}))
                self.launch.proc.wait(timeout=EXIT_GRACE_S)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self._stop_process()  # returns only when every process of the worker is gone

    def _stop_process(self) -> None:
        if self.launch is None:
            return
        self.launch.kill()
        rc = self.launch.proc.returncode
        self.last_exit = rc
        for c in self.captures:
            c.join(timeout=2)
        self._finished_captures += self.captures
        self.captures = []
        self.launch.cleanup()

    def output(self) -> dict[str, Any]:
        """What the submission printed, over every worker it had (restarts included), each stream cut at the cap."""
        cap = self.limits.output_kb * 1024
        printed = {"stdout": "", "stderr": ""}
        size = {"stdout": 0, "stderr": 0}
        truncated = False
        for c in self._finished_captures + self.captures:
            name = "stdout" if c is c.pair[0] else "stderr"
            room = cap - len(printed[name].encode("utf-8", "replace"))
            text = c.text()
            if len(text.encode("utf-8", "replace")) > room:
                text = text.encode("utf-8", "replace")[: max(0, room)].decode("utf-8", "ignore")
                truncated = True
            printed[name] += safe_text(text)
            size[name] += c.total
            truncated = truncated or c.truncated
        return {
            "stdout": printed["stdout"],
            "stderr": printed["stderr"],
            "truncated": truncated,
            "stdout_bytes": size["stdout"],
            "stderr_bytes": size["stderr"],
        }

    # -- requests -------------------------------------------------------
    def remaining(self) -> float:
        return self.limits.total_timeout_s - (time.monotonic() - self.started_at)

    def request(
        self, header: dict, values: dict | None = None, timeout: float | None = None, during: str = "call"
    ) -> tuple[dict, dict]:
        if not self.alive:
            raise WorkerGone(
                "crashed", during, "the worker is not running", self.launch.proc.returncode if self.launch else None
            )
        launch = self._launched()  # alive: started
        self._next_id += 1
        rid = self._next_id
        frame = wire.encode_frame({**header, "id": rid}, values)
        t0 = time.monotonic()
        try:
            wire.write_frame(launch.req_fd, frame)
        except (BrokenPipeError, OSError):
            self._reap()
            raise WorkerGone("crashed", during, "the worker closed its input", launch.proc.returncode) from None
        limit = self.limits.call_timeout_s if timeout is None else timeout
        limit = max(0.05, min(limit, self.remaining()))
        h, v = self._receive(limit, during, t0)
        if h.get("id") != rid:
            launch.kill()
            raise WorkerGone(
                "protocol",
                during,
                "the answer does not belong to the request (the submission wrote to the grader's pipe?)",
            )
        if not h.get("ok"):
            err = h.get("error")
            if not isinstance(err, dict):
                raise WorkerGone("protocol", during, "malformed error")
            raise StudentError(err)
        h["elapsed_s"] = time.monotonic() - t0
        return h, v

    def _reap(self) -> None:
        launch = self._launched()
        try:
            launch.proc.wait(timeout=2)
        except Exception:  # noqa: BLE001
            launch.kill()

    def _receive(self, limit: float, during: str, t0: float | None = None) -> tuple[dict, dict]:
        t0 = time.monotonic() if t0 is None else t0
        deadline = t0 + limit
        launch = self._launched()
        fd = launch.resp_fd
        try:
            prefix = self._read(fd, wire.PREFIX.size, deadline)
            hlen, plen = wire.PREFIX.unpack(prefix)
            if hlen > wire.MAX_HEADER or plen > wire.DEFAULT_MAX_PAYLOAD:
                raise wire.WireError("frame too large")
            if plen > self.wire_budget.remaining:
                raise wire.WireError(
                    f"a payload of {plen} bytes is more than what is left of the "
                    f"{self.wire_budget.limit} bytes the grader decodes per submission"
                )
            header = self._read(fd, hlen, deadline)
            payload = self._read(fd, plen, deadline)
            h, v = wire.decode_frame(header, payload, max_elements=self.max_elements, budget=self.wire_budget)
            return safe_value(h), safe_value(v)  # every string from the worker made safe, here and once
        except TimeoutError:
            launch.kill()
            raise WorkerGone(
                "timeout", during, f"no answer within {limit:.1f} s", elapsed=time.monotonic() - t0
            ) from None
        except EOFError:
            self._reap()
            rc = launch.proc.returncode
            raise WorkerGone("crashed", during, "the worker exited", rc, elapsed=time.monotonic() - t0) from None
        except wire.WireError as e:
            launch.kill()
            raise WorkerGone("protocol", during, str(e)) from None

    @staticmethod
    def _read(fd: int, n: int, deadline: float) -> bytes:
        parts = []
        while n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            r, _, _ = select.select([fd], [], [], left)
            if not r:
                raise TimeoutError
            chunk = os.read(fd, min(n, 1 << 20))
            if not chunk:
                raise EOFError
            parts.append(chunk)
            n -= len(chunk)
        return b"".join(parts)
