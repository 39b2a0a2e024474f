"""What this machine gives the sandbox, probed once per process (``check doctor`` prints it).

``--isolation auto`` uses bubblewrap only when it *works* here: the probe runs it with the launcher's own
namespace flags and mounts (``NAMESPACES``) on ``true``, and says why not when it does not (not installed;
blocked, e.g. by AppArmor; no user namespaces).  The reduced isolation then uses what the probe found: a
dedicated uid when the grader is root and may switch to it, cgroups it may create, and Landlock.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from . import cgroups, identity, landlock

NAMESPACES = (
    "--unshare-user",
    "--unshare-pid",
    "--unshare-net",
    "--unshare-ipc",
    "--unshare-uts",
    "--unshare-cgroup-try",
    "--disable-userns",
    "--die-with-parent",
    "--new-session",
    "--uid",
    "65534",
    "--gid",
    "65534",
    "--cap-drop",
    "ALL",
)
MOUNTS = ("--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp")
BWRAP_TIMEOUT_S = 5.0
USERNS_FILES = {
    "kernel.unprivileged_userns_clone": "/proc/sys/kernel/unprivileged_userns_clone",
    "user.max_user_namespaces": "/proc/sys/user/max_user_namespaces",
    "kernel.apparmor_restrict_unprivileged_userns": "/proc/sys/kernel/apparmor_restrict_unprivileged_userns",
}
# run by the candidate uid: the interpreter, its standard library and its site-packages must be readable
DROP_CHECK = "import json, os, sysconfig; os.listdir(sysconfig.get_paths()['purelib'])"


@dataclass(frozen=True)
class Bwrap:
    path: str | None
    usable: bool
    reason: str = ""  # short: "not installed", "blocked", "no user namespaces", "too old", "failed"
    detail: str = ""  # bubblewrap's own words (stderr)


@dataclass(frozen=True)
class Probe:
    bwrap: Bwrap
    userns: dict
    root: bool
    drop: str  # "" when the reduced mode can switch to a dedicated uid, else why not
    cgroups: cgroups.Layout
    landlock: int  # Landlock ABI, 0: none

    @property
    def isolation(self) -> str:
        """What ``--isolation auto`` uses here."""
        return "bwrap" if self.bwrap.usable else "rlimits"

    @property
    def nproc_rlimit(self) -> bool:
        """RLIMIT_NPROC binds the worker (it does not bind uid 0)."""
        return not self.root or not self.drop


def userns_settings() -> dict:
    out = {}
    for name, path in USERNS_FILES.items():
        try:
            out[name] = Path(path).read_text().strip()
        except OSError:
            pass
    return out


def _classify(err: str, userns: dict) -> str:
    low = err.lower()
    if "unknown option" in low or "unrecognized option" in low:
        return "too old"
    if "uid map" in low or "apparmor" in low or userns.get("kernel.apparmor_restrict_unprivileged_userns") == "1":
        return "blocked"
    if (
        userns.get("user.max_user_namespaces") == "0"
        or userns.get("kernel.unprivileged_userns_clone") == "0"
        or "no permissions to create" in low
        or "creating new namespace" in low
    ):
        return "no user namespaces"
    return "failed"


@cache
def check_bwrap(path: str | None) -> Bwrap:
    """Run bubblewrap with the launcher's namespaces on ``true``; whether it works and, if not, why."""
    if path is None:
        return Bwrap(None, False, "not installed")
    true = shutil.which("true") or "/bin/true"
    try:
        p = subprocess.run(
            [path, *NAMESPACES, *MOUNTS, true], capture_output=True, stdin=subprocess.DEVNULL, timeout=BWRAP_TIMEOUT_S
        )
    except subprocess.TimeoutExpired:
        return Bwrap(path, False, "failed", f"no answer within {BWRAP_TIMEOUT_S:g} s")
    except OSError as e:
        return Bwrap(path, False, "failed", str(e))
    if p.returncode == 0:
        return Bwrap(path, True)
    err = p.stderr.decode("utf-8", "replace").strip()[-400:] or f"exit status {p.returncode}"
    return Bwrap(path, False, _classify(err, userns_settings()), err)


@cache
def check_drop(root: bool) -> str:
    """Whether the reduced mode can run the worker as a dedicated uid ("" when it can)."""
    if not root:
        return "the grader is not root: the worker runs as your own user"
    uid = identity.pick_id()
    if uid is None:
        return "no free uid is mapped in this user namespace"
    try:
        p = subprocess.run(
            [sys.executable, "-I", "-c", DROP_CHECK],
            user=uid,
            group=uid,
            extra_groups=[],
            env={},
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=20,
        )
        ok = p.returncode == 0
    except PermissionError as e:
        if e.errno == errno.EPERM:
            return f"cannot switch to another uid here ({e.strerror})"
        ok = False
    except (OSError, subprocess.SubprocessError) as e:
        return f"cannot switch to another uid here ({e})"
    if not ok:
        return f"another uid cannot run this Python: {_blocking_dir() or sys.prefix} is closed to other users"
    return ""


def _blocking_dir() -> str | None:
    """The first folder on the way to the interpreter that other users cannot enter."""
    for top in (sys.base_prefix, sys.prefix):
        p = Path(os.path.realpath(top))
        for d in [*reversed(p.parents), p]:
            try:
                if not os.stat(d).st_mode & 0o001:
                    return str(d)
            except OSError:
                return str(d)
    return None


def probe() -> Probe:
    """This machine, as the sandbox sees it (each part computed once per process)."""
    root = os.geteuid() == 0
    return _probe(shutil.which("bwrap"), root)


@cache
def _probe(bwrap: str | None, root: bool) -> Probe:
    return Probe(check_bwrap(bwrap), userns_settings(), root, check_drop(root), cgroups.layout(), landlock.abi())


def clear() -> None:
    """Forget what was probed (tests that change PATH or the machine)."""
    for f in (check_bwrap, check_drop, _probe):
        f.cache_clear()
