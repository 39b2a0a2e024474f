"""The one interface every launcher returns: a started worker and the two pipes to talk to it.

``local.launch_local`` (bubblewrap or the reduced mode), ``docker.container.launcher`` (a container)
and a warm pool's child all hand ``WorkerSession`` an object of this shape; nothing above the
session knows which backend started the worker.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Protocol

from .limits import Limits


class WorkerProcess(Protocol):
    """What the session asks of the worker's process: whether it runs, and how it ended."""

    pid: int
    returncode: int | None
    stdout: object  # a binary stream: what the student's code printed
    stderr: object

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int: ...


class Launch(Protocol):
    proc: WorkerProcess
    req_fd: int  # the grader writes request frames here
    resp_fd: int  # and reads response frames here
    subdir: Path  # host folder the submission's text is written to (read-only to the worker)
    sandbox_workdir: str  # the worker's own writable folder, as the worker sees it
    sandbox_subdir: str  # the submission folder, as the worker sees it
    backend: str  # "local" | "docker" | ...
    isolation: str  # what confines the worker, said in the report

    def kill(self) -> None:
        """Kill the worker and everything it started; return only when none of it is left (bounded)."""

    def cleanup(self) -> None:
        """``kill``, close the pipes, remove the launch's folders and cgroups."""

    def cpu_seconds(self) -> float | None:
        """CPU time of the worker's processes as the operating system tells the grader; None: cannot tell."""


Launcher = Callable[[Limits], Launch]
