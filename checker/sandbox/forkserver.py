"""The warm pool's parent, inside the sandbox: imports torch once, then forks one worker per submission.

Run as ``python -I -B forkserver.py --control FD`` (bubblewrap, reduced: a socket inherited from the grader)
or ``--connect PATH`` (a container: a socket the grader listens on once), with ``--confine SPEC`` in the
reduced isolation (Landlock for the parent itself, applied before torch is imported, as ``worker.py`` does).

The parent imports the worker, torch, numpy, matplotlib and torch's optimiser machinery, and never runs a
torch operation: torch's intra-op and inter-op thread pools are never started, and it has one thread when it
forks (``hello`` says how many; the grader checks it from /proc too).  It never reads anything a child sends,
never sees a submission and holds nothing of one child that another could find in the memory it inherits.

Control messages (SOCK_SEQPACKET, one JSON object each, file descriptors by SCM_RIGHTS):

  grader -> parent   fork {id, nonce, mkdirs, read, write, cwd, env, threads, uid}  + fds req_r, resp_w, out_w, err_w
                     kill {id}   clean {id}   ping {nonce}   exit
  parent -> grader   hello {pid, threads, torch, landlock, startup_s}   forked {id, pid, nonce}
                     exited {id, status}   killed {id}   cleaned {id}   pong {nonce, threads, children}

A forked child, before it answers anything: its own session and process group; stdin /dev/null and stdout,
stderr on the grader's pipes; every other descriptor closed (the control socket first); its uid where the grader
gave one (reduced isolation as root: the dedicated uid); death with the parent; no SysV or POSIX message-queue
IPC (seccomp: the children of one parent share an IPC namespace); Landlock: reads of the system, the Python
installation and its own submission folder, writes to its own folder only, no TCP, signals and abstract unix
sockets only within its own domain, and no ptrace-like access to anything outside it (its siblings and the
parent included); its own environment, working folder and thread count.  Then it serves the worker protocol
(``worker.py``) on the grader's pipes, and is never reused.
"""

from __future__ import annotations

import ctypes
import json
import os
import select
import shutil
import signal
import socket
import struct
import sys
import sysconfig
import time

_T0 = time.perf_counter()
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import landlock  # noqa: E402
import wire  # noqa: E402,F401

if __name__ == "__main__" and "--confine" in sys.argv:  # reduced isolation: before torch starts any thread
    landlock.restrict_from(sys.argv[sys.argv.index("--confine") + 1])

import worker  # noqa: E402  (imports torch)
import torch  # noqa: E402

FRESH = {name.partition(".")[0] for name in sys.modules}  # what a fresh worker has loaded when it says ready

MAX_MESSAGE = 1 << 16
CHILD_ROOT = "/tmp/nlp100-pool"  # children's folders in a sandbox of its own (bubblewrap, container)
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32", "/proc", "/sys", "/dev")
ETC = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime", "/etc/nsswitch.conf", "/etc/fonts")
PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP = 1, 36, 38, 22
SECCOMP_MODE_FILTER = 2
# SysV IPC, POSIX message queues, ptrace-like access: EPERM in a child (x86_64, aarch64 syscall numbers)
DENIED = {
    0xC000003E: (29, 30, 31, 64, 65, 66, 67, 68, 69, 70, 71, 220, 240, 241, 242, 243, 244, 245, 101, 310, 311, 438),
    0xC00000B7: (
        186,
        187,
        188,
        189,
        190,
        191,
        192,
        193,
        194,
        195,
        196,
        197,
        180,
        181,
        182,
        183,
        184,
        185,
        117,
        270,
        271,
        438,
    ),
}


def _preload() -> None:
    """What a submission's first steps import, loaded once here and shared copy-on-write by every child."""
    import numpy  # noqa: F401
    import numpy.random  # noqa: F401  (imported by the worker's first seeding: 40 ms)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401
    import matplotlib.backends.backend_agg  # noqa: F401  (loaded by the first figure)
    import torch.optim  # noqa: F401
    import torch.utils.data  # noqa: F401

    try:
        import torch._dynamo  # noqa: F401  (imported by the first optimizer a submission builds: seconds)
    except Exception:  # noqa: BLE001 - an optional speed-up
        pass


def _threads() -> int:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return -1


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _python_dirs() -> list[str]:
    out = set()
    for c in (
        sys.base_prefix,
        sys.prefix,
        os.path.dirname(os.path.realpath(sys.executable)),
        *(sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")),
    ):
        out |= {c, os.path.realpath(c)}
    return sorted(d for d in out if os.path.isdir(d))


def _devices() -> list[str]:
    devs = [f"/dev/{d}" for d in ("null", "zero", "full")]
    try:
        devs += [f"/dev/{d}" for d in sorted(os.listdir("/dev")) if d.startswith("nvidia")]
    except OSError:
        pass
    return [d for d in devs if os.path.exists(d)]


def _seccomp() -> bool:
    """Deny SysV IPC, POSIX message queues and ptrace-like calls to this process and everything it starts."""
    import platform

    arch = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}.get(platform.machine())
    if arch is None:
        return False
    nrs = DENIED[arch]
    ld, jeq, ret = 0x20, 0x15, 0x06  # BPF_LD|BPF_W|BPF_ABS, BPF_JMP|BPF_JEQ|BPF_K, BPF_RET|BPF_K
    allow, deny = 0x7FFF0000, 0x00050000 | 1  # SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO | EPERM
    # another architecture's calls (i386's int 0x80 on x86_64: its ipc() multiplexer) are all refused
    prog = [(ld, 0, 0, 4), (jeq, 1, 0, arch), (ret, 0, 0, deny), (ld, 0, 0, 0)]
    if arch == 0xC000003E:  # the x32 ABI's numbers (nr | 0x40000000): all refused
        prog += [(0x35, 0, 1, 0x40000000), (ret, 0, 0, deny)]  # BPF_JMP|BPF_JGE|BPF_K
    for i, nr in enumerate(nrs):
        prog.append((jeq, len(nrs) - i, 0, nr))  # to the deny at the end
    prog += [(ret, 0, 0, allow), (ret, 0, 0, deny)]
    raw = b"".join(struct.pack("=HBBI", *ins) for ins in prog)
    buf = ctypes.create_string_buffer(raw, len(raw))
    fprog = struct.pack("=HxxxxxxQ", len(prog), ctypes.addressof(buf))
    fbuf = ctypes.create_string_buffer(fprog, len(fprog))
    libc = _libc()
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.c_void_p(ctypes.addressof(fbuf)), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP)")
    return True


def _close_others(keep: set[int]) -> None:
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass


def _rmtree(path: str) -> None:
    # Only folders inside the tree are opened up to be emptied: never the one that holds it (a tree that is gone
    # already, or removed meanwhile, made this chmod its parent, e.g. /tmp, to 0700)
    top = os.fspath(path).rstrip("/")

    def retry(fn, p, exc):
        parent = os.path.dirname(p)
        if isinstance(exc[1], FileNotFoundError) or not (parent == top or parent.startswith(top + "/")):
            return
        try:
            os.chmod(parent, 0o700)
            fn(p)
        except OSError:
            pass

    shutil.rmtree(path, onerror=retry)


def _status(st: int) -> int:
    """A wait status as Popen's returncode: the exit code, or -N for a death by signal N."""
    return os.waitstatus_to_exitcode(st)


def _proc_table() -> dict[int, int]:
    out = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat", "rb") as fh:
                    out[int(d)] = int(fh.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    return out


def _tree(table: dict[int, int], root: int) -> list[int]:
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += [c for c, pp in table.items() if pp == p]
    return out


class Parent:
    def __init__(self, ctl: socket.socket):
        self.ctl = ctl
        self.children: dict[int, str] = {}  # pid -> id (live, not yet reaped)
        self.dirs: dict[str, list[str]] = {}  # id -> folders made for it
        self.pids: dict[str, int] = {}  # id -> pid (until cleaned)
        self.base_read = sorted(set(SYSTEM_DIRS + ETC) | set(_python_dirs()) | {HERE})
        self.devices = _devices()
        self.me = os.getpid()
        self.t_fork = 0.0

    # -- plumbing ------------------------------------------------------------------------------
    def send(self, obj: dict) -> None:
        data = json.dumps(obj).encode()
        try:
            self.ctl.send(data)
        except OSError:
            pass

    # -- the loop --------------------------------------------------------------------------------
    def run(self) -> None:
        wake_r, wake_w = os.pipe()
        os.set_blocking(wake_r, False)
        os.set_blocking(wake_w, False)
        signal.set_wakeup_fd(wake_w)
        signal.signal(signal.SIGCHLD, lambda s, f: None)
        self.wake = (wake_r, wake_w)
        self.send(
            {
                "op": "hello",
                "pid": os.getpid(),
                "threads": _threads(),
                "torch": torch.__version__,
                "landlock": landlock.abi(),
                "startup_s": round(time.perf_counter() - _T0, 3),
                "uid": os.getuid(),
                "num_threads": torch.get_num_threads(),
            }
        )
        while True:
            watched: list[socket.socket | int] = [self.ctl, wake_r]
            r, _, _ = select.select(watched, [], [], 1.0)
            if wake_r in r:
                try:
                    while os.read(wake_r, 512):
                        pass
                except BlockingIOError:
                    pass
            self.reap()
            if self.ctl in r:
                try:
                    msg, fds, flags, _ = socket.recv_fds(self.ctl, MAX_MESSAGE, 8)
                except OSError:
                    msg, fds, flags = b"", [], 0
                if not msg:
                    self.shutdown()
                    return
                try:
                    req = json.loads(msg)
                    if flags & socket.MSG_TRUNC or not isinstance(req, dict):
                        raise ValueError("bad message")
                except ValueError:
                    for fd in fds:
                        os.close(fd)
                    continue
                if self.handle(req, fds) == "exit":
                    self.shutdown()
                    return

    def handle(self, req: dict, fds: list[int]) -> str | None:
        op = req.get("op")
        if op == "fork" and len(fds) == 4:
            self.fork(req, fds)
            return None
        for fd in fds:
            os.close(fd)
        if op == "kill":
            self.kill(str(req.get("id")))
            self.send({"op": "killed", "id": req.get("id")})
        elif op == "clean":
            cid = str(req.get("id"))
            for d in self.dirs.pop(cid, []):
                _rmtree(d)
            self.pids.pop(cid, None)
            self.send({"op": "cleaned", "id": req.get("id")})
        elif op == "ping":
            self.send({"op": "pong", "nonce": req.get("nonce"), "threads": _threads(), "children": len(self.children)})
        elif op == "exit":
            return "exit"
        return None

    def fork(self, req: dict, fds: list[int]) -> None:
        cid = str(req.get("id"))
        made = []
        try:
            for d in req.get("mkdirs") or []:
                d = str(d)
                if not d.startswith(CHILD_ROOT + "/") or ".." in d.split("/"):
                    raise ValueError(f"not a child folder: {d}")
                os.makedirs(d, mode=0o700)
                made.append(d)
        except (OSError, ValueError) as e:
            for fd in fds:
                os.close(fd)
            for d in made:
                _rmtree(d)
            self.send({"op": "forked", "id": cid, "pid": None, "error": str(e)[:300]})
            return
        self.dirs[cid] = [made[0]] if made else []
        sys.stdout.flush()
        sys.stderr.flush()
        self.t_fork = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            code = 70
            try:
                self.child(req, fds)
            except BaseException as e:  # noqa: BLE001 - anything before the worker serves: say it on our stderr
                try:
                    os.write(2, f"nlp100 pool: the child could not start: {type(e).__name__}: {e}\n".encode())
                except OSError:
                    pass
            os._exit(code)
        for fd in fds:
            os.close(fd)
        self.children[pid] = cid
        self.pids[cid] = pid
        self.send({"op": "forked", "id": cid, "pid": pid, "nonce": req.get("nonce")})

    def reap(self) -> None:
        while True:
            try:
                pid, st = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            cid = self.children.pop(pid, None)
            if cid is not None:
                self.send({"op": "exited", "id": cid, "status": _status(st)})

    def kill(self, cid: str) -> None:
        """SIGKILL a child's process group and tree, and every orphan that came back to us (a daemon of a child)."""
        pid = self.pids.get(cid)
        table = _proc_table()
        victims = set()
        if pid is not None and pid in self.children:
            victims |= set(_tree(table, pid))
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
        for p, pp in table.items():  # orphans: children of ours that are not a live child
            if pp == self.me and p not in self.children:
                victims |= set(_tree(table, p))
        for p in victims:
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass

    def shutdown(self) -> None:
        for pid in list(self.children):
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        for ds in self.dirs.values():
            for d in ds:
                _rmtree(d)
        os._exit(0)

    # -- in the child ---------------------------------------------------------------------------
    def child(self, req: dict, fds: list[int]) -> None:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        ctl_fd = self.ctl.detach()
        os.close(ctl_fd)
        os.setsid()
        req_r, resp_w, out_w, err_w = fds
        null = os.open("/dev/null", os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(out_w, 1)
        os.dup2(err_w, 2)
        _close_others({0, 1, 2, req_r, resp_w})
        libc = _libc()
        uid = req.get("uid")
        if uid is not None:
            import resource

            nproc = int(req.get("nproc") or 0)
            if nproc:
                resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
            os.setgroups([])
            os.setresgid(int(uid), int(uid), int(uid))
            os.setresuid(int(uid), int(uid), int(uid))  # from uid 0: every capability is gone with it
        libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        if os.getppid() != self.me:
            os._exit(71)
        _seccomp()
        spec = {
            "read": self.base_read + [str(p) for p in req.get("read") or []],
            "write": [str(p) for p in req.get("write") or []],
            "devices": self.devices,
        }
        if landlock.restrict(spec) < 6:
            raise OSError("Landlock with signal scoping (ABI 6) is needed to separate the children")
        os.chdir(str(req["cwd"]))
        os.environ.clear()
        os.environ.update({str(k): str(v) for k, v in (req.get("env") or {}).items()})
        import tempfile

        tempfile.tempdir = None  # TMPDIR is this child's own folder now
        threads = int(req.get("threads") or 1)
        torch.set_num_threads(threads)
        worker.serve_fds(
            req_r,
            resp_w,
            ready={"nonce": req.get("nonce"), "pooled": True, "startup_s": round(time.perf_counter() - self.t_fork, 4)},
        )


def _control(argv: list[str]) -> socket.socket:
    if "--control" in argv:
        fd = int(argv[argv.index("--control") + 1])
        s = socket.socket(fileno=fd)
        os.set_inheritable(fd, False)
        return s
    path = argv[argv.index("--connect") + 1]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    for _ in range(100):
        try:
            s.connect(path)
            return s
        except OSError:
            time.sleep(0.05)
    s.connect(path)
    return s


def main(argv: list[str]) -> None:
    ctl = _control(argv)
    _preload()
    # what a fresh worker could not import either (these are this folder's files, or a pool's preloads)
    worker.PRELOADED = ({name.partition(".")[0] for name in sys.modules} - FRESH) | {"worker", "landlock", "forkserver"}
    threads = int(os.environ.get("NLP100_THREADS", "1"))
    torch.set_num_threads(threads)  # a number only: no pool is started by setting it
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    _libc().prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)  # a child's daemon comes back here, and is killed
    Parent(ctl).run()


if __name__ == "__main__":
    main(sys.argv)
