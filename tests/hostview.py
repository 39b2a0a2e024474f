"""Run a command where another uid can run this Python, for the tests of the dedicated-uid sandbox.

On a machine whose interpreter sits under a folder closed to other users (pyenv under /root, mode 0700), the
reduced isolation cannot switch the worker to a dedicated uid (``check doctor`` says so).  ``prefix()`` gives a
command prefix that runs the rest in a private mount namespace where that folder is a 0711 tmpfs holding only the
way to the interpreter (bound from the real one): nothing on the host changes.  ``[]`` where nothing is needed,
None where it cannot be done (not root, no ``unshare``).
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

SCRIPT = r"""
set -e
closed="$1"; keep="$2"; shift 2
orig=$(mktemp -d /tmp/nlp100-hostview.XXXXXX)
mount --bind "$closed" "$orig"
mount -t tmpfs -o mode=0711,size=1m nlp100-hostview "$closed"
mkdir -p "$closed/$keep"
mount --bind "$orig/$keep" "$closed/$keep"
umount -l "$orig"
rmdir "$orig"
exec "$@"
"""


def closed_dir() -> tuple[str, str] | None:
    """(the folder closed to other users, its entry on the way to the interpreter), or None."""
    for top in (sys.base_prefix, sys.prefix):
        p = Path(os.path.realpath(top))
        for d in [*reversed(p.parents), p]:
            if d != p and not os.stat(d).st_mode & 0o001:
                return str(d), p.relative_to(d).parts[0]
    return None


@functools.cache
def prefix() -> list[str] | None:
    closed = closed_dir()
    if closed is None:
        return []
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return None
    cmd = ["unshare", "-m", "--propagation", "private", "sh", "-c", SCRIPT, "hostview", *closed]
    try:  # a container without CAP_SYS_ADMIN cannot make a mount namespace
        ok = subprocess.run([*cmd, "true"], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.SubprocessError):
        ok = False
    return cmd if ok else None
