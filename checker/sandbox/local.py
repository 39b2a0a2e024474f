"""The local backend: a worker process under bubblewrap and rlimits.

With bubblewrap the worker sees a read-only root made of the system's
/usr, the Python installation and its site-packages (not the project, not
the reference solutions, not the grader's data), a private /tmp, a fresh
/proc, and new user, pid, network, ipc and uts namespaces.  It dies with
its parent, runs in a new session, gets a cleared environment, and, where
the grader runs as root, a pids cgroup caps its processes (RLIMIT_NPROC does
not bind uid 0).  Without bubblewrap the worker runs with rlimits only, and
every report says so; it still dies with its grader (PR_SET_PDEATHSIG).
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from .limits import Limits

HERE = Path(__file__).resolve().parent
WORKER_FILES = ("worker.py", "wire.py")
SANDBOX_WORKDIR = "/sandbox"
SANDBOX_SUBMISSION = "/submission"
SANDBOX_WORKER = "/opt/nlp100-worker"
ALLOWED_MODULES = ("torch", "numpy", "matplotlib", "mpl_toolkits", "submission")
PIDS_CGROUP = Path("/sys/fs/cgroup/pids")


def library_dirs() -> list[str]:
    """Where the interpreter's own and installed libraries live (the import guard lets them import freely)."""
    dirs = {sys.prefix, sys.base_prefix, sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    return sorted(str(Path(d).resolve()) for d in dirs) + sorted(dirs)


def sandbox_env(limits: Limits) -> dict[str, str]:
    """The whole environment of the worker: nothing of the caller's survives."""
    n = str(limits.threads)
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": "/tmp",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "OMP_NUM_THREADS": n,
        "MKL_NUM_THREADS": n,
        "OPENBLAS_NUM_THREADS": n,
        "NLP100_THREADS": n,
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": "/tmp/matplotlib",
        "TMPDIR": "/tmp",
    }


@dataclass
class Launch:
    """A started worker process and the pipes to talk to it."""

    proc: subprocess.Popen
    req_fd: int
    resp_fd: int
    workdir: Path              # host path of the work dir (only where the backend shares it: reduced isolation)
    subdir: Path               # host path of the read-only submission folder
    sandbox_workdir: str       # the same folders as the worker sees them
    sandbox_subdir: str
    backend: str
    isolation: str
    root: Path
    cgroup: Path | None = None
    cleanups: list = field(default_factory=list)

    def kill(self) -> None:
        """Kill the worker and everything it started."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self.cgroup is not None:
            _kill_cgroup(self.cgroup)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            pass

    def cpu_seconds(self) -> float | None:
        """User + system CPU time of every process under the worker's launcher, read from /proc by the grader."""
        return tree_cpu_seconds(self.proc.pid)

    def cleanup(self) -> None:
        self.kill()
        for fd in (self.req_fd, self.resp_fd):
            try:
                os.close(fd)
            except OSError:
                pass
        if self.cgroup is not None:
            try:
                self.cgroup.rmdir()
            except OSError:
                pass
        for fn in self.cleanups:
            fn()
        shutil.rmtree(self.root, ignore_errors=True)


def _proc_stat(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].decode("ascii", "replace").split()
    except (OSError, IndexError):
        return None


def tree_cpu_seconds(root: int) -> float | None:
    """CPU seconds (utime + stime, and those of reaped children) of ``root`` and all its descendants.

    Read from /proc by the grader: a process cannot make this smaller by sleeping or by what it reports."""
    children: dict[int, list[int]] = {}
    stats: dict[int, list[str]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = _proc_stat(int(d))
            if st is not None and len(st) > 14:
                stats[int(d)] = st
                children.setdefault(int(st[1]), []).append(int(d))
    if root not in stats:
        return None
    ticks, todo = 0, [root]
    while todo:
        pid = todo.pop()
        st = stats.get(pid)
        if st is None:
            continue
        ticks += sum(int(x) for x in st[11:15])   # utime stime cutime cstime
        todo += children.get(pid, [])
    return ticks / os.sysconf("SC_CLK_TCK")


def _kill_cgroup(cg: Path) -> None:
    for _ in range(50):
        try:
            pids = [int(p) for p in (cg / "cgroup.procs").read_text().split()]
        except OSError:
            return
        if not pids:
            return
        for p in pids:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        import time

        time.sleep(0.01)


def _pdeathsig_setter():
    """A function for ``preexec_fn`` that makes the worker get SIGKILL when the thread that started
    it (the grader's) dies, as ``bwrap --die-with-parent`` does; None where prctl is not available."""
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        return None
    return lambda: prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def _make_cgroup(nproc: int) -> Path | None:
    if os.geteuid() != 0 or not (PIDS_CGROUP / "cgroup.procs").exists():
        return None
    cg = PIDS_CGROUP / f"nlp100-{uuid.uuid4().hex[:12]}"
    try:
        cg.mkdir()
        (cg / "pids.max").write_text(str(nproc))
    except OSError:
        try:
            cg.rmdir()
        except OSError:
            pass
        return None
    return cg


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


def _bind_system(args: list[str]) -> None:
    args += ["--ro-bind", "/usr", "/usr"]
    for d in ("/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32"):
        if os.path.islink(d):
            args += ["--symlink", os.readlink(d), d]
        elif os.path.isdir(d):
            args += ["--ro-bind", d, d]
    for f in ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/localtime", "/etc/nsswitch.conf"):
        args += ["--ro-bind-try", f, f]
    args += ["--ro-bind-try", "/etc/ld.so.conf.d", "/etc/ld.so.conf.d", "--ro-bind-try", "/etc/fonts", "/etc/fonts"]
    # a GPU, where the machine has one (task 78)
    for dev in sorted(os.listdir("/dev")):
        if dev.startswith("nvidia"):
            args += ["--dev-bind-try", f"/dev/{dev}", f"/dev/{dev}"]
    # torch reads the CPU topology at import
    args += ["--ro-bind-try", "/sys/devices/system/cpu", "/sys/devices/system/cpu"]


def _python_dirs() -> list[str]:
    """Folders the interpreter needs: its installation and the environment's site-packages."""
    out: list[str] = []
    cands = [sys.base_prefix, sys.prefix, os.path.dirname(os.path.realpath(sys.executable))]
    cands += [sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")]
    for c in cands:
        for p in {c, os.path.realpath(c)}:
            if p.startswith("/usr/") or not os.path.isdir(p):
                continue
            if not any(p == o or p.startswith(o.rstrip("/") + "/") for o in out):
                out = [o for o in out if not o.startswith(p.rstrip("/") + "/")] + [p]
    return sorted(out)


def launch_local(limits: Limits, isolation: str = "auto") -> Launch:
    """Start a worker. ``isolation`` is "bwrap", "rlimits" or "auto" (bwrap when present)."""
    bw = bwrap_path()
    if isolation == "bwrap" and bw is None:
        raise RuntimeError("bubblewrap (bwrap) is not installed")
    use_bwrap = bw is not None and isolation != "rlimits"
    root = Path(tempfile.mkdtemp(prefix="nlp100-"))
    workdir = root / "work"
    subdir = root / "submission"
    workdir.mkdir()
    subdir.mkdir()
    os.chmod(root, 0o755)
    os.chmod(workdir, 0o777)
    os.chmod(subdir, 0o755)
    req_r, req_w = os.pipe()
    resp_r, resp_w = os.pipe()
    env = sandbox_env(limits)
    cgroup = _make_cgroup(limits.nproc)
    nproc_rlimit = None if os.geteuid() == 0 else _count_processes(os.geteuid()) + limits.nproc
    py = sys.executable
    notes = []
    if use_bwrap:
        args = [bw, "--unshare-user", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
                "--unshare-cgroup-try", "--disable-userns", "--die-with-parent", "--new-session",
                "--uid", "65534", "--gid", "65534", "--cap-drop", "ALL"]
        size = str(limits.tmpfs_mb * 1024 * 1024)
        args += ["--proc", "/proc", "--dev", "/dev", "--size", "67108864", "--tmpfs", "/dev/shm", "--remount-ro", "/dev",
                 "--size", size, "--tmpfs", "/tmp"]
        _bind_system(args)
        for d in _python_dirs():
            args += ["--ro-bind", d, d]
        for f in WORKER_FILES:
            args += ["--ro-bind", str(HERE / f), f"{SANDBOX_WORKER}/{f}"]
        # the work dir is a size-capped tmpfs of the sandbox's own: files there cross to the grader only through the pipe
        args += ["--size", size, "--tmpfs", SANDBOX_WORKDIR, "--ro-bind", str(subdir), SANDBOX_SUBMISSION]
        args += ["--remount-ro", "/", "--chdir", SANDBOX_WORKDIR, "--clearenv"]
        for k, v in env.items():
            args += ["--setenv", k, v]
        args += [py, "-I", "-B", f"{SANDBOX_WORKER}/worker.py", "--in", str(req_r), "--out", str(resp_w)]
        sandbox_workdir, sandbox_subdir = SANDBOX_WORKDIR, SANDBOX_SUBMISSION
        desc = "bubblewrap: read-only root, private /tmp, new user/pid/network/ipc/uts namespaces"
        if cgroup is not None:
            desc += f", pids cgroup (max {limits.nproc})"
        isolation_desc = desc
    else:
        args = [py, "-I", "-B", str(HERE / "worker.py"), "--in", str(req_r), "--out", str(resp_w)]
        sandbox_workdir, sandbox_subdir = str(workdir), str(subdir)
        isolation_desc = "reduced (bubblewrap not found): rlimits only" if bw is None else "reduced (rlimits only, by request)"
        notes.append("no-bwrap")

    die_with_parent = None if use_bwrap else _pdeathsig_setter()  # bwrap: --die-with-parent

    def preexec():  # runs in the child between fork and exec
        if die_with_parent is not None:
            die_with_parent()
        if cgroup is not None:
            with open(cgroup / "cgroup.procs", "w") as fh:
                fh.write(str(os.getpid()))
        if nproc_rlimit is not None:
            import resource

            resource.setrlimit(resource.RLIMIT_NPROC, (nproc_rlimit, nproc_rlimit))

    proc = subprocess.Popen(
        args,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=str(workdir),
        env=env,
        pass_fds=(req_r, resp_w),
        start_new_session=True,
        preexec_fn=preexec,
    )
    os.close(req_r)
    os.close(resp_w)
    return Launch(proc=proc, req_fd=req_w, resp_fd=resp_r, workdir=workdir, subdir=subdir,
                  sandbox_workdir=sandbox_workdir, sandbox_subdir=sandbox_subdir, backend="local",
                  isolation=isolation_desc, root=root, cgroup=cgroup)
