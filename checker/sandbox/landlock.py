"""Landlock for the reduced isolation (no bubblewrap): the worker confines itself before it imports anything.

Standard library only: this file runs in the worker (``--confine SPEC``), before torch starts any thread, so the
whole process is confined.  ``spec`` is JSON from the launcher::

    {"read": [folders], "write": [folders], "devices": [files]}

Files are readable only beneath ``read`` (the system, the Python installation without the checker and its
packs, the worker's folders), writable only beneath ``write`` (the worker's private folders), and ``devices``
may be opened for writing (``/dev/null``, GPUs).  Landlock also keeps the worker from ptrace-like access to
processes outside it (``/proc/PID/environ`` or ``mem`` of the grader), and from ABI 4 from TCP bind/connect, and
from ABI 6 from signalling processes outside it and from abstract unix sockets.

``abi()`` also serves the grader's probe (``checker.sandbox.probe``).
"""

from __future__ import annotations

import ctypes
import json
import os
import struct

SYS_CREATE, SYS_ADD, SYS_RESTRICT = 444, 445, 446  # the same on every architecture
PR_SET_NO_NEW_PRIVS = 38
RULE_PATH_BENEATH = 1
EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
ALL_V1 = (1 << 13) - 1  # execute .. make_sym
REFER, TRUNCATE, IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
NET_TCP = (1 << 0) | (1 << 1)  # bind, connect
SCOPES = (1 << 0) | (1 << 1)  # abstract unix sockets, signals
FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def abi() -> int:
    """The kernel's Landlock ABI version; 0 when Landlock is off, missing, or blocked (seccomp)."""
    try:
        v = _libc().syscall(SYS_CREATE, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    except (OSError, AttributeError):
        return 0
    return max(0, v)


def handled_fs(version: int) -> int:
    bits = ALL_V1
    bits |= REFER if version >= 2 else 0
    bits |= TRUNCATE if version >= 3 else 0
    bits |= IOCTL_DEV if version >= 5 else 0
    return bits


def _ruleset(libc, version: int) -> int:
    if version >= 6:
        attr = struct.pack("=QQQ", handled_fs(version), NET_TCP, SCOPES)
    elif version >= 4:
        attr = struct.pack("=QQ", handled_fs(version), NET_TCP)
    else:
        attr = struct.pack("=Q", handled_fs(version))
    buf = ctypes.create_string_buffer(attr, len(attr))
    fd = libc.syscall(SYS_CREATE, buf, ctypes.c_size_t(len(attr)), ctypes.c_uint32(0))
    if fd < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset")
    return fd


def _allow(libc, ruleset: int, path: str, access: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return  # a folder that is not there needs no rule
    try:
        if not os.path.isdir(path):
            access &= FILE_RIGHTS
        attr = ctypes.create_string_buffer(struct.pack("=Qi", access, fd), 12)
        if libc.syscall(SYS_ADD, ctypes.c_int(ruleset), ctypes.c_int(RULE_PATH_BENEATH), attr, ctypes.c_uint32(0)) != 0:
            raise OSError(ctypes.get_errno(), f"landlock_add_rule {path}")
    finally:
        os.close(fd)


def restrict(spec: dict) -> int:
    """Confine this process (and everything it starts) to ``spec``; returns the ABI used (0: not available)."""
    version = abi()
    if version < 1:
        return 0
    libc = _libc()
    everything = handled_fs(version)
    read = EXECUTE | READ_FILE | READ_DIR
    ruleset = _ruleset(libc, version)
    try:
        for p in spec.get("read", []):
            _allow(libc, ruleset, p, read)
        for p in spec.get("devices", []):
            _allow(libc, ruleset, p, read | WRITE_FILE | TRUNCATE | (IOCTL_DEV if version >= 5 else 0))
        for p in spec.get("write", []):
            _allow(libc, ruleset, p, everything)
        if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
        if libc.syscall(SYS_RESTRICT, ctypes.c_int(ruleset), ctypes.c_uint32(0)) != 0:
            raise OSError(ctypes.get_errno(), "landlock_restrict_self")
    finally:
        os.close(ruleset)
    return version


def restrict_from(path: str) -> int:
    with open(path, encoding="utf-8") as fh:
        return restrict(json.load(fh))
