"""Which host folders the worker may see: the system, the Python installation, never the checker or its packs.

An installed checker (a wheel) and every installed exercise pack live in site-packages, next to torch: bubblewrap
binds site-packages read-only, so their folders are masked there (``masks``), and the Landlock rules of the reduced
isolation allow site-packages entry by entry, leaving them out (``allow_list``).
"""

from __future__ import annotations

import importlib.util
import os
import sys
import sysconfig

SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32", "/proc", "/sys", "/dev")
ETC = (
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/localtime",
    "/etc/nsswitch.conf",
    "/etc/fonts",
)  # as bwrap


def python_dirs() -> list[str]:
    """Folders the interpreter needs: its installation and the environment's site-packages (outermost only)."""
    out: list[str] = []
    cands = [sys.base_prefix, sys.prefix, os.path.dirname(os.path.realpath(sys.executable))]
    cands += [sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")]
    for c in cands:
        for p in {c, os.path.realpath(c)}:
            if p.startswith("/usr/") or not os.path.isdir(p):
                continue
            if not any(_under(p, o) for o in out):
                out = [o for o in out if not _under(o, p)] + [p]
    return sorted(out)


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _package_dir(name: str) -> str | None:
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    locs = list(spec.submodule_search_locations or []) if spec else []
    return os.path.realpath(locs[0]) if locs else None


def hidden_packages() -> list[str]:
    """Real paths of the checker package's folder and of every installed pack's package folder."""
    from importlib.metadata import entry_points

    names = ["checker"]
    # every installed pack, by its entry point's module (read, not loaded: the sandbox layer knows no pack)
    names += [ep.value.partition(":")[0].split(".")[0] for ep in entry_points(group="nlp100_checker.packs")]
    return sorted({d for d in map(_package_dir, names) if d})


def masks(bound: list[str], hidden: list[str] | None = None) -> list[str]:
    """Paths, as the sandbox sees them, of the hidden folders that lie under a folder bound into it."""
    hidden = hidden_packages() if hidden is None else hidden
    out = []
    for b in bound:
        real = os.path.realpath(b)
        out += [b.rstrip("/") + h[len(real.rstrip("/")) :] for h in hidden if h != real and _under(h, real)]
    return sorted(set(out))


def _split(folder: str, hidden: list[str]) -> list[str]:
    """``folder`` as a list of entries that together hold everything in it except the hidden folders."""
    inside = [h for h in hidden if _under(h, folder)]
    if not inside:
        return [folder]
    if folder in inside:
        return []
    out = []
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    for n in names:
        out += _split(os.path.join(folder, n), inside)
    return out


def allow_list(folders: list[str], hidden: list[str] | None = None) -> list[str]:
    """Real paths to allow reading under Landlock: ``folders`` less the hidden package folders."""
    hidden = hidden_packages() if hidden is None else hidden
    out: list[str] = []
    for f in folders:
        if os.path.exists(f):
            out += _split(os.path.realpath(f), hidden)
    return sorted(set(out))


def device_files() -> list[str]:
    """Devices the worker may open for writing: the null devices and, where present, GPUs."""
    devs = [f"/dev/{d}" for d in ("null", "zero", "full")]
    try:
        devs += [f"/dev/{d}" for d in sorted(os.listdir("/dev")) if d.startswith("nvidia")]
    except OSError:
        pass
    return [d for d in devs if os.path.exists(d)]


def confine_spec(read: list[str], write: list[str], shm: bool) -> dict:
    """The Landlock rules of a reduced worker (see ``landlock.py``)."""
    folders = list(SYSTEM_DIRS) + list(ETC) + python_dirs() + list(read) + list(write)
    return {
        "read": allow_list(folders),
        "write": [os.path.realpath(w) for w in write] + (["/dev/shm"] if shm else []),
        "devices": device_files(),
    }
