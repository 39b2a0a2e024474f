"""grade-batch's grading processes: a pool that survives a dead process and leaves nothing behind.

Each grading process (``checker.batch.child``) grades one submission at a time.  It runs
in its own session and process group, so a Ctrl-C in the terminal reaches only the batch, which
decides; it gets SIGKILL when the batch dies, and its sandbox workers die with it.

A process that dies (the OOM killer, a crash: its pipe ends) is replaced, and its submission is
retried once in a fresh process; a second death is reported as a checker fault.  The batch is a
child subreaper while the pool runs, so every process a dead grader leaves (a worker, what the
student's code forked, even in a new session) becomes the batch's child, and ``sweep`` kills it;
the pids cgroups and temporary folders the grader reported are removed, and with the docker
backend the containers whose owner is gone.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from .child import MODULE, PR_SET_CHILD_SUBREAPER, _prctl


@dataclass
class Task:
    id: int
    student: str
    attempts: int = 0  # deaths of a grading process while on it
    fresh: bool = False  # a retry: only for a process that has graded nothing yet
    started: float = 0.0
    info: dict = field(default_factory=dict)  # the caller's (the entry, the sha256 of the bytes sent)


class Grader:
    """One grading process and its two pipes."""

    def __init__(self, config: bytes):
        r_in, self.to_fd = os.pipe()
        self.from_fd, w_out = os.pipe()
        # -P: never import from the working directory (it may be the class folder, holding a student's "checker/")
        self.proc = subprocess.Popen(
            [sys.executable, "-P", "-m", MODULE, str(r_in), str(w_out), str(os.getpid())],
            pass_fds=(r_in, w_out),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        os.close(r_in)
        os.close(w_out)
        self.buf = b""
        self.task: Task | None = None
        self.used = False
        self.ledger: list[dict] = []  # what its sandbox launches made: pids cgroups, temporary folders
        self.send(config)

    def send(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self.to_fd, view) :]

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # its group: the pid is ours until we reap it
        except (ProcessLookupError, PermissionError):
            pass

    def close(self) -> None:
        for fd in (self.to_fd, self.from_fd):
            try:
                os.close(fd)
            except OSError:
                pass


def describe(rc: int | None) -> str:
    if rc is None:
        return "did not answer"
    if rc < 0:
        try:
            return f"killed by {signal.Signals(-rc).name}"
        except ValueError:
            return f"killed by signal {-rc}"
    return f"exit status {rc}"


class Pool:
    """Runs tasks on up to ``jobs`` grading processes.  ``payload(task)`` gives the task line (None:
    settled without grading), ``done(task, result)`` and ``fault(task, why)`` record the outcome."""

    def __init__(self, jobs: int, config: dict, stop, log, payload, done, fault):
        self.jobs, self.stop, self.log = max(1, jobs), stop, log
        self.payload, self.done, self.fault = payload, done, fault
        self.config = (json.dumps(config) + "\n").encode()
        self.docker = config["options"].get("backend") == "docker"
        self.graders: dict[int, Grader] = {}
        self.queue: deque[Task] = deque()
        self.sel = selectors.DefaultSelector()
        self.known = set(_children())  # our children before the pool: never swept
        self.removing: dict[int, Grader] = {}  # being killed by _remove (still cleaned by an emergency)

    def run(self, tasks: list[Task]) -> None:
        self.queue.extend(tasks)
        _prctl(PR_SET_CHILD_SUBREAPER, 1)
        try:
            while (self.queue or self._busy()) and not self.stop.requested:
                self._fill()
                self._poll(0.1)
        finally:
            self.shutdown()
            _prctl(PR_SET_CHILD_SUBREAPER, 0)

    def _busy(self) -> int:
        return sum(1 for g in self.graders.values() if g.task is not None)

    def _fill(self) -> None:
        while len(self.graders) < min(self.jobs, len(self.queue) + self._busy()):
            g = Grader(self.config)
            self.graders[g.from_fd] = g
            self.sel.register(g.from_fd, selectors.EVENT_READ, g)
        for g in [g for g in self.graders.values() if g.task is None]:
            self._assign(g)
        idle = [g for g in self.graders.values() if g.task is None and g.used]
        if self.queue and self.queue[0].fresh and idle and all(g.used for g in self.graders.values()):
            self._remove(idle[0])  # a retry needs a fresh process: make room for one

    def _assign(self, g: Grader) -> None:
        while g.task is None:
            task = next((t for t in self.queue if not (t.fresh and g.used)), None)
            if task is None:
                return
            self.queue.remove(task)
            line = self.payload(task)
            if line is None:
                continue
            g.task, g.used, task.started = task, True, time.monotonic()
            try:
                g.send(line)
            except OSError:
                self._died(g)
                return

    def _poll(self, timeout: float) -> None:
        for key, _ in self.sel.select(timeout):
            g = key.data
            try:
                data = os.read(g.from_fd, 1 << 16)
            except OSError:
                data = b""
            if not data:
                self._died(g)
                continue
            g.buf += data
            *lines, g.buf = g.buf.split(b"\n")
            for line in lines:
                if not self._message(g, line):
                    self._died(g, "sent a message that is not JSON")
                    break

    def _message(self, g: Grader, line: bytes) -> bool:
        try:
            msg = json.loads(line)
        except ValueError:
            return False
        if "launched" in msg:
            g.ledger.append(msg["launched"])
        elif "result" in msg and g.task is not None:
            task, g.task = g.task, None
            self._clean_ledger(g, containers=False)
            self.done(task, msg["result"])
        return True

    def _remove(self, g: Grader) -> int | None:
        """Kill a grading process and reap it; its leftovers are swept."""
        self.removing[g.proc.pid] = g
        try:
            return self._kill_and_clean(g)
        finally:
            self.removing.pop(g.proc.pid, None)

    def _kill_and_clean(self, g: Grader) -> int | None:
        if self.graders.pop(g.from_fd, None) is not None:
            self.sel.unregister(g.from_fd)
        g.ledger += _cgroups_of(_tree(_process_table(), g.proc.pid))
        g.kill()
        self._drain(g)
        g.close()
        try:
            rc = g.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL cannot be ignored
            rc = None
        self.sweep()
        self._clean_ledger(g)
        return rc

    def _drain(self, g: Grader) -> None:
        """The messages still in its pipe (what it launched just before it died)."""
        os.set_blocking(g.from_fd, False)
        try:
            while data := os.read(g.from_fd, 1 << 16):
                g.buf += data
        except OSError:
            pass
        for line in g.buf.split(b"\n"):
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            if isinstance(msg, dict) and "launched" in msg:
                g.ledger.append(msg["launched"])
        g.buf = b""

    def _died(self, g: Grader, why: str | None = None) -> None:
        task = g.task
        why = why or describe(self._remove(g))
        if task is None or self.stop.requested:  # stopping: the next run grades it
            return
        task.attempts += 1
        if task.attempts < 2:
            self.log(f"grade-batch: the grading process of {task.student} died ({why}); retrying in a fresh process")
            task.fresh = True
            self.queue.appendleft(task)
        else:
            self.fault(task, f"the grading process died {task.attempts} times ({why})")

    def sweep(self, rounds: int = 100) -> None:
        """Kill every child of ours that is not a live grading process (orphans reparented to us) and its tree."""
        live = self.known | {g.proc.pid for g in self.graders.values()}
        for _ in range(rounds):
            table = _process_table()
            orphans = [p for p, pp in table.items() if pp == os.getpid() and p not in live]
            if not orphans:
                return
            for p in orphans:
                for q in _tree(table, p):
                    _kill(q)
            for p in orphans:
                _reap(p)

    def _clean_ledger(self, g: Grader, containers: bool = True) -> None:
        from ..sandbox.local import _kill_cgroup

        for item in g.ledger:
            cg, root = item.get("cgroup"), item.get("root")
            if cg and cg.startswith("/sys/fs/cgroup/") and "/nlp100-" in cg:
                _remove_cgroup(Path(cg), _kill_cgroup)
            if root and Path(root).parent == Path(tempfile.gettempdir()) and Path(root).name.startswith("nlp100-"):
                shutil.rmtree(root, ignore_errors=True)
        g.ledger.clear()
        # a worker's folder or cgroups made just before the process was killed, before it could report them
        # (checker.sandbox.local and checker.sandbox.cgroups name them nlp100-<pid of the grading process>-*)
        # (gone from /proc: reaped; Popen.poll() may answer None from a signal handler while another call waits)
        if not os.path.exists(f"/proc/{g.proc.pid}"):
            from ..sandbox import cgroups
            from ..sandbox.local import _rmtree

            for left in Path(tempfile.gettempdir()).glob(f"nlp100-{g.proc.pid}-*"):
                _rmtree(left)
            for cg in cgroups.made_by(g.proc.pid):
                for d in cg.dirs:
                    _remove_cgroup(d, _kill_cgroup)
        if self.docker and containers:
            try:
                from ..sandbox.docker.engine import sweep_orphans

                sweep_orphans()
            except Exception:  # noqa: BLE001 - the engine is gone: nothing of ours runs there
                pass

    def shutdown(self) -> None:
        for g in list(self.graders.values()):
            self._remove(g)
        self.sweep()

    def emergency(self) -> None:
        """From a signal handler (a second Ctrl-C): kill everything now, without waiting on locks."""
        graders = list(self.graders.values()) + [g for g in self.removing.values() if g not in self.graders.values()]
        table = _process_table()
        for g in graders:
            g.ledger += _cgroups_of(_tree(table, g.proc.pid))
            g.kill()
            try:
                self._drain(g)
            except OSError:  # closed already by _remove
                pass
        for g in graders:
            try:
                os.waitpid(g.proc.pid, 0)  # SIGKILL: at once; its children are ours now
            except ChildProcessError:
                pass
        self.graders.clear()
        self.sweep(rounds=20)
        for g in graders:
            self._clean_ledger(g)


def _remove_cgroup(cg: Path, kill) -> None:
    for _ in range(100):  # busy while its last processes finish exiting (up to ~1 s)
        kill(cg)
        _reap_zombies()  # a killed process we adopted holds its cgroup until it is reaped
        try:
            os.rmdir(cg)
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.01)


def _reap_zombies() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _children() -> list[int]:
    return [p for p, pp in _process_table().items() if pp == os.getpid()]


def _process_table() -> dict[int, int]:
    """pid -> parent pid, from /proc."""
    out = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat", "rb") as fh:
                    out[int(d)] = int(fh.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    return out


def _cgroups_of(pids: list[int]) -> list[dict]:
    """The checker's pids cgroups that these processes are in (read before they are killed)."""
    out = []
    for p in pids:
        try:
            with open(f"/proc/{p}/cgroup") as fh:
                lines = fh.read().splitlines()
        except OSError:
            continue
        for ln in lines:
            _, controllers, path = ln.split(":", 2)
            if "pids" in controllers.split(",") and path.startswith("/nlp100-"):
                out.append({"cgroup": f"/sys/fs/cgroup/pids{path}"})
    return out


def _tree(table: dict[int, int], root: int) -> list[int]:
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += [c for c, pp in table.items() if pp == p]
    return out


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _reap(pid: int, timeout: float = 1.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if os.waitpid(pid, os.WNOHANG)[0]:
                return
        except ChildProcessError:
            return
        time.sleep(0.01)
