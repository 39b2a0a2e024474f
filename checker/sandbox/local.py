"""The local backend: a worker process under bubblewrap, or under the reduced isolation.

Which one: ``--isolation auto`` uses bubblewrap when the probe (``probe.py``) finds that it *works* on this
machine, else the reduced isolation, and the report says why; ``bwrap`` refuses to grade without a working
bubblewrap; ``rlimits`` asks for the reduced isolation.

With bubblewrap the worker sees a read-only root made of the system's /usr, the Python installation and its
site-packages (not the project, not the reference solutions, not the grader's data; an installed checker and
every installed exercise pack are masked there), a private /tmp, /dev/shm and work dir (size-capped tmpfs), a
fresh /proc, and new user, pid, network, ipc and uts namespaces.  It dies with its parent, runs in a new session
and gets a cleared environment.

Reduced (``identity.py``, ``landlock.py``): the worker runs in private folders of its own (work dir, TMPDIR,
HOME; mode 0700) with rlimits; as a dedicated unprivileged uid when the grader is root; confined by Landlock
where the kernel has it (reads of the system and Python only, writes to its own folders only, no TCP, no
signals or ptrace-like access to processes outside it).

A reduced worker gets SIGKILL when its grader dies (PR_SET_PDEATHSIG; bubblewrap: --die-with-parent).

Both: where the grader may make cgroups (root, or a delegated v2 subtree), a memory cgroup counts what the
address-space rlimit cannot (shared memory, memfd, tmpfs pages) and a pids cgroup caps processes.  ``kill``
kills every process of the worker, daemons that left its session included, and waits until none is left.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import SandboxError
from ..messages import Msg
from . import cgroups, identity, visibility
from .limits import Limits
from .probe import NAMESPACES, Probe, probe

HERE = Path(__file__).resolve().parent
WORKER_FILES = ("worker.py", "wire.py")  # bound into bubblewrap (and the docker backend's container)
REDUCED_FILES = WORKER_FILES + ("landlock.py",)  # copied into the reduced worker's own folder
SANDBOX_WORKDIR = "/sandbox"
SANDBOX_SUBMISSION = "/submission"
SANDBOX_WORKER = "/opt/nlp100-worker"
ALLOWED_MODULES = ("torch", "numpy", "matplotlib", "mpl_toolkits", "submission")
SHM_BYTES = 64 * 1024 * 1024
KILL_WAIT_S = 5.0
REASONS = {
    "not installed": "bubblewrap not found",
    "blocked": "bubblewrap blocked",
    "no user namespaces": "no user namespaces for bubblewrap",
    "too old": "bubblewrap too old",
    "failed": "bubblewrap fails here",
}


def library_dirs() -> list[str]:
    """Where the interpreter's own and installed libraries live (the import guard lets them import freely)."""
    import sysconfig

    dirs = {
        sys.prefix,
        sys.base_prefix,
        sysconfig.get_paths()["stdlib"],
        sysconfig.get_paths()["purelib"],
        sysconfig.get_paths()["platlib"],
    }
    return sorted(str(Path(d).resolve()) for d in dirs) + sorted(dirs)


def sandbox_env(limits: Limits, home: str = "/tmp") -> dict[str, str]:
    """The whole environment of the worker: nothing of the caller's survives."""
    n = str(limits.threads)
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": home,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "OMP_NUM_THREADS": n,
        "MKL_NUM_THREADS": n,
        "OPENBLAS_NUM_THREADS": n,
        "NLP100_THREADS": n,
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": f"{home}/matplotlib",
        "TMPDIR": home,
    }


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def choose(isolation: str, p: Probe) -> tuple[str, str]:
    """("bwrap" or "rlimits", why the isolation is reduced). ``bwrap`` without a working bubblewrap is an error."""
    if isolation == "rlimits":
        return "rlimits", "rlimits only, by request"
    if p.bwrap.usable:
        return "bwrap", ""
    why = REASONS.get(p.bwrap.reason, "bubblewrap fails here")
    if isolation == "bwrap":
        detail = f"{why}: {p.bwrap.detail}" if p.bwrap.detail else why
        raise SandboxError(msg=Msg("sandbox_bwrap_unusable", {"reason": detail}))
    return "rlimits", why


@dataclass
class Launch:
    """A started worker process and the pipes to talk to it."""

    proc: subprocess.Popen
    req_fd: int
    resp_fd: int
    workdir: Path  # host path of the work dir (only where the backend shares it: reduced isolation)
    subdir: Path  # host path of the read-only submission folder
    sandbox_workdir: str  # the same folders as the worker sees them
    sandbox_subdir: str
    backend: str
    isolation: str
    root: Path
    cgroup: Path | None = None  # the pids (or v2) cgroup folder, where there is one
    cleanups: list = field(default_factory=list)
    group: cgroups.WorkerCgroup | None = None  # every cgroup folder of the worker
    uid: int | None = None  # the dedicated uid (reduced isolation as root)
    info_fd: int | None = None  # bubblewrap's --info-fd: where it says the sandbox's pid 1
    sandbox_init: int | None = None
    survivors: list = field(default_factory=list)

    def kill(self) -> None:
        """Kill the worker and everything it started, and wait (bounded) until none of it is left."""
        if self.sandbox_init is None:
            self.sandbox_init = _sandbox_init(self.info_fd)
        _kill_tree(self.proc.pid, self.proc.poll() is None)
        left: list[int] = []
        if self.group is not None and not self.group.kill(KILL_WAIT_S):
            left += sorted(self.group.procs())
        if self.uid is not None:
            left += identity.kill_uid(self.uid, KILL_WAIT_S)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            left.append(self.proc.pid)
        if self.sandbox_init is not None and not _wait_gone(self.sandbox_init, KILL_WAIT_S):
            left.append(self.sandbox_init)
        self.survivors = sorted(set(left))

    def cpu_seconds(self) -> float | None:
        """CPU seconds of the worker's processes as the grader reads them: its cgroup's, else from /proc."""
        if self.group is not None and self.group.cpu is not None:
            cpu = self.group.cpu_seconds()
            if cpu is not None:
                return cpu
        return tree_cpu_seconds(self.proc.pid)

    def cleanup(self) -> None:
        """Kill, then remove everything of the worker; a worker whose processes survived is an error."""
        self.kill()
        for fd in (self.req_fd, self.resp_fd, self.info_fd):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.info_fd = None
        if self.uid is not None:
            identity.remove_leftovers(self.uid)
        if self.group is not None:
            self.group.remove()
        for fn in self.cleanups:
            fn()
        _rmtree(self.root)
        if self.survivors:
            raise SandboxError(msg=Msg("sandbox_survivors", {"seconds": KILL_WAIT_S, "pids": self.survivors}))


def _proc_stat(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].decode("ascii", "replace").split()
    except (OSError, IndexError):
        return None


def _children() -> tuple[dict[int, list[int]], dict[int, list[str]]]:
    children: dict[int, list[int]] = {}
    stats: dict[int, list[str]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = _proc_stat(int(d))
            if st is not None and len(st) > 14:
                stats[int(d)] = st
                children.setdefault(int(st[1]), []).append(int(d))
    return children, stats


def _descendants(root: int) -> list[int]:
    children, _ = _children()
    out, todo = [], list(children.get(root, []))
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += children.get(pid, [])
    return out


def tree_cpu_seconds(root: int) -> float | None:
    """CPU seconds (utime + stime, and those of reaped children) of ``root`` and all its descendants.

    Read from /proc by the grader: a process cannot make this smaller by sleeping or by what it reports."""
    children, stats = _children()
    if root not in stats:
        return None
    ticks, todo = 0, [root]
    while todo:
        pid = todo.pop()
        st = stats.get(pid)
        if st is None:
            continue
        ticks += sum(int(x) for x in st[11:15])  # utime stime cutime cstime
        todo += children.get(pid, [])
    return ticks / os.sysconf("SC_CLK_TCK")


def _kill_tree(pid: int, running: bool) -> None:
    """SIGKILL ``pid``'s process group and, while ``pid`` is still ours (not reaped), it and its descendants."""
    for p in [*_descendants(pid), pid] if running else []:
        try:
            os.kill(p, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    try:  # a process group's id is not reused while any member lives
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _sandbox_init(fd: int | None) -> int | None:
    """The host pid of the sandbox's pid 1, from bubblewrap's --info-fd (written before the worker starts)."""
    if fd is None:
        return None
    os.set_blocking(fd, False)
    try:
        data = os.read(fd, 4096)
        return int(json.loads(data.decode() or "{}").get("child-pid") or 0) or None
    except (OSError, ValueError, AttributeError):
        return None


def _wait_gone(pid: int, timeout: float) -> bool:
    """The sandbox's pid 1 exits only after the kernel has killed every process of its pid namespace."""
    deadline = time.monotonic() + timeout
    while True:
        st = _proc_stat(pid)
        if st is None or st[0] in ("Z", "X"):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)


def _kill_cgroup(cg: Path) -> None:
    """For callers holding only a worker cgroup's path (its grader died): kill what is in it and in its namesakes of the
    other hierarchies (memory, cpuacct), reap those that are the caller's children, remove the namesakes."""
    group = cgroups.namesakes(cg)
    pids = cgroups.raw_procs(group.dirs)
    group.kill(KILL_WAIT_S)
    for pid in pids | cgroups.raw_procs(group.dirs):
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
    others = tuple(d for d in group.dirs if d != cg)  # the caller removes ``cg`` itself
    cgroups.WorkerCgroup(group.version, others, None, None, None, None, None).remove(0.5)


def _rmtree(path: Path) -> None:
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


def _count_processes(uid: int) -> int:
    n = 0
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if os.stat(f"/proc/{d}").st_uid == uid:
                    n += 1
            except OSError:
                pass
    return n


def _bind_system(args: list[str]) -> list[str]:
    """Bind the system read-only; returns the host folders bound at their own path."""
    bound = ["/usr"]
    args += ["--ro-bind", "/usr", "/usr"]
    for d in ("/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32"):
        if os.path.islink(d):
            args += ["--symlink", os.readlink(d), d]
        elif os.path.isdir(d):
            args += ["--ro-bind", d, d]
            bound.append(d)
    for f in ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/localtime", "/etc/nsswitch.conf"):
        args += ["--ro-bind-try", f, f]
    args += ["--ro-bind-try", "/etc/ld.so.conf.d", "/etc/ld.so.conf.d", "--ro-bind-try", "/etc/fonts", "/etc/fonts"]
    # a GPU, where the machine has one (task 78)
    for dev in sorted(os.listdir("/dev")):
        if dev.startswith("nvidia"):
            args += ["--dev-bind-try", f"/dev/{dev}", f"/dev/{dev}"]
    # torch reads the CPU topology at import
    args += ["--ro-bind-try", "/sys/devices/system/cpu", "/sys/devices/system/cpu"]
    return bound


def _python_dirs() -> list[str]:
    return visibility.python_dirs()


def bwrap_root(bw: str, tmp_bytes: int, files: tuple[str, ...]) -> list[str]:
    """The sandbox's root, shared by a fresh worker and a warm pool's parent: new namespaces, its own /proc,
    /dev with a private /dev/shm, a private /tmp of ``tmp_bytes``, the system and Python read-only with the
    installed checker and packs masked, and the worker's ``files`` read-only in SANDBOX_WORKER."""
    args = [
        bw,
        *NAMESPACES,
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--size",
        str(SHM_BYTES),
        "--tmpfs",
        "/dev/shm",
        "--remount-ro",
        "/dev",
        "--size",
        str(tmp_bytes),
        "--tmpfs",
        "/tmp",
    ]
    bound = _bind_system(args)
    for d in _python_dirs():
        args += ["--ro-bind", d, d]
    for m in visibility.masks(bound + _python_dirs()):
        # an installed checker or pack (reference solutions): an empty, read-only folder in the sandbox
        args += ["--size", "4096", "--tmpfs", m, "--remount-ro", m]
    for f in files:
        args += ["--ro-bind", str(HERE / f), f"{SANDBOX_WORKER}/{f}"]
    return args


def _bwrap_args(bw: str, limits: Limits, env: dict, subdir: Path, info_w: int) -> list[str]:
    size = str(limits.tmpfs_mb * 1024 * 1024)
    args = bwrap_root(bw, limits.tmpfs_mb * 1024 * 1024, WORKER_FILES) + ["--info-fd", str(info_w)]
    # the work dir is a size-capped tmpfs of the sandbox's own: files there cross to the grader only through the pipe
    args += ["--size", size, "--tmpfs", SANDBOX_WORKDIR, "--ro-bind", str(subdir), SANDBOX_SUBMISSION]
    args += ["--remount-ro", "/", "--chdir", SANDBOX_WORKDIR, "--clearenv"]
    for k, v in env.items():
        args += ["--setenv", k, v]
    return args + [sys.executable, "-I", "-B", f"{SANDBOX_WORKER}/worker.py"]


def _private_dir(path: Path, uid: int | None) -> Path:
    path.mkdir(mode=0o700)
    if uid is not None:
        os.chown(path, uid, uid)
    os.chmod(path, 0o700)
    return path


def _reduced_setup(root: Path, uid: int | None, p: Probe) -> tuple[Path, Path, list[str]]:
    """The reduced worker's folders (work dir, TMPDIR) and the command that starts it (copied, confined)."""
    workdir = _private_dir(root / "work", uid)
    tmpdir = _private_dir(root / "tmp", uid)
    wdir = root / "worker"
    wdir.mkdir()
    for f in REDUCED_FILES:
        shutil.copyfile(HERE / f, wdir / f)
        os.chmod(wdir / f, 0o444)
    cmd = [sys.executable, "-I", "-B", str(wdir / "worker.py")]
    if p.landlock:
        spec = visibility.confine_spec(
            [str(wdir), str(root / "submission")], [str(workdir), str(tmpdir)], shm=uid is not None
        )
        (wdir / "confine.json").write_text(json.dumps(spec), encoding="utf-8")
        cmd += ["--confine", str(wdir / "confine.json")]
    os.chmod(wdir, 0o755)
    return workdir, tmpdir, cmd


def _memory_note(group: cgroups.WorkerCgroup | None) -> str:
    if group is not None and group.memory_mb:
        return f"memory cgroup {group.memory_mb} MB"
    return "memory: address-space rlimit only (no memory cgroup here)"


def _procs_note(group: cgroups.WorkerCgroup | None, nproc_rlimit: int | None, limits: Limits) -> str:
    if group is not None and group.nproc:
        return f"pids cgroup (max {group.nproc})"
    return f"nproc {limits.nproc}" if nproc_rlimit is not None else "no process cap"


def _who(uid: int | None, p: Probe) -> str:
    if uid is not None:
        return f"runs as uid {uid}"
    return "runs as your own user" if not p.root else "runs as root without capabilities"


def _preexec(group: cgroups.WorkerCgroup | None, nproc: int | None, uid: int | None, drop_caps: bool, reduced: bool):
    drop = identity.capability_dropper() if drop_caps else None
    die_with_grader = identity.death_signal_setter() if reduced else None  # bwrap: --die-with-parent

    def run():  # in the child between fork and exec: cgroups first (they need root), then capabilities and uid
        import resource

        if group is not None:
            group.join()
        if nproc is not None:
            resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
        if drop is not None:
            drop()
        if uid is not None:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
        if die_with_grader is not None:
            die_with_grader()  # last: a change of uid clears it

    return run


def _nproc_rlimit(limits: Limits, uid: int | None) -> int | None:
    if uid is not None:
        return limits.nproc  # a fresh uid: nothing else counts against it
    if os.geteuid() == 0:
        return None  # RLIMIT_NPROC does not bind root
    return _count_processes(os.geteuid()) + limits.nproc


def launch_local(limits: Limits, isolation: str = "auto") -> Launch:
    """Start a worker. ``isolation`` is "auto" (bubblewrap where it works), "bwrap" or "rlimits"."""
    p = probe()
    mode, why = choose(isolation, p)
    root = Path(tempfile.mkdtemp(prefix=f"nlp100-{os.getpid()}-"))
    try:
        return _start(limits, p, mode, why, root)
    except BaseException:
        _rmtree(root)
        raise


def _start(limits: Limits, p: Probe, mode: str, why: str, root: Path) -> Launch:
    os.chmod(root, 0o711)
    subdir = root / "submission"
    subdir.mkdir()
    os.chmod(subdir, 0o755)
    uid = identity.pick_id() if mode == "rlimits" and p.root and not p.drop else None
    nproc = _nproc_rlimit(limits, uid)
    info_r = info_w = None
    if mode == "bwrap":
        info_r, info_w = os.pipe()
        workdir = root / "work"
        workdir.mkdir()
        assert p.bwrap.path is not None  # usable: found
        cmd = _bwrap_args(p.bwrap.path, limits, sandbox_env(limits), subdir, info_w)
        env, shown = sandbox_env(limits), (SANDBOX_WORKDIR, SANDBOX_SUBMISSION)
        desc = "bubblewrap: read-only root, private /tmp, new user/pid/network/ipc/uts namespaces"
    else:
        workdir, tmpdir, cmd = _reduced_setup(root, uid, p)
        env, shown = sandbox_env(limits, home=str(tmpdir)), (str(workdir), str(subdir))
        desc = f"reduced ({why}): {_who(uid, p)}, rlimits" + (", Landlock" if p.landlock else "")
    group = cgroups.create(limits.memory_mb, limits.nproc, p.cgroups)
    desc += f", {_procs_note(group, nproc, limits)}, {_memory_note(group)}"
    try:
        proc, req_w, resp_r = _popen(
            cmd, env, workdir, _preexec(group, nproc, uid, mode == "rlimits" and p.root, mode == "rlimits"), info_w
        )
    except BaseException:
        if info_r is not None:
            os.close(info_r)
        if group is not None:
            group.remove()
        raise
    return Launch(
        proc=proc,
        req_fd=req_w,
        resp_fd=resp_r,
        workdir=workdir,
        subdir=subdir,
        sandbox_workdir=shown[0],
        sandbox_subdir=shown[1],
        backend="local",
        isolation=desc,
        root=root,
        cgroup=group.pids if group else None,
        group=group,
        uid=uid,
        info_fd=info_r,
    )


def _popen(cmd: list[str], env: dict, cwd: Path, preexec, info_w: int | None):
    req_r, req_w = os.pipe()
    resp_r, resp_w = os.pipe()
    keep = (req_r, resp_w) + ((info_w,) if info_w is not None else ())
    try:  # the child's ends (and bubblewrap's info pipe) are closed here whatever happens
        proc = subprocess.Popen(
            cmd + ["--in", str(req_r), "--out", str(resp_w)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=str(cwd),
            env=env,
            pass_fds=keep,
            start_new_session=True,
            preexec_fn=preexec,
        )
    except BaseException:
        os.close(req_w)
        os.close(resp_r)
        raise
    finally:
        for fd in keep:
            os.close(fd)
    return proc, req_w, resp_r
