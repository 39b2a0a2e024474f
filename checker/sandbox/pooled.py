"""The client of a warm pool: a launch that looks like ``local.Launch`` but is a child of the pool's parent.

A grader (``check submit``, a grading process of ``grade-batch``, a Dask worker) connects to a pool server
(``poold.py``) on its unix socket, one connection per launch.  It makes the four pipes itself (requests,
responses, stdout, stderr), sends the child's ends with SCM_RIGHTS and a fresh nonce, and gets back the child's
host pid, its folders and its isolation; the child's first frame must carry the nonce (``session.wait_ready``).
The connection then carries the child's exit status (and, when the pool broke, why) and the grader's ``kill``;
closing it kills the child.  ``PoolLauncher`` hands out such launches and falls back to fresh workers whenever
the pool cannot give one; when the pool breaks while it serves a grading, ``checker.api.grade`` grades that
submission again with fresh workers (``failures``).
"""

from __future__ import annotations

import json
import os
import secrets
import select
import socket
import stat
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..errors import SandboxError
from ..messages import Msg
from .limits import Limits

MAX_MESSAGE = 1 << 16
CONNECT_TIMEOUT_S = 5.0
KILL_TIMEOUT_S = 30.0


class PoolUnavailable(Exception):
    """This launch gets no pooled child (use a fresh worker); ``broken``: the pool will not give any more."""

    def __init__(self, why: str, broken: bool = False):
        super().__init__(why)
        self.broken = broken


# -- where the pool lives --------------------------------------------------------------------------


def default_socket() -> Path:
    """``$XDG_RUNTIME_DIR/nlp100-pool/pool.sock`` where that folder is the user's own, else
    ``/tmp/nlp100-pool-<uid>/pool.sock``."""
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    if xdg:
        try:
            st = os.stat(xdg)
            if stat.S_ISDIR(st.st_mode) and st.st_uid == os.geteuid() and not st.st_mode & 0o077:
                return Path(xdg) / "nlp100-pool" / "pool.sock"
        except OSError:
            pass
    return Path("/tmp") / f"nlp100-pool-{os.geteuid()}" / "pool.sock"


def configured_socket() -> Path:
    """``NLP100_POOL_SOCKET``, else the default place."""
    from ..settings import current

    return current().pool_socket or default_socket()


def private_folder(folder: Path, create: bool) -> Path:
    """``folder`` as a folder of this user's alone (0700), made when asked; a UsageError-worthy ValueError when
    it is someone else's or open to others (a socket there could be anybody's)."""
    if create:
        try:
            folder.mkdir(mode=0o700, parents=False)
        except FileExistsError:
            pass
    st = os.lstat(folder)
    if not stat.S_ISDIR(st.st_mode):
        raise ValueError(f"{folder} is not a folder")
    if st.st_uid != os.geteuid():
        raise ValueError(f"{folder} belongs to uid {st.st_uid}, not to you")
    if st.st_mode & 0o077:
        raise ValueError(f"{folder} is open to other users (mode {stat.S_IMODE(st.st_mode):o}); it must be 0700")
    return folder


def _connect(path: Path, timeout: float = CONNECT_TIMEOUT_S) -> socket.socket:
    try:
        private_folder(Path(path).parent, create=False)
    except (OSError, ValueError) as e:
        raise PoolUnavailable(f"no warm pool at {path} ({e})") from None
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(timeout)
    try:
        s.connect(str(path))
        import struct

        _pid, uid, _gid = struct.unpack("3i", s.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
    except OSError as e:
        s.close()
        raise PoolUnavailable(f"no warm pool answers at {path} ({e.strerror or e})") from None
    if uid not in (os.geteuid(), 0):  # a server of another user's is nobody's pool to trust
        s.close()
        raise PoolUnavailable(f"the server at {path} runs as uid {uid}, not as you")
    return s


def _recv(s: socket.socket, timeout: float | None) -> dict | None:
    s.settimeout(timeout)
    try:
        data = s.recv(MAX_MESSAGE)
    except socket.timeout:
        raise
    except OSError:
        return None
    if not data:
        return None
    try:
        msg = json.loads(data)
    except ValueError:
        return None
    return msg if isinstance(msg, dict) else None


def query(path: Path, msg: dict, timeout: float = CONNECT_TIMEOUT_S) -> dict | None:
    """One request to the pool server at ``path`` and its answer (None: nothing answers)."""
    try:
        s = _connect(path, timeout)
    except PoolUnavailable:
        return None
    try:
        s.send(json.dumps(msg).encode())
        return _recv(s, timeout)
    except OSError:
        return None
    finally:
        s.close()


def status(path: Path | None = None, timeout: float = CONNECT_TIMEOUT_S) -> dict | None:
    return query(Path(path or configured_socket()), {"op": "status"}, timeout)


def want_of(options) -> dict:
    """What a grading asks of a pool (it must have been started for the same)."""
    return {
        "backend": getattr(options, "backend", "local"),
        "isolation": getattr(options, "isolation", "auto"),
        "threads": int(getattr(options, "threads", 1)),
        "image": getattr(options, "image", None),
        "gpus": bool(getattr(options, "gpus", False)),
    }


# -- a pooled child as a launch ------------------------------------------------------------------------


class PooledProcess:
    """The child as the session sees a process: pid (on the host), poll(), wait(), returncode, stdout, stderr."""

    def __init__(self, conn: socket.socket, pid: int, stdout, stderr, owner: "PooledLaunch"):
        self.conn: socket.socket | None = conn  # None once closed
        self.pid, self.stdout, self.stderr, self.owner = pid, stdout, stderr, owner
        self.returncode: int | None = None
        self.server_gone = False

    def _pump(self, timeout: float, until: Callable[[], bool] | None = None) -> None:
        """Read what the server says (an exit, a kill's answer) until ``until()`` or for at most ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while self.conn is not None and not (until is not None and until()):
            try:
                r, _, _ = select.select([self.conn], [], [], max(0.0, deadline - time.monotonic()))
            except (OSError, ValueError):
                r = [self.conn]
            if not r:
                return
            try:
                msg = _recv(self.conn, 0)
            except (socket.timeout, BlockingIOError):
                return
            if msg is None:
                self.server_gone = True
                self.conn.close()
                self.conn = None
                if self.returncode is None:
                    self.returncode = -9
                    self.owner._pool_failed("the warm pool's server went away")
                return
            self.owner._message(msg)

    def poll(self) -> int | None:
        if self.returncode is None:
            self._pump(0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.returncode is None:
            left = 3600.0 if deadline is None else deadline - time.monotonic()
            if left <= 0 or self.conn is None:
                break
            self._pump(min(left, 1.0), until=lambda: self.returncode is not None)
        if self.returncode is None:
            raise subprocess.TimeoutExpired("pooled worker", timeout)  # type: ignore[arg-type]  # None: no timeout given
        return self.returncode


@dataclass
class PooledLaunch:
    """A pooled child and the pipes to talk to it (the shape of ``local.Launch``)."""

    proc: PooledProcess
    req_fd: int
    resp_fd: int
    workdir: Path | None
    subdir: Path
    sandbox_workdir: str
    sandbox_subdir: str
    backend: str
    isolation: str
    root: Path | None = None
    cgroup: Path | None = None
    ready_nonce: str | None = None
    info: dict = field(default_factory=dict)
    pool_failure: str | None = None
    gone: dict | None = None
    survivors: list = field(default_factory=list)
    on_failure: Callable | None = None
    _closed: bool = False

    @classmethod
    def connect(cls, path: Path, limits: Limits, want: dict, timeout: float | None = None) -> "PooledLaunch":
        s = _connect(path)
        pipes = [os.pipe() for _ in range(4)]  # requests, responses, stdout, stderr
        (req_r, req_w), (resp_r, resp_w), (out_r, out_w), (err_r, err_w) = pipes
        theirs = [req_r, resp_w, out_w, err_w]
        ours = [req_w, resp_r, out_r, err_r]
        nonce = secrets.token_hex(16)
        msg = {"op": "launch", "want": want, "nonce": nonce, "limits": _limits_dict(limits)}
        try:
            socket.send_fds(s, [json.dumps(msg).encode()], theirs)
        except OSError as e:
            for fd in theirs + ours:
                os.close(fd)
            s.close()
            raise PoolUnavailable(f"the warm pool did not take the request ({e})") from None
        for fd in theirs:
            os.close(fd)
        try:
            rep = _recv(s, timeout or max(30.0, limits.start_timeout_s))
        except socket.timeout:
            rep = {"ok": False, "why": "the warm pool did not answer in time"}
        if not rep or not rep.get("ok"):
            for fd in ours:
                os.close(fd)
            s.close()
            why = (rep or {}).get("why") or "the warm pool closed the connection"
            raise PoolUnavailable(str(why)[:500], broken=bool((rep or {}).get("broken")))
        try:
            la = cls(
                proc=None,  # type: ignore[arg-type]  # set just below: the process needs its launch
                req_fd=req_w,
                resp_fd=resp_r,
                workdir=Path(rep["workdir"]) if rep.get("workdir") else None,
                subdir=Path(rep["subdir"]),
                sandbox_workdir=str(rep["sandbox_workdir"]),
                sandbox_subdir=str(rep["sandbox_subdir"]),
                backend=str(rep["backend"]),
                isolation=str(rep["isolation"]),
                ready_nonce=nonce,
                info=rep,
            )
            la.proc = PooledProcess(
                s,
                int(rep["pid"]),
                open(out_r, "rb", buffering=0),  # noqa: SIM115 - the process's stdout, closed with it
                open(err_r, "rb", buffering=0),  # noqa: SIM115 - its stderr
                la,
            )
        except (KeyError, TypeError, ValueError):
            for fd in ours:
                os.close(fd)
            s.close()
            raise PoolUnavailable("the warm pool's answer is malformed") from None
        return la

    # -- what the server says ------------------------------------------------------------------
    def _message(self, msg: dict) -> None:
        op = msg.get("op")
        if op == "exited":
            if self.proc.returncode is None:
                rc = msg.get("status")
                self.proc.returncode = rc if isinstance(rc, int) else -9
            if msg.get("broken") and self.gone is None:
                self._pool_failed(str(msg["broken"]))
        elif op == "gone":
            self.gone = msg
            if self.proc.returncode is None:
                self.proc.returncode = msg.get("status") if isinstance(msg.get("status"), int) else -9

    def _pool_failed(self, why: str) -> None:
        if self.pool_failure is None and not self._closed:
            self.pool_failure = why
            if self.on_failure is not None:
                self.on_failure(why)

    # -- the interface of local.Launch ---------------------------------------------------------------
    def kill(self) -> None:
        """Kill the child and everything it started (the server does it and says what survived)."""
        if self.gone is not None:
            return
        conn = self.proc.conn
        if conn is not None:
            try:
                conn.send(json.dumps({"op": "kill"}).encode())
                deadline = time.monotonic() + KILL_TIMEOUT_S
                while self.gone is None and self.proc.conn is not None and time.monotonic() < deadline:
                    self.proc._pump(1.0, until=lambda: self.gone is not None)
            except OSError:
                pass
        if self.gone is None:  # the server is gone: what the host still shows of the child
            from .local import _descendants, _kill_tree, _proc_stat

            _kill_tree(self.proc.pid, True)
            st = _proc_stat(self.proc.pid)
            left = [self.proc.pid] if st is not None and st[0] not in ("Z", "X") else []
            self.gone = {"survivors": left + _descendants(self.proc.pid)}
        if self.gone.get("broken"):
            self._pool_failed(str(self.gone["broken"]))
        self._closed = True  # a pool that breaks from now on did not serve this launch
        self.survivors = [int(p) for p in self.gone.get("survivors") or [] if isinstance(p, int)]
        if self.proc.returncode is None:
            self.proc.returncode = -9

    def cpu_seconds(self) -> float | None:
        from .pool import cpu_seconds_from

        return cpu_seconds_from(self.info, self.proc.pid)

    def cleanup(self) -> None:
        self.kill()
        for fd in (self.req_fd, self.resp_fd):
            try:
                os.close(fd)
            except OSError:
                pass
        for f in (self.proc.stdout, self.proc.stderr):
            try:
                f.close()
            except OSError:
                pass
        if self.proc.conn is not None:
            self.proc.conn.close()
            self.proc.conn = None
        if self.survivors:
            from .local import KILL_WAIT_S

            raise SandboxError(msg=Msg("sandbox_survivors", {"seconds": KILL_WAIT_S, "pids": self.survivors}))


def _limits_dict(limits: Limits) -> dict:
    from dataclasses import asdict

    return asdict(limits)


def limits_from(d: dict) -> Limits:
    """The limits a client sent, validated field by field (the server's side)."""
    base = Limits()
    out = {}
    for k in Limits.__dataclass_fields__:
        if k not in d:
            continue
        v = d[k]
        kind = type(getattr(base, k))
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ValueError(f"limit {k} is not a number")
        out[k] = kind(v)
        if out[k] < 0:
            raise ValueError(f"limit {k} is negative")
    return Limits(**out)


# -- the launcher ---------------------------------------------------------------------------------------


class PoolLauncher:
    """``limits -> launch``: a pooled child when the pool gives one, else a fresh worker from ``fresh()``.

    ``failures`` counts launches whose pool broke while they served (the grading is then done again with fresh
    workers, ``checker.api.grade``); after that, or when the pool says it is broken, every launch is fresh."""

    def __init__(self, path: Path | str, fresh: Callable[[], Callable], want: dict, log: Callable | None = None):
        self.path = Path(path)
        self._fresh_factory = fresh
        self._fresh: Callable | None = None
        self.want = want
        self.log = log
        self.failures = 0
        self.disabled: str | None = None
        self.pooled = 0

    def fallback(self) -> Callable:
        if self._fresh is None:
            self._fresh = self._fresh_factory()
        return self._fresh

    def _failed(self, why: str) -> None:
        self.failures += 1
        self.disabled = self.disabled or why

    def __call__(self, limits: Limits):
        if self.disabled is None:
            try:
                la = PooledLaunch.connect(self.path, limits, self.want)
                la.on_failure = self._failed
                self.pooled += 1
                return la
            except PoolUnavailable as e:
                if e.broken:
                    self.disabled = str(e)
                if self.log is not None:
                    self.log(f"warm pool: {e}; a fresh worker instead")
        return self.fallback()(limits)
