"""A dedicated uid for one worker, where the grader is root and the worker has no user namespace of its own.

The uid (gid the same) is drawn from a high range that this machine maps (``/proc/self/uid_map``) and that no
account, group or process uses, so that everything running or left behind with it is the worker's:
``kill_uid`` kills every process of the uid — daemons that left the session included — and waits until none is
left; ``remove_leftovers`` removes what the uid left in the shared temporary folders and its SysV IPC objects.
"""

from __future__ import annotations

import grp
import os
import pwd
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

PR_SET_SECUREBITS, PR_CAPBSET_DROP, PR_SET_PDEATHSIG = 28, 24, 1
# SECBIT_NOROOT, NO_SETUID_FIXUP, KEEP_CAPS and NO_CAP_AMBIENT_RAISE, each with its lock: exec never grants root's
# capabilities again, whatever the uid
SECUREBITS = 0x1 | 0x2 | 0x4 | 0x8 | 0x20 | 0x40 | 0x80
BASE = 2_000_000_000
SPAN = 100_000_000
SHARED_DIRS = ("/tmp", "/var/tmp", "/dev/shm", "/dev/mqueue")
# runs as the worker's uid: kill(-1) signals every process of that uid at once (a fork cannot slip between)
KILLER = "import os\nfor _ in range(200):\n    try:\n        os.kill(-1, 9)\n    except OSError:\n        break\n"


def _ranges(path: str) -> list[tuple[int, int]]:
    """(first id, count) of the ids this namespace maps."""
    try:
        rows = [line.split() for line in Path(path).read_text().splitlines()]
    except OSError:
        return [(0, 1 << 32)]
    return [(int(r[0]), int(r[2])) for r in rows if len(r) == 3]


def _span(ranges: list[tuple[int, int]]) -> tuple[int, int]:
    """The ids to draw from: BASE.. where mapped, else the upper half of the largest mapped range."""
    for first, count in ranges:
        if first <= BASE and first + count >= BASE + SPAN:
            return BASE, SPAN
    first, count = max(ranges, key=lambda r: r[1])
    return first + count // 2, max(1, count // 2 - 2)


def _unused(n: int) -> bool:
    for lookup in (pwd.getpwuid, grp.getgrgid):
        try:
            lookup(n)
            return False
        except KeyError:
            pass
    return not processes_of(n)


def pick_id() -> int | None:
    """A uid (and gid) that both maps and nothing uses, or None."""
    lo_u, n_u = _span(_ranges("/proc/self/uid_map"))
    lo_g, n_g = _span(_ranges("/proc/self/gid_map"))
    lo, n = max(lo_u, lo_g), min(lo_u + n_u, lo_g + n_g) - max(lo_u, lo_g)
    if n <= 0:
        return None
    for _ in range(32):
        cand = lo + secrets.randbelow(n)
        if cand not in (65534, 65535) and _unused(cand):
            return cand
    return None


def _uids(pid: str) -> tuple[set[int], bool]:
    """The real, effective and saved uids of a process, and whether it is still running (not a zombie)."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            text = fh.read()
    except OSError:
        return set(), False
    uids: set[int] = set()
    running = True
    for line in text.splitlines():
        if line.startswith("Uid:"):
            uids = {int(x) for x in line.split()[1:4]}
        elif line.startswith("State:"):
            running = line.split()[1] not in ("Z", "X")
    return uids, running


def processes_of(uid: int) -> list[int]:
    """Running (not zombie) processes with ``uid`` as their real, effective or saved uid."""
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            uids, running = _uids(d)
            if running and uid in uids:
                out.append(int(d))
    return out


def _kill_as(uid: int) -> None:
    try:
        subprocess.run(
            [sys.executable, "-I", "-S", "-c", KILLER],
            user=uid,
            group=uid,
            extra_groups=[],
            env={},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=2,
            close_fds=True,
        )
    except (OSError, subprocess.SubprocessError):
        pass


def kill_uid(uid: int, timeout: float = 5.0) -> list[int]:
    """Kill every process of ``uid`` and wait until none is left; returns the survivors (empty: all gone)."""
    deadline = time.monotonic() + timeout
    while True:
        left = processes_of(uid)
        if not left or time.monotonic() > deadline:
            return left
        for p in left:  # root kills what it sees; the helper catches what was forked meanwhile
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        _kill_as(uid)
        time.sleep(0.01)


def capability_dropper():
    """A function for the child between fork and exec (as root): after exec it has no capability, even as uid 0."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)  # loaded here, in the grader: the child only calls it

    def drop() -> None:
        if libc.prctl(PR_SET_SECUREBITS, SECUREBITS, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECUREBITS)")
        for cap in range(64):
            libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)

    return drop


def death_signal_setter():
    """A function for the child between fork and exec: SIGKILL when the grader's thread that started it dies."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    return lambda: libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)


def _remove(path: str) -> None:
    import shutil

    try:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.unlink(path)
    except OSError:
        pass


def _sysv_ids(kind: str, uid: int) -> list[int]:
    """Ids of SysV IPC objects (shm, msg, sem) owned or created by ``uid``."""
    try:
        lines = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()
    except OSError:
        return []
    head = lines[0].split() if lines else []
    if not {"uid", "cuid"} <= set(head):
        return []
    col = {k: head.index(k) for k in ("uid", "cuid")}
    ident = head.index("shmid" if kind == "shm" else "msqid" if kind == "msg" else "semid")
    return [int(r[ident]) for r in (x.split() for x in lines[1:]) if uid in (int(r[col["uid"]]), int(r[col["cuid"]]))]


def remove_leftovers(uid: int) -> None:
    """Files of ``uid`` in the shared temporary folders and its SysV IPC objects (shared memory included)."""
    for base in SHARED_DIRS:
        try:
            names = os.listdir(base)
        except OSError:
            continue
        for name in names:
            path = os.path.join(base, name)
            try:
                if os.lstat(path).st_uid == uid:
                    _remove(path)
            except OSError:
                pass
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for kind, fn in (("shm", "shmctl"), ("msg", "msgctl"), ("sem", "semctl")):
        for ident in _sysv_ids(kind, uid):
            args = (ident, 0, 0) if kind == "sem" else (ident, 0, None)  # IPC_RMID
            getattr(libc, fn)(*args)
