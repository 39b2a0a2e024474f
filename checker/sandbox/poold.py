"""The warm pool's server: one sandboxed parent (``pool.py``) and a unix socket that graders ask for children.

    python -P -m checker.sandbox.poold --socket PATH --config JSON [--lifeline FD] [--ready FD]

``check pool start`` runs it as a per-user daemon; ``grade-batch`` runs one for its grading processes (and each
Dask worker one for itself), with a *lifeline*: a pipe whose other end only the starting process holds, so the
server stops when that process is gone, however it ended.

The socket lives in a folder of the user's alone (0700; ``pooled.private_folder``) and the server also checks
each peer's credentials: only the same user (or root) gets an answer.  One connection per launch
(``pooled.PooledLaunch``): the request with the four pipe ends, then the answer; then the child's exit status
is sent when the parent reaps it, and a ``kill`` is answered when every process of the child is gone and its
folders are removed.  A connection that closes early kills its child.  Other requests: ``status``, ``stop``.

When the parent breaks (``pool.Parent.break_``) the server keeps answering, but every launch is refused with
``broken``, and the clients grade with fresh workers.  ``--ready FD`` gets one JSON line when the parent said
hello (or why it could not start).
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import struct
import sys
import threading
import time
from pathlib import Path

from . import pool
from .pooled import MAX_MESSAGE, limits_from, private_folder

ACCEPT_TIMEOUT_S = 10.0


class PoolServer:
    def __init__(self, config: pool.PoolConfig, path: Path, log=None):
        self.config, self.path = config, Path(path)
        self.log = log or (lambda s: print(s, file=sys.stderr, flush=True))
        self.parent: pool.Parent | None = None
        self.listener: socket.socket | None = None
        self.stopping = threading.Event()
        self.live = 0
        self.served = 0
        self.refused = 0
        self.lock = threading.Lock()
        self.t0 = time.monotonic()
        self.resolved = self._resolve()

    def _resolve(self) -> dict:
        """The pool's own (backend, isolation) as a fresh worker's launcher would choose them here."""
        from .local import choose
        from .probe import probe

        if self.config.backend == "docker":
            return {"backend": "docker", "isolation": ""}
        try:
            mode, _ = choose(self.config.isolation, probe())
        except Exception:  # noqa: BLE001
            mode = self.config.isolation
        return {"backend": "local", "isolation": mode}

    def accepts(self, want: object) -> str | None:
        """None when a grading that asks for ``want`` would get the same sandbox from this pool, else why not."""
        from .local import choose
        from .probe import probe

        if not isinstance(want, dict):
            return "a malformed request"
        if int(want.get("threads") or 1) != self.config.threads:
            return (
                f"the pool's children run {self.config.threads} thread(s), the grading asks for {want.get('threads')}"
            )
        if want.get("gpus"):
            return "the pool has no GPU"
        backend = want.get("backend") or "local"
        if backend == "auto":
            from .docker import engine as db

            backend = "docker" if db.available(want.get("image")) else "local"
        if backend != self.resolved["backend"]:
            return f"the pool is {self.resolved['backend']}, the grading asks for {backend}"
        if backend == "docker":
            from types import SimpleNamespace

            from .docker import engine as db

            mine = db.image_name(SimpleNamespace(image=self.config.image, gpus=False))
            theirs = db.image_name(SimpleNamespace(image=want.get("image"), gpus=False))
            return None if mine == theirs else f"the pool runs {mine}, the grading asks for {theirs}"
        try:
            mode, _ = choose(str(want.get("isolation") or "auto"), probe())
        except Exception as e:  # noqa: BLE001
            return str(e)
        if mode != self.resolved["isolation"]:
            return f"the pool's isolation is {self.resolved['isolation']}, the grading asks for {mode}"
        return None

    # -- life -------------------------------------------------------------------------------------
    def start(self) -> dict:
        private_folder(self.path.parent, create=True)
        if self.path.exists() or self.path.is_symlink():
            if _answers(self.path):
                raise RuntimeError(f"a pool already answers at {self.path}")
            self.path.unlink()
        self.parent = pool.start(self.config)
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.listener.bind(str(self.path))
        os.chmod(self.path, 0o600)
        self.listener.listen(64)
        return self.parent.status()

    def serve_forever(self, lifeline: int | None = None) -> None:
        listener = self.listener
        assert listener is not None  # start() made it
        watch: list[socket.socket | int] = [listener] + ([lifeline] if lifeline is not None else [])
        try:
            while not self.stopping.is_set():
                r, _, _ = select.select(watch, [], [], 0.5)
                if lifeline is not None and lifeline in r:
                    try:
                        if not os.read(lifeline, 64):
                            self.log("warm pool: the process that started it is gone; stopping")
                            break
                    except OSError:
                        break
                if listener in r:
                    try:
                        conn, _ = listener.accept()
                    except OSError:
                        continue
                    threading.Thread(target=self._handle, args=(conn,), daemon=True).start()
        finally:
            self.stop()

    def stop(self) -> None:
        if self.stopping.is_set() and self.parent is None:
            return
        self.stopping.set()
        if self.listener is not None:
            try:
                self.listener.close()
            except OSError:
                pass
            try:
                if self.path.exists():
                    self.path.unlink()
            except OSError:
                pass
        parent, self.parent = self.parent, None
        if parent is not None:
            parent.close()

    def status(self) -> dict:
        p = self.parent
        return {
            "ok": True,
            "pid": os.getpid(),
            "socket": str(self.path),
            "config": self.config.to_dict(),
            "resolved": self.resolved,
            "served": self.served,
            "refused": self.refused,
            "live": self.live,
            "uptime_s": round(time.monotonic() - self.t0, 1),
            **(p.status() if p is not None else {"broken": "stopped"}),
        }

    # -- one connection ------------------------------------------------------------------------------
    def _handle(self, conn: socket.socket) -> None:
        fds: list[int] = []
        try:
            pid, uid, _ = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
            if uid not in (os.geteuid(), 0):
                return
            conn.settimeout(ACCEPT_TIMEOUT_S)
            data, fds, flags, _ = socket.recv_fds(conn, MAX_MESSAGE, 4)
            msg = json.loads(data) if data and not flags & socket.MSG_TRUNC else None
            op = msg.get("op") if isinstance(msg, dict) else None
            if op == "launch" and isinstance(msg, dict) and len(fds) == 4:  # (a dict: it has an op)
                fds, mine = [], fds
                self._launch(conn, msg, mine)
            elif op == "status":
                _send(conn, self.status())
            elif op == "stop":
                _send(conn, {"ok": True, "pid": os.getpid()})
                self.log("warm pool: stopping (asked by pid %d)" % pid)
                self.stopping.set()
            else:
                _send(conn, {"ok": False, "why": "a request the pool does not know"})
        except (OSError, ValueError, struct.error):
            pass
        finally:
            for fd in fds:
                _close(fd)
            try:
                conn.close()
            except OSError:
                pass

    def _launch(self, conn: socket.socket, msg: dict, fds: list[int]) -> None:
        parent = self.parent
        broken = False
        why: str | None
        try:
            nonce = str(msg.get("nonce") or "")
            limits = limits_from(msg.get("limits") or {})
            if parent is None or self.stopping.is_set():
                why, broken = "the pool is stopping", True
            elif parent.broken:
                why, broken = parent.broken, True
            else:
                why = self.accepts(msg.get("want"))
            if why is None and not 8 <= len(nonce) <= 64:
                why = "no nonce"
            if why is None and (limits.threads != self.config.threads or limits.memory_mb > self.config.memory_mb):
                why = "the grading's limits are beyond what the pool was started for"
            if why is None:
                with self.lock:
                    if self.live >= self.config.slots:
                        why = f"all {self.config.slots} slots are busy"
                    else:
                        self.live += 1
        except ValueError as e:
            why = str(e)
        except BaseException:
            for fd in fds:
                _close(fd)
            raise
        if why is not None:
            for fd in fds:
                _close(fd)
            return _refuse(self, conn, why, broken=broken)
        assert parent is not None  # (None: refused above)
        send_lock = threading.Lock()

        def on_exit(ch: pool.Child) -> None:
            with send_lock:
                _send(conn, {"op": "exited", "status": ch.status, "broken": ch.broken})

        ch = None
        try:
            try:
                ch = parent.spawn(limits, fds, nonce, on_exit=on_exit)
            except pool.PoolUnavailable as e:
                return _refuse(self, conn, str(e), broken=isinstance(e, pool.PoolBroken))
            finally:
                for fd in fds:
                    _close(fd)
            self.served += 1
            with send_lock:
                _send(
                    conn,
                    {
                        "ok": True,
                        "pid": ch.host_pid,
                        "id": ch.id,
                        "subdir": str(ch.subdir),
                        "sandbox_subdir": ch.sandbox_subdir,
                        "sandbox_workdir": ch.sandbox_workdir,
                        "workdir": str(ch.workdir) if ch.workdir else None,
                        "isolation": ch.isolation,
                        "backend": self.resolved["backend"],
                        **parent.cpu_source(ch),
                    },
                )
            if ch.exited.is_set():
                on_exit(ch)
            conn.settimeout(None)
            while True:
                try:
                    data = conn.recv(MAX_MESSAGE)
                except OSError:
                    data = b""
                if not data:
                    break  # the client is gone: its child goes too
                try:
                    req = json.loads(data)
                except ValueError:
                    break
                if isinstance(req, dict) and req.get("op") == "kill":
                    parent.check_alive()

                    def answer(left):  # a pool that broke while the child served: the grading is done again
                        with send_lock:
                            _send(conn, {"op": "gone", "status": ch.status, "survivors": left, "broken": parent.broken})

                    parent.finish(ch, answer)
        finally:
            if ch is not None:
                parent.finish(ch)
            with self.lock:
                self.live -= 1


def _refuse(server: PoolServer, conn: socket.socket, why: str, broken: bool = False) -> None:
    server.refused += 1
    _send(conn, {"ok": False, "why": str(why)[:500], "broken": broken})


def _send(conn: socket.socket, obj: dict) -> None:
    try:
        conn.send(json.dumps(obj, default=str).encode())
    except OSError:
        pass


def _close(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass


def _answers(path: Path) -> bool:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(2)
    try:
        s.connect(str(path))
        return True
    except OSError:
        return False
    finally:
        s.close()


def spawn(
    config: pool.PoolConfig,
    path: Path,
    lifeline: bool = True,
    log_file: Path | None = None,
    timeout: float = pool.START_TIMEOUT_S + 30,
    remove_folder: bool = False,
    cancelled=None,
):
    """Start a server process and wait until its parent has imported torch: (its Popen, its status, and the
    lifeline's write end to keep open while the pool should live, or None), or raise PoolUnavailable (also when
    ``cancelled()`` turns true while it waits: a Ctrl-C)."""
    import subprocess

    ready_r, ready_w = os.pipe()
    life_r = life_w = None
    if lifeline:
        life_r, life_w = os.pipe()
        os.set_inheritable(life_w, False)
    cmd = [
        sys.executable,
        "-P",
        "-m",
        "checker.sandbox.poold",
        "--socket",
        str(path),
        "--config",
        json.dumps(config.to_dict()),
        "--ready",
        str(ready_w),
    ]
    keep = [ready_w]
    if remove_folder:
        cmd.append("--remove-folder")
    if life_r is not None:
        cmd += ["--lifeline", str(life_r)]
        keep.append(life_r)
    log = open(log_file, "ab") if log_file is not None else None  # noqa: SIM115 - kept open on purpose: it outlives this call
    out = log if log is not None else subprocess.DEVNULL
    try:
        proc = subprocess.Popen(
            cmd, pass_fds=keep, stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True, cwd="/"
        )
    finally:
        for fd in keep:
            os.close(fd)
        if log is not None:
            log.close()
    buf = b""
    deadline = time.monotonic() + timeout
    try:
        while b"\n" not in buf and time.monotonic() < deadline:
            if cancelled is not None and cancelled():
                buf = b'{"ok": false, "why": "interrupted"}\n'
                break
            r, _, _ = select.select([ready_r], [], [], min(0.2, max(0.0, deadline - time.monotonic())))
            if not r:
                continue
            chunk = os.read(ready_r, 1 << 16)
            if not chunk:
                break
            buf += chunk
    finally:
        os.close(ready_r)
    try:
        info = json.loads(buf.split(b"\n")[0]) if buf else {}
    except ValueError:
        info = {}
    if not info.get("ok"):
        _kill_server(proc.pid)
        proc.wait()
        remains_of(proc.pid)
        if life_w is not None:
            os.close(life_w)
        raise pool.PoolUnavailable(info.get("why") or f"the pool's server did not start (status {proc.poll()})")
    return proc, info, life_w


def config_for(options, slots: int) -> pool.PoolConfig | None:
    """The pool a grading with ``options`` (backend and isolation already decided) can use; None: none can
    (a GPU is passed only to fresh containers)."""
    if getattr(options, "gpus", False) or options.backend not in ("local", "docker"):
        return None
    return pool.PoolConfig(
        backend=options.backend,
        isolation=options.isolation if options.backend == "local" else "auto",
        threads=int(options.threads),
        slots=max(1, int(slots)),
        image=getattr(options, "image", None),
    )


def _kill_server(pid: int) -> None:
    """SIGKILL a server's process group (itself: its sandboxed parent dies with it, and the children with that)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def remains_of(pid: int) -> None:
    """What a server with this pid may have left when it was killed: its pool folders and its children's cgroups."""
    import tempfile

    from . import cgroups
    from .local import _kill_cgroup, _rmtree

    for d in Path(tempfile.gettempdir()).glob(f"nlp100-poolroot-{pid}-*"):
        _rmtree(d)
    for d in Path(tempfile.gettempdir()).glob(f"nlp100-docker-{pid}-pool-*"):
        _rmtree(d)
    lay = cgroups.layout()
    for base in dict.fromkeys(b for b in (lay.memory, lay.pids, lay.cpu) if b is not None):
        for cg in base.glob(f"{cgroups.PREFIX}{pid}-*"):
            _kill_cgroup(cg)
            try:
                cg.rmdir()
            except OSError:
                pass


class OwnedPool:
    """A pool server that this process starts for itself (``grade-batch``, a Dask worker), in a private folder; it
    stops with ``stop()`` (``emergency()``: at once) or, through its lifeline, when this process is gone."""

    def __init__(self, config: pool.PoolConfig, cancelled=None):
        import tempfile

        self.folder = Path(tempfile.mkdtemp(prefix="nlp100-warm-"))
        self.socket = self.folder / "pool.sock"
        try:
            self.proc, self.info, self.lifeline = spawn(
                config,
                self.socket,
                lifeline=True,
                cancelled=cancelled,
                log_file=self.folder / "pool.log",
                remove_folder=True,
            )
        except BaseException:
            self._remove()
            raise
        self.pid = self.proc.pid

    def emergency(self) -> None:
        """Now (a second Ctrl-C): kill the server and with it the pool, then remove what it leaves."""
        _kill_server(self.pid)
        try:
            self.proc.wait(timeout=5)
        except Exception:  # noqa: BLE001
            pass
        if self.lifeline is not None:
            _close(self.lifeline)
            self.lifeline = None
        remains_of(self.pid)
        self._remove()

    def describe(self) -> str:
        return (
            f"warm pool: pid {self.info.get('pid')}, parent ready in {self.info.get('startup_s')} s, "
            f"{(self.info.get('config') or {}).get('slots')} at a time ({self.info.get('isolation')})"
        )

    def stop(self, timeout: float = 15.0) -> None:
        if self.lifeline is not None or self.proc.poll() is None:
            if self.lifeline is not None:
                _close(self.lifeline)
                self.lifeline = None
            try:
                self.proc.wait(timeout=timeout)
            except Exception:  # noqa: BLE001 - it lingers: at once
                self.emergency()
                return
        self._remove()

    def _remove(self) -> None:
        import shutil

        shutil.rmtree(self.folder, ignore_errors=True)


def sweep_roots() -> None:
    """Pool folders of servers that died without removing them (killed): removed."""
    import tempfile

    from .local import _rmtree

    for d in Path(tempfile.gettempdir()).glob("nlp100-poolroot-*-*"):
        try:
            pid = int(d.name.split("-")[2])
            if d.stat().st_uid == os.geteuid() and not Path(f"/proc/{pid}").exists():
                _rmtree(d)
        except (ValueError, IndexError, OSError):
            pass


def main(argv: list[str]) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="poold")
    ap.add_argument("--socket", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--lifeline", type=int)
    ap.add_argument("--ready", type=int)
    ap.add_argument(
        "--remove-folder", action="store_true", help="remove the socket's folder when stopping (an owned pool)"
    )
    args = ap.parse_args(argv)
    config = pool.PoolConfig.from_dict(json.loads(args.config))
    server = PoolServer(config, Path(args.socket))

    def ready(obj: dict) -> None:
        if args.ready is not None:
            try:
                os.write(args.ready, (json.dumps(obj, default=str) + "\n").encode())
                os.close(args.ready)
            except OSError:
                pass

    def on_signal(signum, frame):
        server.stopping.set()

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)
    sweep_roots()
    try:
        info = server.start()
    except Exception as e:  # noqa: BLE001 - PoolUnavailable, a socket in the way, ...
        server.stop()
        ready({"ok": False, "why": str(e)})
        return 1
    server.log(
        f"warm pool: pid {os.getpid()}, parent {info.get('parent_pid')} ready in {info.get('startup_s')} s "
        f"({info.get('isolation')}); socket {server.path}"
    )
    ready({"ok": True, **server.status()})
    try:
        server.serve_forever(args.lifeline)
    finally:
        if args.remove_folder:
            import shutil

            shutil.rmtree(server.path.parent, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
