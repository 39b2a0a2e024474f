"""The channels between the grader and one worker container, and the container seen as a process.

The wire protocol is the local backend's, byte for byte: request frames on one pipe, response
frames on another, the student's stdout and stderr apart.  Here the pipes are two FIFOs, ``req``
and ``resp`` (``Fifos``), in a private host folder bind-mounted read-only at ``/chan`` (a FIFO
stays writable on a read-only mount).  The grader opens its ends before the container starts:
``resp`` for reading (non-blocking open), ``req`` for writing, which needs a reader, so the
grader also holds a placeholder reader on ``req`` until the container ends.  The worker
(``--in-path/--out-path``) then opens its ends without blocking.  When the worker dies, every
writer of ``resp`` is gone and the grader reads EOF, exactly as with a pipe; when the container
ends (even before the worker opened its ends) the watcher thread calls
``Fifos.container_ended``, which drops the placeholder reader, so a blocked write fails with
EPIPE, and opens and closes ``resp`` once, so a reader that never saw a writer still gets EOF.

stdout and stderr come from an attach to the container made before it starts
(``attach_output``), split back into two pipes (``pump_output``) that ``DockerProcess`` holds
for the session's capture threads; ``DockerProcess`` is also what the session polls and waits
on, the container's exit status being told to it by the watcher (``DockerProcess.exited``).
Why not the container's stdin for requests: the daemon buffers it, so a dead worker shows up
late, and EOF/EPIPE semantics are the daemon's rather than the kernel's.
"""

from __future__ import annotations

import fcntl
import os
import signal
import threading
from pathlib import Path
from typing import Any

from .engine import SANDBOX_UID

SANDBOX_CHAN = "/chan"


# -- the request and response FIFOs -------------------------------------------------------------


def _fifo(path: Path) -> None:
    os.mkfifo(path, 0o600)
    if os.geteuid() == 0:
        os.chown(path, SANDBOX_UID, SANDBOX_UID)
    else:
        os.chmod(path, 0o666)  # the enclosing 0700 folder keeps other host users out


def _clear_nonblock(fd: int) -> None:
    fl = fcntl.fcntl(fd, fcntl.F_GETFL)
    fcntl.fcntl(fd, fcntl.F_SETFL, fl & ~os.O_NONBLOCK)


class Fifos:
    """``req`` and ``resp`` made in ``folder`` (the host side of ``/chan``), the grader's ends open."""

    def __init__(self, folder: Path):
        req_path, resp_path = folder / "req", folder / "resp"
        _fifo(req_path)
        _fifo(resp_path)
        self.resp_fd = os.open(resp_path, os.O_RDONLY | os.O_NONBLOCK)
        _clear_nonblock(self.resp_fd)
        self._req_placeholder: int | None = os.open(req_path, os.O_RDONLY | os.O_NONBLOCK)
        self.req_fd = os.open(req_path, os.O_WRONLY)  # does not block: a reader exists
        self._resp_path = str(resp_path)
        self._lock = threading.RLock()
        self._closed = False

    def container_ended(self) -> None:
        """The container ended: no reader of req keeps a write from failing, and resp reads EOF."""
        with self._lock:
            fd, self._req_placeholder = self._req_placeholder, None
            closed = self._closed
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass
        if self._resp_path and not closed:
            try:
                os.close(os.open(self._resp_path, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:
                pass

    def close(self) -> bool:
        """Close the grader's ends; False when they were closed already."""
        with self._lock:
            if self._closed:
                return False
            self._closed = True
        for fd in (self.req_fd, self.resp_fd):
            try:
                os.close(fd)
            except OSError:
                pass
        return True


# -- a container that looks like a Popen ---------------------------------------------------------


class DockerProcess:
    """The container seen as a process: pid, poll(), wait(), returncode, stdout, stderr."""

    def __init__(self, name: str):
        self.name = name
        self.id: str | None = None
        self.pid = 0  # the host pid of the container's init, once started
        self.returncode: int | None = None
        self.oom_killed = False
        self._done = threading.Event()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        self._out_w: int | None = out_w
        self._err_w: int | None = err_w
        self.stdout = open(out_r, "rb", buffering=0)  # noqa: SIM115 - kept open on purpose: it outlives this call
        self.stderr = open(err_r, "rb", buffering=0)  # noqa: SIM115 - kept open on purpose: it outlives this call

    def poll(self) -> int | None:
        return self.returncode if self._done.is_set() else None

    def wait(self, timeout: float | None = None) -> int:
        if not self._done.wait(timeout):
            import subprocess

            raise subprocess.TimeoutExpired(self.name, timeout if timeout is not None else 0.0)  # None: never here
        code = self.returncode
        assert code is not None  # set before _done
        return code

    def exited(self, code: int | None) -> None:
        """The container ended with ``code`` (None: unknown, counted as killed)."""
        if self._done.is_set():
            return
        if code is None:
            code = -signal.SIGKILL
        elif 128 < code <= 128 + 64:
            code = -(code - 128)  # as Popen: killed by signal N -> -N (timeout and the OOM killer send KILL)
        self.returncode = code
        self._done.set()

    def _close_writers(self) -> None:
        for attr in ("_out_w", "_err_w"):
            fd = getattr(self, attr)
            if fd is not None:
                setattr(self, attr, None)
                try:
                    os.close(fd)
                except OSError:
                    pass

    def close(self) -> None:
        """Close both ends of the stdout and stderr pipes (once the pump is done)."""
        self._close_writers()
        for f in (self.stdout, self.stderr):
            try:
                f.close()
            except OSError:
                pass


# -- stdout and stderr ------------------------------------------------------------------------------


def pump_output(proc: DockerProcess, sock: Any) -> None:
    """Split the attach stream (docker's 8-byte frame headers) into the stdout and stderr pipes."""
    from docker.utils.socket import frames_iter

    try:
        for stream, data in frames_iter(sock, tty=False):
            fd = proc._out_w if stream == 1 else proc._err_w if stream == 2 else None
            if fd is None or not data:
                continue
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
    except (OSError, ValueError, TypeError):
        pass  # the reader is gone (cleanup) or the socket closed
    except Exception:  # noqa: BLE001
        pass
    finally:
        try:
            sock.close()
        except Exception:  # noqa: BLE001
            pass
        proc._close_writers()


def attach_output(api: Any, proc: DockerProcess) -> threading.Thread:
    """Attach to the created container's stdout and stderr (before it starts: nothing is lost) and
    pump them into ``proc``'s pipes; the pump thread is returned, started."""
    sock = api.attach_socket(proc.id, params={"stdout": 1, "stderr": 1, "stream": 1, "logs": 0})
    pump = threading.Thread(target=pump_output, args=(proc, sock), name=f"{proc.name}-output", daemon=True)
    pump.start()
    return pump
