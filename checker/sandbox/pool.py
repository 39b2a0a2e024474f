"""The warm pool, grader side: one sandboxed parent that imported torch once, forking one worker per submission.

``start(config)`` starts the parent (``forkserver.py``) in the sandbox the backend gives a fresh worker —
bubblewrap, the reduced isolation, or a container — and ``Parent.spawn`` makes a child for one launch:

* **channels**: the grader's pipes (requests, responses, stdout, stderr) reach the parent by SCM_RIGHTS over a
  SOCK_SEQPACKET socket that no child holds: inherited by the parent (local backends), or, in a container, a
  socket in a grader-owned folder to which the parent connects once, checked by its peer credentials, then
  removed; the parent forks, and the child serves the worker protocol on them;
* **folders**: a submission folder of its own (made by the grader, read-only to the child, never shown to
  another) and a private folder for work and TMPDIR (a sandbox's /tmp, or, reduced, a host folder owned by its
  uid), removed after it ends;
* **limits**: rlimits as a fresh worker's (the worker applies them at ``load``), a memory, pids and CPU-time
  cgroup of its own where the grader may make one (``cgroups.py``; under docker nested in the container's),
  moved into it by its host pid (``NSpid`` in ``/proc/PID/status``) before the grader sends it any work; in the
  reduced isolation as root its own dedicated uid (the parent keeps only CAP_SETUID and CAP_SETGID to switch to
  it; the switch drops them);
* **separation**: Landlock in every child (ABI >= 6: signals and abstract unix sockets scoped to its own
  domain; any ABI: no ptrace-like access to processes outside it), seccomp against SysV and POSIX-queue IPC,
  its own session and process group, every other descriptor closed (``forkserver.py``).

**Tampering.**  The parent never runs submission code, but a child that escaped its confinement could reach
it.  Before each fork the grader checks what the operating system says about the parent (same process and
start time, not traced, exactly one thread, the same uid and capabilities, executable mappings and executable
unchanged since it said hello, CPU time within what forking costs) and that it echoes a fresh nonce; each
child must be a new child of the parent's (its parent pid and start time) and its first frame must carry its
launch's nonce.  On any doubt, or when the parent dies, the pool is **broken**: the parent is killed (its
children with it), every client is told, and graders use fresh workers (``pooled.PoolLauncher``).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import cgroups, identity, visibility
from .limits import Limits
from .local import (
    HERE,
    KILL_WAIT_S,
    SANDBOX_WORKER,
    WORKER_FILES,
    _private_dir,
    _proc_stat,
    _rmtree,
    bwrap_root,
    choose,
    sandbox_env,
    tree_cpu_seconds,
)
from .probe import probe

POOL_FILES = WORKER_FILES + ("landlock.py", "forkserver.py")
CHILD_ROOT = "/tmp/nlp100-pool"  # children's folders inside a bubblewrap sandbox or a container
SANDBOX_SUBS = "/submissions"  # the grader's submission folders, read-only, inside them
MIN_LANDLOCK = 6  # signal and abstract-socket scoping: children cannot reach each other
MAX_MESSAGE = 1 << 16
START_TIMEOUT_S = 180.0
REPLY_TIMEOUT_S = 15.0
# CPU time the parent may use: the import is before the baseline; then forks (page tables), JSON, waking up once a s
CPU_BASE_S, CPU_PER_FORK_S, CPU_PER_S = 2.0, 0.3, 0.02
CAP_KILL, CAP_SETGID, CAP_SETUID = 5, 6, 7
PR_CAPBSET_DROP, PR_SET_SECUREBITS, PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, PR_SET_PDEATHSIG = 24, 28, 47, 2, 1
# NOROOT (locked), SETUID fixup kept and locked (a change of uid drops every capability), KEEP_CAPS off and locked
SECUREBITS_SETUID_ONLY = 0x1 | 0x2 | 0x8 | 0x20


class PoolUnavailable(Exception):
    """No pooled child this time (the pool is busy, does not match, or cannot be had): use a fresh worker."""


class PoolBroken(PoolUnavailable):
    """The parent died, or the grader doubts it: the pool serves no child any more."""


@dataclass(frozen=True)
class PoolConfig:
    backend: str = "local"  # local | docker
    isolation: str = "auto"  # the local backend's, as asked: auto | bwrap | rlimits
    threads: int = 1
    slots: int = 4  # children at a time
    image: str | None = None
    memory_mb: int = 8192  # the most one child may be given (78 asks 8192)
    tmpfs_mb: int = 512  # each child's share of the sandbox's /tmp
    nproc: int = 64

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "PoolConfig":
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        return cls(**known)


@dataclass
class Child:
    id: str
    nonce: str
    ns_pid: int
    host_pid: int
    start: int  # its start time (clock ticks after boot): the pid is this process only
    subdir: Path  # host folder of its submission
    sandbox_subdir: str
    sandbox_workdir: str
    workdir: Path | None  # host path of its work dir where the host shares it (reduced)
    kid: Path | None  # host folder of its work dir and TMPDIR (reduced), removed after it
    isolation: str
    group: cgroups.WorkerCgroup | None = None
    uid: int | None = None
    status: int | None = None
    broken: str | None = None
    exited: threading.Event = field(default_factory=threading.Event)
    finished: bool = False
    on_exit: object = None


# -- what /proc says ---------------------------------------------------------------------------------


def _status(pid: int) -> dict[str, str]:
    try:
        with open(f"/proc/{pid}/status") as fh:
            return {k: v.strip() for k, _, v in (line.partition(":") for line in fh)}
    except OSError:
        return {}


def _start_ticks(pid: int) -> int | None:
    st = _proc_stat(pid)
    try:
        return int(st[19]) if st else None
    except (IndexError, ValueError):
        return None


def _cpu_ticks(pid: int) -> int | None:
    st = _proc_stat(pid)
    try:
        return int(st[11]) + int(st[12]) if st else None
    except (IndexError, ValueError):
        return None


def _now_ticks() -> int:
    with open("/proc/uptime") as fh:
        return int(float(fh.read().split()[0]) * os.sysconf("SC_CLK_TCK"))


def _children_of(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(x) for x in fh.read().split()]
    except OSError:
        out = []
        for d in os.listdir("/proc"):
            st = _proc_stat(int(d)) if d.isdigit() else None
            if st and st[1] == str(pid):
                out.append(int(d))
        return out


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        kids = _children_of(p)
        out += kids
        todo += kids
    return out


def _ns_pid(pid: int) -> int | None:
    ns = _status(pid).get("NSpid", "").split()
    return int(ns[-1]) if ns else None


def _alive(pid: int, start: int | None) -> bool:
    st = _proc_stat(pid)
    if st is None or st[0] in ("Z", "X"):
        return False
    return start is None or _start_ticks(pid) == start


def _xmaps(pid: int) -> str | None:
    """A digest of the parent's executable mappings (None where the grader may not read them)."""
    try:
        with open(f"/proc/{pid}/maps") as fh:
            rows = sorted(
                {(ln.split()[1], ln.split()[-1] if len(ln.split()) > 5 else "") for ln in fh if "x" in ln.split()[1]}
            )
    except (OSError, IndexError):
        return None
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def _exe(pid: int) -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return None


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


# -- the parent ---------------------------------------------------------------------------------------


class Parent:
    """One sandboxed fork server, the socket to it, and the children it made."""

    def __init__(self, config: PoolConfig, mode: str, ctl: socket.socket, root: Path, subs: Path, base_desc: str):
        self.config, self.mode, self.ctl, self.root, self.subs, self.base_desc = (
            config,
            mode,
            ctl,
            root,
            subs,
            base_desc,
        )
        self.kids: Path | None = None
        self.proc: subprocess.Popen | None = None
        self.container = None  # the docker container (its id)
        self.host_pid = 0
        self.hello: dict = {}
        self.baseline: dict = {}
        self.broken: str | None = None
        self.forks = 0
        self.children: dict[str, Child] = {}
        self.uids: set[int] = set()
        self.uid_children = False  # reduced isolation as root: a dedicated uid per child
        self.root_user = os.geteuid() == 0
        self.child_layout: cgroups.Layout | None = None
        self.group: cgroups.WorkerCgroup | None = None
        self.stderr_tail = bytearray()
        self.cond = threading.Condition()
        self.replies: dict[tuple, dict] = {}
        self.pings: set[str] = set()
        self.last_ping = 0.0
        self.send_lock = threading.Lock()
        self.fork_lock = threading.Lock()  # a fork and its host pid, against a sweep of orphans
        self.closed = False
        self.started = time.monotonic()
        self.cleanups: list = []

    # -- talking to it --------------------------------------------------------------------------
    def _send(self, obj: dict, fds: Sequence[int] = ()) -> None:
        data = json.dumps(obj).encode()
        with self.send_lock:
            if fds:
                socket.send_fds(self.ctl, [data], list(fds))
            else:
                self.ctl.send(data)

    def _wait(self, key: tuple, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        with self.cond:
            while key not in self.replies:
                if self.broken:
                    raise PoolBroken(self.broken)
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.cond.wait(left)
            else:
                return self.replies.pop(key)
        self.break_("the pool's parent did not answer within %.0f s" % timeout)
        raise PoolBroken(self.broken)

    def _reader(self) -> None:
        while True:
            try:
                data = self.ctl.recv(MAX_MESSAGE)
            except OSError:
                data = b""
            if not data:
                self.break_("the pool's parent exited" + self._tail())
                return
            try:
                msg = json.loads(data)
                op = msg["op"]
            except (ValueError, KeyError, TypeError):
                self.break_("the pool's parent sent something that is not a message")
                return
            if op == "exited":
                ch = self.children.get(str(msg.get("id")))
                if ch is not None:
                    self._exited(ch, msg.get("status") if isinstance(msg.get("status"), int) else -9, None)
                continue
            if op not in ("forked", "killed", "cleaned", "pong"):
                self.break_(f"the pool's parent sent an unexpected message ({str(op)[:40]})")
                return
            key = (op, str(msg.get("nonce") if op == "pong" else msg.get("id")))
            if op == "pong" and key[1] not in self.pings:
                self.break_("the pool's parent is not trusted any more: it did not echo the nonce")
                return
            with self.cond:
                self.replies[key] = msg
                self.cond.notify_all()

    def _exited(self, ch: Child, status: int, broken: str | None) -> None:
        if ch.exited.is_set():
            return
        ch.status, ch.broken = status, broken
        ch.exited.set()
        if callable(ch.on_exit):
            try:
                ch.on_exit(ch)
            except Exception:  # noqa: BLE001 - a client that went away
                pass

    def _tail(self) -> str:
        t = bytes(self.stderr_tail[-1500:]).decode("utf-8", "replace").strip()
        return f" ({t})" if t else ""

    def break_(self, why: str) -> None:
        """No more children from this parent: kill it (its children die with it) and tell every client."""
        with self.cond:
            if self.broken is None:
                self.broken = why
            self.cond.notify_all()
        self._kill_parent()
        for ch in list(self.children.values()):  # not left to their death signal: killed here, now
            if not ch.finished:
                if ch.group is not None:
                    ch.group.kill(KILL_WAIT_S)
                if ch.uid is not None:
                    identity.kill_uid(ch.uid, KILL_WAIT_S)
                if ch.host_pid and _alive(ch.host_pid, ch.start):
                    for p in [*_descendants(ch.host_pid), ch.host_pid]:
                        _kill(p)
                self._exited(ch, -9, self.broken)

    # -- checks ----------------------------------------------------------------------------------
    def check_alive(self) -> None:
        """Break the pool now if the parent is gone (before the reader thread has seen its socket close)."""
        if not self.broken and self.host_pid and not _alive(self.host_pid, self.baseline.get("start")):
            self.break_("the pool's parent exited" + self._tail())

    def _snapshot(self) -> dict:
        st = _status(self.host_pid)
        return {
            "start": _start_ticks(self.host_pid),
            "uid": st.get("Uid"),
            "gid": st.get("Gid"),
            "caps": st.get("CapEff"),
            "bnd": st.get("CapBnd"),
            "exe": _exe(self.host_pid),
            "xmaps": _xmaps(self.host_pid),
            "cpu": _cpu_ticks(self.host_pid),
            "t": time.monotonic(),
        }

    def verify(self, ping: bool | None = None) -> None:
        """Raise PoolBroken (and break the pool) unless the parent is the process that said hello, untouched.

        What /proc says is checked every time; the ping (a fresh nonce echoed) when ``ping``, or when the last one
        is more than a second old (each fork's answer echoes its launch's nonce as well)."""
        if self.broken:
            raise PoolBroken(self.broken)
        why = self._doubt()
        if ping is None:
            ping = time.monotonic() - self.last_ping > 1.0
        if why is None and ping:
            self.last_ping = time.monotonic()
            nonce = secrets.token_hex(8)
            self.pings.add(nonce)
            try:
                self._send({"op": "ping", "nonce": nonce})
                pong = self._wait(("pong", nonce), REPLY_TIMEOUT_S)
            except OSError:
                pong = {}
            finally:
                self.pings.discard(nonce)
            if pong.get("nonce") != nonce:
                why = "it did not echo the nonce"
            elif pong.get("threads") != 1:
                why = f"it says it has {pong.get('threads')} threads"
        if why is not None:
            self.break_(f"the pool's parent is not trusted any more: {why}")
            raise PoolBroken(self.broken)

    def _doubt(self) -> str | None:
        st = _status(self.host_pid)
        if not st or st.get("State", "Z")[:1] in ("Z", "X"):
            return "it is gone"
        if st.get("State", "")[:1] in ("T", "t"):
            return "it is stopped or traced"
        if st.get("TracerPid", "0") != "0":
            return f"it is traced (by {st.get('TracerPid')})"
        if st.get("Threads") != "1":
            return f"it runs {st.get('Threads')} threads"
        if _ns_pid(self.host_pid) != self.hello.get("pid"):
            return "its pid changed"
        now, base = self._snapshot(), self.baseline
        for k in ("start", "uid", "gid", "caps", "bnd", "exe", "xmaps"):
            if base.get(k) is not None and now.get(k) != base.get(k):
                return f"its {k} changed"
        if base.get("cpu") is not None and now.get("cpu") is not None:
            used = (now["cpu"] - base["cpu"]) / os.sysconf("SC_CLK_TCK")
            allowed = CPU_BASE_S + CPU_PER_FORK_S * self.forks + CPU_PER_S * (now["t"] - base["t"])
            if used > allowed:
                return f"it used {used:.1f} s of CPU time since it started, more than forking needs ({allowed:.1f} s)"
        return None

    def _after_hello(self, hello: dict) -> None:
        if hello.get("op") != "hello":
            raise PoolUnavailable("the pool's parent did not say hello")
        if hello.get("threads") != 1:
            raise PoolUnavailable(
                f"the pool's parent runs {hello.get('threads')} threads after importing torch (forking needs one)"
            )
        if int(hello.get("landlock") or 0) < MIN_LANDLOCK:
            raise PoolUnavailable(
                f"the sandbox has Landlock ABI {hello.get('landlock')}; the pool needs {MIN_LANDLOCK} "
                "(signal scoping) to keep its children apart"
            )
        self.hello = hello
        threading.Thread(target=self._reader, name="nlp100-pool-reader", daemon=True).start()
        self.baseline = self._snapshot()

    # -- children --------------------------------------------------------------------------------
    def spawn(self, limits: Limits, fds: list[int], nonce: str, on_exit=None) -> Child:
        """A new child for one launch, on the grader's pipes ``fds`` (req_r, resp_w, out_w, err_w; the caller closes them)."""
        self.verify()
        cid = secrets.token_hex(8)
        sub = self.subs / cid
        sub.mkdir(mode=0o755)
        os.chmod(sub, 0o755)
        uid = None
        kid = None
        try:
            if self.uid_children:
                uid = self._pick_uid()
            if self.mode == "rlimits":
                assert self.kids is not None  # set for this mode (_start_local)
                kid = _private_dir(self.kids / cid, uid)
                work, tmp = _private_dir(kid / "work", uid), _private_dir(kid / "tmp", uid)
                sandbox_sub, read, write, mkdirs = str(sub), [str(sub)], [str(kid)], []
                work_s, tmp_s = str(work), str(tmp)
            else:
                base = f"{CHILD_ROOT}/{cid}"
                work_s, tmp_s = f"{base}/work", f"{base}/tmp"
                sandbox_sub, read, write, mkdirs = (
                    f"{SANDBOX_SUBS}/{cid}",
                    [f"{SANDBOX_SUBS}/{cid}"],
                    [base],
                    [base, work_s, tmp_s],
                )
            nproc = limits.nproc if uid is not None else (None if self.root_user else _user_processes() + limits.nproc)
        except BaseException:
            shutil.rmtree(sub, ignore_errors=True)
            if kid is not None:
                _rmtree(kid)
            self.uids.discard(uid)
            raise
        ch = Child(
            cid,
            nonce,
            0,
            0,
            0,
            sub,
            sandbox_sub,
            work_s,
            Path(work_s) if kid else None,
            kid,
            "",
            None,
            uid,
            on_exit=on_exit,
        )
        self.children[cid] = ch
        req = {
            "op": "fork",
            "id": cid,
            "nonce": nonce,
            "mkdirs": mkdirs,
            "read": read,
            "write": write,
            "cwd": work_s,
            "env": sandbox_env(limits, home=tmp_s),
            "threads": limits.threads,
            "uid": uid,
            "nproc": nproc,
        }
        try:
            with self.fork_lock:
                t0 = _now_ticks()
                self._send(req, fds)
                self.forks += 1
                # the child's cgroups, made while the parent forks (it gets no work before it is in them)
                ch.group = group = (
                    cgroups.create(limits.memory_mb, limits.nproc, self.child_layout) if self.child_layout else None
                )
                rep = self._wait(("forked", cid), REPLY_TIMEOUT_S)
                if rep.get("pid") is None:
                    raise PoolUnavailable(f"the pool's parent could not fork: {str(rep.get('error'))[:300]}")
                if rep.get("nonce") != nonce:
                    self.break_("the pool's parent answered a fork with another nonce")
                    raise PoolBroken(self.broken)
                ch.ns_pid = int(rep["pid"])
                ch.host_pid, ch.start = self._host_child(ch.ns_pid, t0)
            if group is not None:
                for d in group.dirs:
                    (d / "cgroup.procs").write_text(str(ch.host_pid))
            ch.isolation = self.describe(ch, group)
            return ch
        except BaseException:
            self.finish(ch)
            raise

    def _host_child(self, ns_pid: int, t0: int) -> tuple[int, int]:
        for _ in range(200):
            for pid in _children_of(self.host_pid):
                if _ns_pid(pid) == ns_pid:
                    start = _start_ticks(pid)
                    known = {c.host_pid for c in self.children.values() if c.host_pid}
                    if start is None or start + 2 < t0 or pid in known:
                        break
                    return pid, start
            time.sleep(0.005)
        self.break_("a child it reported is not a new child of it")
        raise PoolBroken(self.broken)

    def _pick_uid(self) -> int:
        for _ in range(8):
            uid = identity.pick_id()
            if uid is not None and uid not in self.uids:
                self.uids.add(uid)
                return uid
        raise PoolUnavailable("no free dedicated uid for a pooled child")

    def describe(self, ch: Child, group: cgroups.WorkerCgroup | None) -> str:
        abi = self.hello.get("landlock")
        who = ""
        if self.mode == "rlimits":
            who = (
                f"runs as uid {ch.uid}, "
                if ch.uid is not None
                else "runs as root without capabilities, "
                if self.root_user
                else "runs as your own user, "
            )
        procs = (
            f"pids cgroup (max {group.nproc})"
            if group is not None and group.nproc
            else "no per-child process cap"
            if self.root_user and ch.uid is None
            else "nproc rlimit"
        )
        mem = (
            f"memory cgroup {group.memory_mb} MB"
            if group is not None and group.memory_mb
            else (
                "memory: the container's and the address-space rlimit"
                if self.mode == "docker"
                else "memory: address-space rlimit only (no memory cgroup here)"
            )
        )
        return (
            f"{self.base_desc}; warm pool: a child forked for this submission, {who}its own folders, session and "
            f"rlimits, Landlock ABI {abi} (other children's files, signals and memory out of reach), no SysV IPC, "
            f"{procs}, {mem}"
        )

    def kill_child(self, ch: Child) -> None:
        if not ch.exited.is_set() and not self.broken:
            try:
                self._send({"op": "kill", "id": ch.id})
                self._wait(("killed", ch.id), REPLY_TIMEOUT_S)
            except (OSError, PoolBroken):
                pass
        if ch.group is not None:
            ch.group.kill(KILL_WAIT_S)
        if ch.uid is not None:
            identity.kill_uid(ch.uid, KILL_WAIT_S)
        if ch.host_pid and _alive(ch.host_pid, ch.start):
            for p in _descendants(ch.host_pid):
                _kill(p)
            _kill(ch.host_pid)

    def finish(self, ch: Child, answer=None) -> list[int]:
        """Kill a child and everything it started, remove its folders; returns the pids that survived.

        ``answer(survivors)`` is called as soon as every process of the child is gone (or known to survive),
        before its folders and cgroups are removed."""
        if ch.finished:
            if answer is not None:
                answer([])
            return []
        self.kill_child(ch)
        deadline = time.monotonic() + KILL_WAIT_S
        while ch.host_pid and _alive(ch.host_pid, ch.start) and time.monotonic() < deadline:
            time.sleep(0.01)
        if not self.broken:
            with self.fork_lock:
                live = {c.host_pid for c in self.children.values() if c is not ch and not c.finished}
                for p in _children_of(self.host_pid):  # a daemon of a child, come back to the parent
                    if p not in live:
                        for q in [*_descendants(p), p]:
                            _kill(q)
        left: list[int] = []
        if ch.group is not None:
            left += sorted(ch.group.procs())
        if ch.uid is not None:
            left += identity.processes_of(ch.uid)
        if ch.host_pid and _alive(ch.host_pid, ch.start):
            left.append(ch.host_pid)
        left = sorted(set(left))
        if answer is not None:
            answer(left)
        if not self.broken:
            try:
                self._send({"op": "clean", "id": ch.id})
                self._wait(("cleaned", ch.id), REPLY_TIMEOUT_S)
            except (OSError, PoolBroken):
                pass
        if ch.uid is not None:
            identity.remove_leftovers(ch.uid)
        if ch.group is not None:
            ch.group.remove()
        shutil.rmtree(ch.subdir, ignore_errors=True)
        if ch.kid is not None:
            _rmtree(ch.kid)
        if not left:
            self.uids.discard(ch.uid)
        ch.finished = True
        if not ch.exited.is_set():
            self._exited(ch, -9, None)
        self.children.pop(ch.id, None)
        return left

    def cpu_source(self, ch: Child) -> dict:
        """Where a client reads the child's CPU time: its cgroup's file, else its host process tree."""
        if ch.group is not None and ch.group.cpu is not None:
            name = "cpu.stat" if ch.group.version == "v2" else "cpuacct.usage"
            return {"cpu_file": str(ch.group.cpu / name), "cpu_version": ch.group.version}
        return {}

    # -- the end ----------------------------------------------------------------------------------
    def _kill_parent(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            _kill(self.proc.pid)
        if self.host_pid:
            _kill(self.host_pid)
        if self.container is not None:
            _remove_container(self.container)

    def close(self) -> None:
        """Stop the parent (every child with it) and remove everything of the pool."""
        if self.closed:
            return
        self.closed = True
        for ch in list(self.children.values()):
            try:
                self.finish(ch)
            except Exception:  # noqa: BLE001
                pass
        if not self.broken:
            try:
                self._send({"op": "exit"})
            except OSError:
                pass
        if self.proc is not None:
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        with self.cond:
            self.broken = self.broken or "the pool was stopped"
            self.cond.notify_all()
        self._kill_parent()
        if self.proc is not None:
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:  # pragma: no cover
                pass
        try:
            self.ctl.close()
        except OSError:
            pass
        if self.group is not None:
            self.group.kill(KILL_WAIT_S)
            self.group.remove()
        for fn in self.cleanups:
            try:
                fn()
            except Exception:  # noqa: BLE001
                pass
        _rmtree(self.root)

    def status(self) -> dict:
        st = _status(self.host_pid) if self.host_pid else {}
        return {
            "parent_pid": self.host_pid,
            "mode": self.mode,
            "isolation": self.base_desc,
            "broken": self.broken,
            "forks": self.forks,
            "live": sum(1 for c in self.children.values() if not c.finished),
            "parent_threads": st.get("Threads"),
            "parent_rss_kb": st.get("VmRSS"),
            "landlock": self.hello.get("landlock"),
            "startup_s": self.hello.get("startup_s"),
        }


def _user_processes() -> int:
    from .local import _count_processes

    return _count_processes(os.geteuid())


def _drain(stream, buf: bytearray) -> None:
    try:
        while True:
            chunk = stream.read1(1 << 14) if hasattr(stream, "read1") else stream.read(1 << 14)
            if not chunk:
                return
            buf += chunk
            del buf[:-8192]
    except (OSError, ValueError):
        pass


# -- starting one: local --------------------------------------------------------------------------


def start(config: PoolConfig) -> Parent:
    """Start a pool's parent for ``config`` and wait until it has imported torch (PoolUnavailable: it cannot)."""
    if config.backend == "docker":
        return _start_docker(config)
    return _start_local(config)


def _pool_limits(config: PoolConfig) -> Limits:
    return Limits(threads=config.threads, tmpfs_mb=config.tmpfs_mb * config.slots + 64)


def _pool_bwrap_args(bw: str, config: PoolConfig, env: dict, subs: Path, ctl_fd: int) -> list[str]:
    args = bwrap_root(bw, _pool_limits(config).tmpfs_mb * 1024 * 1024, POOL_FILES)
    args += ["--ro-bind", str(subs), SANDBOX_SUBS, "--remount-ro", "/", "--chdir", "/tmp", "--clearenv"]
    for k, v in env.items():
        args += ["--setenv", k, v]
    return args + [sys.executable, "-I", "-B", f"{SANDBOX_WORKER}/forkserver.py", "--control", str(ctl_fd)]


def setuid_keeper():
    """For the reduced parent of a root grader, between fork and exec: every capability but CAP_SETUID, CAP_SETGID
    and CAP_KILL gone for good (bounding set, NOROOT), those kept across exec (ambient) so that it can give each child
    its dedicated uid (and its death signal reaches that uid: the kernel checks the dying parent's right to signal;
    Landlock's signal scoping still limits it to its own children); a child's change of uid drops them all (the
    SETUID fixup stays on, locked)."""
    import ctypes
    import struct

    libc = ctypes.CDLL(None, use_errno=True)
    kept = (CAP_KILL, CAP_SETGID, CAP_SETUID)
    keep = sum(1 << c for c in kept)
    header = ctypes.create_string_buffer(struct.pack("=Ii", 0x20080522, 0), 8)
    data = ctypes.create_string_buffer(struct.pack("=6I", keep, keep, keep, 0, 0, 0), 24)

    def run() -> None:
        if libc.prctl(PR_SET_SECUREBITS, SECUREBITS_SETUID_ONLY, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECUREBITS)")
        for cap in range(64):
            if cap not in kept:
                libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)
        if libc.syscall(126 if os.uname().machine == "x86_64" else 91, header, data) != 0:  # capset
            raise OSError(ctypes.get_errno(), "capset")
        for cap in kept:
            if libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0:
                raise OSError(ctypes.get_errno(), "prctl(PR_CAP_AMBIENT_RAISE)")

    return run


def _start_local(config: PoolConfig) -> Parent:
    p = probe()
    try:
        mode, why = choose(config.isolation, p)
    except Exception as e:  # noqa: BLE001 - SandboxError: --isolation bwrap without a working bubblewrap
        raise PoolUnavailable(str(e)) from None
    if p.landlock < MIN_LANDLOCK:
        raise PoolUnavailable(
            f"this kernel has Landlock ABI {p.landlock}; the warm pool needs {MIN_LANDLOCK} "
            "(signal scoping) to keep its children apart"
        )
    root = Path(tempfile.mkdtemp(prefix=f"nlp100-poolroot-{os.getpid()}-"))
    os.chmod(root, 0o711)
    subs = root / "subs"
    subs.mkdir()
    os.chmod(subs, 0o755)
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    limits = _pool_limits(config)
    uid_children = mode == "rlimits" and p.root and not p.drop
    if mode == "bwrap":
        env = sandbox_env(limits)
        assert p.bwrap.path is not None  # usable: found
        cmd = _pool_bwrap_args(p.bwrap.path, config, env, subs, theirs.fileno())
        desc = "bubblewrap: read-only root, private /tmp, new user/pid/network/ipc/uts namespaces"
        cwd = root
    else:
        kids = root / "kids"
        kids.mkdir()
        os.chmod(kids, 0o711)
        ptmp = _private_dir(root / "ptmp", None)
        wdir = root / "worker"
        wdir.mkdir()
        for f in POOL_FILES:
            shutil.copyfile(HERE / f, wdir / f)
            os.chmod(wdir / f, 0o444)
        os.chmod(wdir, 0o755)
        spec = visibility.confine_spec([str(wdir), str(subs)], [str(kids), str(ptmp)], shm=False)
        (wdir / "confine.json").write_text(json.dumps(spec), encoding="utf-8")
        env = sandbox_env(limits, home=str(ptmp))
        cmd = [
            sys.executable,
            "-I",
            "-B",
            str(wdir / "forkserver.py"),
            "--confine",
            str(wdir / "confine.json"),
            "--control",
            str(theirs.fileno()),
        ]
        desc = f"reduced ({why}): rlimits, Landlock"
        cwd = ptmp
    group = cgroups.create(config.memory_mb, 2 * config.slots + 16, p.cgroups)
    parent = Parent(config, mode, ours, root, subs, desc)
    parent.group = group
    parent.uid_children = uid_children
    parent.child_layout = p.cgroups if group is not None else None
    if mode == "rlimits":
        parent.kids = root / "kids"
    caps = (
        setuid_keeper() if uid_children else identity.capability_dropper() if (mode == "rlimits" and p.root) else None
    )
    deathsig = identity.death_signal_setter() if mode == "rlimits" else None

    def preexec():
        if group is not None:
            group.join()
        if caps is not None:
            caps()
        if deathsig is not None:
            deathsig()

    try:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=str(cwd),
            env=env,
            pass_fds=(theirs.fileno(),),
            start_new_session=True,
            preexec_fn=preexec,
        )
    except BaseException:
        theirs.close()
        parent.close()
        raise
    theirs.close()
    parent.proc = proc
    threading.Thread(target=_drain, args=(proc.stderr, parent.stderr_tail), daemon=True).start()
    try:
        hello = _recv_hello(ours, proc)
        if mode == "rlimits":
            parent.host_pid = proc.pid
        else:
            parent.host_pid = next((q for q in _descendants(proc.pid) if _ns_pid(q) == hello.get("pid")), 0)
            if not parent.host_pid:
                raise PoolUnavailable("the pool's parent is not found inside its sandbox")
        parent._after_hello(hello)
    except PoolUnavailable as e:
        parent.broken = str(e)
        parent.close()
        raise PoolUnavailable(f"{e}{parent._tail()}") from None
    except BaseException:
        parent.close()
        raise
    return parent


def _recv_hello(sock: socket.socket, proc=None, timeout: float = START_TIMEOUT_S) -> dict:
    sock.settimeout(timeout)
    try:
        data = sock.recv(MAX_MESSAGE)
    except socket.timeout:
        raise PoolUnavailable(f"the pool's parent did not start within {timeout:.0f} s") from None
    except OSError as e:
        raise PoolUnavailable(f"the pool's parent did not start ({e})") from None
    finally:
        sock.settimeout(None)
    if not data:
        rc = proc.wait(timeout=5) if proc is not None else None
        raise PoolUnavailable(f"the pool's parent exited while starting (status {rc})")
    try:
        return json.loads(data)
    except ValueError:
        raise PoolUnavailable("the pool's parent said something that is not a message at start") from None


# -- starting one: docker --------------------------------------------------------------------------


def _remove_container(cid: str) -> None:
    try:
        from .docker import engine as db

        api = db._fresh_api(timeout=20)
        try:
            api.remove_container(cid, force=True)
        finally:
            api.close()
    except Exception:  # noqa: BLE001 - gone already, or the engine went away
        pass


def _container_layout(pid: int) -> cgroups.Layout | None:
    """The container's own v1 cgroups (to nest a cgroup per child in), where this grader may write them."""
    lay = cgroups.layout()
    if lay.version not in ("v1", "hybrid") or os.geteuid() != 0:
        return None
    own = cgroups.own_paths(Path(f"/proc/{pid}/cgroup").read_text())
    dirs = {c: cgroups.MOUNT / c / own.get(c, "/").lstrip("/") for c in cgroups.V1_CONTROLLERS if c in own}
    ok = {c: d for c, d in dirs.items() if os.access(d / "cgroup.procs", os.W_OK)}
    if not ok.get("memory") and not ok.get("pids"):
        return None
    return cgroups.Layout(lay.version, lay.controllers, ok.get("memory"), ok.get("pids"), ok.get("cpuacct"))


def _start_docker(config: PoolConfig) -> Parent:
    from types import SimpleNamespace

    from .docker import engine as db

    image = db.image_name(SimpleNamespace(image=config.image, gpus=False))
    try:
        api = db._client().api
        api.ping()
        api.inspect_image(image)
    except Exception as e:  # noqa: BLE001
        raise PoolUnavailable(f"docker: no engine or no image {image} ({db._explain(e)})") from None
    root = Path(tempfile.mkdtemp(prefix=f"nlp100-docker-{os.getpid()}-pool-"))  # 0700; swept if we die
    subs, chan = root / "subs", root / "ctl"
    subs.mkdir()
    chan.mkdir()
    os.chmod(subs, 0o755)
    os.chmod(chan, 0o755)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    sock_path = chan / "pool.sock"
    listener.bind(str(sock_path))
    if os.geteuid() == 0:
        os.chown(sock_path, db.SANDBOX_UID, db.SANDBOX_UID)
        os.chmod(sock_path, 0o600)
    else:
        os.chmod(sock_path, 0o666)  # the enclosing 0700 folder keeps other host users out
    listener.listen(1)
    limits = _pool_limits(config)
    ncpu = os.cpu_count() or 1
    cpus = float(min(ncpu, max(1, config.threads) * config.slots))
    mem = f"{config.memory_mb * (config.slots + 1)}m"
    name = f"nlp100-pool-{secrets.token_hex(6)}"
    env = sandbox_env(limits)
    binds = {str(subs): {"bind": SANDBOX_SUBS, "mode": "ro"}, str(chan): {"bind": "/ctl", "mode": "ro"}}
    for f in POOL_FILES:
        binds[str(HERE / f)] = {"bind": f"{SANDBOX_WORKER}/{f}", "mode": "ro"}
    labels = {
        db.LABEL: "1",
        f"{db.LABEL}.session": db._SESSION,
        f"{db.LABEL}.host": db._HOST,
        f"{db.LABEL}.pid": str(os.getpid()),
        f"{db.LABEL}.deadline": f"{time.time() + 7 * 86400:.0f}",
        f"{db.LABEL}.pool": "1",
    }
    desc = (
        f"docker: network none, read-only root, non-root (uid {db.SANDBOX_UID}), cap-drop ALL, no-new-privileges "
        f"(image {image}; one container for the pool: memory {mem}, cpus {cpus:g})"
    )
    parent = Parent(config, "docker", listener, root, subs, desc)
    docker = db._docker()
    try:
        host_config = api.create_host_config(
            binds=binds,
            tmpfs={
                "/tmp": f"rw,nosuid,nodev,size={limits.tmpfs_mb}m,mode=1777",
                **{m: "ro,nosuid,nodev,noexec,size=64k,mode=0555" for m in db.IMAGE_MASKED},
            },
            read_only=True,
            network_mode="none",
            cap_drop=["ALL"],
            security_opt=["no-new-privileges"],
            mem_limit=mem,
            memswap_limit=mem,
            pids_limit=int(config.nproc * config.slots + 64),
            nano_cpus=int(cpus * 1e9),
            ulimits=[docker.types.Ulimit(name="core", soft=0, hard=0)],
            ipc_mode="private",
            log_config=docker.types.LogConfig(type="none"),
            auto_remove=False,
            init=False,
        )
        created = api.create_container(
            image=image,
            name=name,
            user=f"{db.SANDBOX_UID}:{db.SANDBOX_UID}",
            environment=env,
            working_dir="/tmp",
            labels=labels,
            host_config=host_config,
            hostname="sandbox",
            stdin_open=False,
            tty=False,
            command=[
                os.environ.get("NLP100_DOCKER_PYTHON", db.IMAGE_PYTHON),
                "-I",
                "-B",
                f"{SANDBOX_WORKER}/forkserver.py",
                "--connect",
                "/ctl/pool.sock",
            ],
        )
        parent.container = created["Id"]
        sock = api.attach_socket(parent.container, params={"stdout": 1, "stderr": 1, "stream": 1, "logs": 0})
        threading.Thread(target=_pump_attach, args=(sock, parent.stderr_tail), daemon=True).start()
        api.start(parent.container)
        init_pid = int(api.inspect_container(parent.container)["State"].get("Pid") or 0)
        listener.settimeout(START_TIMEOUT_S)
        try:
            conn, _ = listener.accept()
        except socket.timeout:
            raise PoolUnavailable(f"the pool's container did not connect within {START_TIMEOUT_S:.0f} s") from None
        finally:
            listener.close()
            sock_path.unlink(missing_ok=True)  # nothing else can connect to it now
        import struct

        peer_pid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))[0]
        if peer_pid != init_pid:
            conn.close()
            raise PoolUnavailable("the pool's control socket was reached by a process that is not the container's")
        parent.ctl = conn
        hello = _recv_hello(conn)
        parent.host_pid = peer_pid
        if _ns_pid(peer_pid) != hello.get("pid"):
            raise PoolUnavailable("the pool's parent is not the container's first process")
        parent.child_layout = _container_layout(peer_pid)
        parent._after_hello(hello)
    except PoolUnavailable as e:
        parent.broken = str(e)
        parent.close()
        raise PoolUnavailable(f"{e}{parent._tail()}") from None
    except Exception as e:  # noqa: BLE001 - the engine refused
        parent.broken = str(e)
        parent.close()
        raise PoolUnavailable(f"docker: could not start the pool's container ({db._explain(e)})") from None
    except BaseException:
        parent.close()
        raise
    return parent


def _pump_attach(sock, buf: bytearray) -> None:
    try:
        from docker.utils.socket import frames_iter

        for _stream, data in frames_iter(sock, tty=False):
            if data:
                buf += data
                del buf[:-8192]
    except Exception:  # noqa: BLE001
        pass


def cpu_seconds_from(info: dict, host_pid: int) -> float | None:
    """A pooled child's CPU seconds as the grader reads them (its cgroup's file, else its host process tree)."""
    f = info.get("cpu_file")
    if f:
        try:
            text = Path(f).read_text()
            if info.get("cpu_version") == "v2":
                stat = dict(line.split() for line in text.splitlines() if line.strip())
                return int(stat["usage_usec"]) / 1e6
            return int(text) / 1e9
        except (OSError, KeyError, ValueError):
            pass
    return tree_cpu_seconds(host_pid)
