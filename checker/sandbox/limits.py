"""Resource limits for one sandboxed worker (plain data, shared by every backend)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    memory_mb: int = 2048  # address space of the worker (RLIMIT_AS) / container memory
    cpu_s: int = 120  # CPU seconds of the worker (RLIMIT_CPU)
    nproc: int = 64  # processes the sandbox may create
    fsize_mb: int = 256  # largest file the submission may write
    tmpfs_mb: int = 512  # size of the sandbox's /tmp and work dir where the backend can cap it
    nofile: int = 256  # open files
    output_kb: int = 64  # captured stdout/stderr, each cut at this size
    threads: int = 1  # torch / BLAS threads inside the sandbox
    call_timeout_s: float = 10.0  # wall clock for one call
    load_timeout_s: float = 20.0  # wall clock for importing the submission
    start_timeout_s: float = 60.0  # wall clock for the worker to start (import torch)
    total_timeout_s: float = 600.0  # wall clock for the whole submission

    def for_worker(self) -> dict:
        """The rlimits the worker applies to itself before importing the submission."""
        return {
            "memory_bytes": self.memory_mb * 1024 * 1024,
            "cpu_s": self.cpu_s,
            "fsize_bytes": self.fsize_mb * 1024 * 1024,
            "nofile": self.nofile,
        }
