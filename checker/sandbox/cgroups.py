"""Cgroups around one worker: its memory (shared memory, memfd and tmpfs pages count), its processes, its CPU time.

v1: one folder ``nlp100-<grader pid>-<hex>`` per hierarchy (memory, pids, cpuacct), made under the grader's own
cgroup of that hierarchy when it is there and writable (the limits above it keep applying), else under the
hierarchy's root.  v2: one folder under the nearest ancestor of the grader's cgroup that hands the memory
controller to its children and that the grader may write (root, or a delegated subtree).

The worker joins them between fork and exec (``join``), so everything it starts is inside.  The grader kills
what is inside (``kill``), reads its CPU time and out-of-memory kills, and removes the folders (``remove``).
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

MOUNT = Path("/sys/fs/cgroup")
V1_CONTROLLERS = ("memory", "pids", "cpuacct")
PREFIX = "nlp100-"


@dataclass(frozen=True)
class Layout:
    """Where this process may make a worker's cgroups."""

    version: str  # "v1" | "v2" | "hybrid" (v1 controllers, an empty v2 tree) | "none"
    controllers: tuple[str, ...]  # controllers mounted (v1) or enabled (v2)
    memory: Path | None = None  # folder to make the memory cgroup in (v2: the one folder for all)
    pids: Path | None = None
    cpu: Path | None = None
    why: str = ""  # why there is no memory cgroup here


def own_paths(text: str | None = None) -> dict[str, str]:
    """The grader's cgroup per v1 controller, and under "" its v2 cgroup (from /proc/self/cgroup)."""
    if text is None:
        try:
            text = Path("/proc/self/cgroup").read_text()
        except OSError:
            return {}
    out: dict[str, str] = {}
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3:
            for c in parts[1].split(",") if parts[1] else [""]:
                out[c] = parts[2]
    return out


def _writable(d: Path) -> bool:
    return d.is_dir() and os.access(d, os.W_OK | os.X_OK) and os.access(d / "cgroup.procs", os.W_OK)


def _v1_base(mount: Path, controller: str, own: dict[str, str]) -> Path | None:
    top = mount / controller
    if not (top / "cgroup.procs").exists():
        return None
    mine = top / own.get(controller, "/").lstrip("/")
    return next((d for d in (mine, top) if _writable(d)), None)


def _v2_base(mount: Path, own: dict[str, str]) -> Path | None:
    """Our v2 cgroup or its nearest ancestor that hands memory to its children and that we may write.

    (A cgroup holding processes cannot hand controllers down unless it is the root, so ours qualifies only there.)"""
    path = Path(own.get("", "/"))
    for anc in (path, *path.parents):
        d = mount / str(anc).lstrip("/")
        try:
            ctl = (d / "cgroup.subtree_control").read_text().split()
        except OSError:
            continue
        if "memory" in ctl and _writable(d):
            return d
    return None


def layout(mount: Path = MOUNT, cgroup_text: str | None = None) -> Layout:
    own = own_paths(cgroup_text)
    if (mount / "cgroup.controllers").exists():
        ctl = tuple((mount / "cgroup.controllers").read_text().split())
        base = _v2_base(mount, own)
        why = "" if base else "no cgroup here both delegates the memory controller and is writable by this user"
        pids = base if base is not None and "pids" in (base / "cgroup.subtree_control").read_text().split() else None
        return Layout("v2", ctl, base, pids, base, why)
    ctl = tuple(
        c
        for c in ("memory", "pids", "cpuacct", "cpu", "cpuset", "freezer", "devices", "blkio")
        if (mount / c / "cgroup.procs").exists()
    )
    if not ctl:
        return Layout("none", (), why="no cgroup file system is mounted")
    version = "hybrid" if (mount / "unified" / "cgroup.controllers").exists() else "v1"
    mem, pids, cpu = (_v1_base(mount, c, own) for c in V1_CONTROLLERS)
    why = (
        ""
        if mem
        else ("no memory controller" if "memory" not in ctl else "the memory hierarchy is not writable by this user")
    )
    return Layout(version, ctl, mem, pids, cpu, why)


@dataclass
class WorkerCgroup:
    """The cgroup folders of one worker (one per v1 hierarchy, or one v2 folder)."""

    version: str
    dirs: tuple[Path, ...]
    memory: Path | None
    pids: Path | None
    cpu: Path | None
    memory_mb: int | None
    nproc: int | None

    def join(self) -> None:
        """Put the calling process in every folder (runs in the child between fork and exec)."""
        me = str(os.getpid())
        for d in self.dirs:
            with open(d / "cgroup.procs", "w") as fh:
                fh.write(me)

    def procs(self) -> set[int]:
        out: set[int] = set()
        for d in self.dirs:
            try:
                out |= {int(p) for p in (d / "cgroup.procs").read_text().split()}
            except OSError:
                pass
        return {p for p in out if _alive(p)}

    def kill(self, timeout: float = 5.0) -> bool:
        """SIGKILL everything inside until nothing is left (True) or ``timeout`` passes (False)."""
        deadline = time.monotonic() + timeout
        for d in self.dirs:
            if (d / "cgroup.kill").exists():
                _write(d / "cgroup.kill", "1")
        while True:
            left = self.procs()
            if not left:
                return True
            if time.monotonic() > deadline:
                return False
            for p in left:
                try:
                    os.kill(p, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.01)

    def cpu_seconds(self) -> float | None:
        """User + system CPU seconds of everything that ran inside (exited processes included)."""
        if self.cpu is None:
            return None
        try:
            if self.version == "v2":
                stat = dict(line.split() for line in (self.cpu / "cpu.stat").read_text().splitlines() if line.strip())
                return int(stat["usage_usec"]) / 1e6
            return int((self.cpu / "cpuacct.usage").read_text()) / 1e9
        except (OSError, KeyError, ValueError):
            return None

    def oom_kills(self) -> int:
        if self.memory is None:
            return 0
        name = "memory.events" if self.version == "v2" else "memory.oom_control"
        try:
            for line in (self.memory / name).read_text().splitlines():
                k, _, v = line.partition(" ")
                if k == "oom_kill":
                    return int(v)
        except (OSError, ValueError):
            pass
        return 0

    def remove(self, timeout: float = 2.0) -> bool:
        """Remove the folders (retrying while the kernel lets the last processes go)."""
        deadline = time.monotonic() + timeout
        left = [d for d in self.dirs if d.exists()]
        while left:
            for d in list(left):
                try:
                    d.rmdir()
                    left.remove(d)
                except FileNotFoundError:
                    left.remove(d)
                except OSError:
                    pass
            if left and time.monotonic() > deadline:
                return False
            if left:
                time.sleep(0.02)
        return True


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] not in (b"Z", b"X")
    except (OSError, IndexError):
        return False


def _write(path: Path, value: str) -> bool:
    try:
        path.write_text(value)
        return True
    except OSError:
        return False


def _limit_memory(d: Path, version: str, mb: int) -> bool:
    b = str(mb * 1024 * 1024)
    if version == "v2":
        ok = _write(d / "memory.max", b)
        if (d / "memory.swap.max").exists():
            _write(d / "memory.swap.max", "0")
        _write(d / "memory.oom.group", "1")
        return ok
    ok = _write(d / "memory.limit_in_bytes", b)
    if (d / "memory.memsw.limit_in_bytes").exists():
        _write(d / "memory.memsw.limit_in_bytes", b)
    _write(d / "memory.swappiness", "0")
    return ok


def _make(base: Path | None, name: str) -> Path | None:
    if base is None:
        return None
    d = base / name
    try:
        d.mkdir()
        return d
    except OSError:
        return None


def namesakes(cg: Path, where: Layout | None = None) -> WorkerCgroup:
    """A worker's cgroups from the path of one of them: its folders of the same name in every hierarchy."""
    lay = where or layout()
    dirs = [
        b / cg.name for b in dict.fromkeys((lay.memory, lay.pids, lay.cpu)) if b is not None and (b / cg.name).is_dir()
    ]
    dirs = dirs if cg in dirs else [cg, *dirs]
    return WorkerCgroup(lay.version, tuple(dirs), None, None, None, None, None)


def made_by(pid: int, where: Layout | None = None) -> list[WorkerCgroup]:
    """The cgroups that the process ``pid`` made (named after it), found by name: for a grading process killed
    before it could report the ones it had just made."""
    lay = where or layout()
    names: set[str] = set()
    for base in dict.fromkeys((lay.memory, lay.pids, lay.cpu)):
        if base is not None:
            names |= {d.name for d in base.glob(f"{PREFIX}{pid}-*") if d.is_dir()}
    out = []
    for name in sorted(names):
        dirs = [
            b / name for b in dict.fromkeys((lay.memory, lay.pids, lay.cpu)) if b is not None and (b / name).is_dir()
        ]
        out.append(WorkerCgroup(lay.version, tuple(dirs), None, None, None, None, None))
    return out


def sweep_stale(where: Layout | None = None) -> int:
    """Remove the empty cgroups of graders that are gone (``nlp100-<pid>-*`` whose pid no longer runs), left by a
    grader killed with SIGKILL; returns how many.  A cgroup with a process inside, or made in the last minute (by
    a grader whose pid this process may not see, in another pid namespace), is never touched."""
    lay = where or layout()
    n = 0
    for base in dict.fromkeys((lay.memory, lay.pids, lay.cpu)):
        if base is None:
            continue
        for d in base.glob(f"{PREFIX}*-*"):
            pid = d.name[len(PREFIX) :].split("-", 1)[0]
            try:
                young = time.time() - d.stat().st_mtime < 60
            except OSError:
                continue
            if young or not pid.isdigit() or _alive(int(pid)) or raw_procs([d]):
                continue
            try:
                d.rmdir()
                n += 1
            except OSError:
                pass
    return n


def raw_procs(dirs) -> set[int]:
    """Every pid listed in the folders, zombies included."""
    out: set[int] = set()
    for d in dirs:
        try:
            out |= {int(p) for p in (d / "cgroup.procs").read_text().split()}
        except OSError:
            pass
    return out


def create(memory_mb: int | None, nproc: int | None, where: Layout | None = None) -> WorkerCgroup | None:
    """The cgroups of a new worker, or None where this process can make none."""
    lay = where or layout()
    name = f"{PREFIX}{os.getpid()}-{uuid.uuid4().hex[:8]}"
    if lay.version == "v2":
        d = _make(lay.memory, name)
        if d is None:
            return None
        mem_ok = _limit_memory(d, "v2", memory_mb) if memory_mb else False
        pids_ok = bool(nproc) and (d / "pids.max").exists() and _write(d / "pids.max", str(nproc))
        return WorkerCgroup(
            "v2",
            (d,),
            d if mem_ok else None,
            d if pids_ok else None,
            d,
            memory_mb if mem_ok else None,
            nproc if pids_ok else None,
        )
    mem, pids, cpu = _make(lay.memory, name), _make(lay.pids, name), _make(lay.cpu, name)
    if mem is not None and not (memory_mb and _limit_memory(mem, "v1", memory_mb)):
        mem.rmdir()
        mem = None
    if pids is not None and not (nproc and _write(pids / "pids.max", str(nproc))):
        pids.rmdir()
        pids = None
    dirs = tuple(d for d in (mem, pids, cpu) if d is not None)
    if not dirs:
        return None
    return WorkerCgroup(lay.version, dirs, mem, pids, cpu, memory_mb if mem else None, nproc if pids else None)
