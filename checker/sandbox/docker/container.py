"""One worker container: its run options, starting it, watching it, killing and removing it.

The container runs the grader image (``engine.image_name``) with

* no network (``network_mode=none``), a read-only root file system, and size-capped
  tmpfs mounts for ``/tmp`` and the work dir ``/sandbox`` (``Limits.tmpfs_mb`` each);
* a non-root user (uid/gid 10001), every capability dropped, ``no-new-privileges``, docker's
  default seccomp profile, a private IPC namespace, core dumps off;
* a memory cgroup limit equal to its swap limit (``Limits.memory_mb``: no swap), a pids
  limit (``Limits.nproc``: threads and forks together), a CPU quota (``Limits.threads`` CPUs);
* the submission folder bind-mounted read-only at ``/submission``; the checker's installed
  packages in the image (``site-packages/checker`` and ``site-packages/nlp100_ch08``: references,
  the reference solution, specs; and ``/opt/nlp100-checker`` of older images) hidden under empty
  read-only tmpfs mounts (``engine.IMAGE_MASKED``);
* the channels' folder bind-mounted read-only at ``/chan`` (``channels``: the request and
  response FIFOs; stdout and stderr come from an attach);
* only the worker inside: ``timeout -s KILL T python -I -B /opt/nlp100-worker/worker.py``
  (the worker files of *this* checker are bind-mounted over the image's, read-only, so grader
  and worker always speak the same protocol; ``NLP100_DOCKER_WORKER=image`` uses the image's);
* with ``--gpus`` (task 78), every GPU as a device request (needs the NVIDIA container toolkit);
* an environment made only of ``sandbox_env`` (the grader's never enters) and docker's
  ``none`` log driver (a flood of output is never written to the daemon's disk).

``launcher(options)`` checks the engine and the image once and returns ``limits ->
DockerLaunch``; ``launch_docker`` starts one container and returns its ``DockerLaunch``, the
``Launch`` of ``checker.sandbox.launch``.

Lifetime.  Each container is labelled ``nlp100-checker=1`` plus its owner (host, pid and a
per-process session id) and its deadline (``engine.owner_labels``), and is registered *before*
it is created.  It is killed and removed: by ``Launch.cleanup()``; by the host timer at the
wall-clock limit (``start_timeout_s + total_timeout_s`` + a margin), and inside by ``timeout -s
KILL`` at the same limit, even if the grader is gone; at interpreter exit (``atexit``); on
SIGTERM, SIGHUP and SIGINT (handlers that remove this process's containers and then do what the
previous handler did: die by the signal, or raise KeyboardInterrupt).  A grader killed with
SIGKILL leaves a stopped container at worst (the worker reads EOF and exits): the next
``launcher()`` on the machine removes containers whose owner process is gone or whose deadline
has passed (``engine.sweep_orphans``).
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..limits import Limits
from ..local import HERE, SANDBOX_SUBMISSION, SANDBOX_WORKDIR, SANDBOX_WORKER, WORKER_FILES, sandbox_env
from .channels import SANDBOX_CHAN, DockerProcess, Fifos, attach_output
from .engine import (
    IMAGE_MASKED,
    IMAGE_PYTHON,
    LABEL,
    SANDBOX_UID,
    _client,
    _docker,
    _explain,
    _fresh_api,
    _SESSION,
    image_name,
    owner_labels,
    ready,
    sweep_orphans,
)

DEADLINE_MARGIN_S = 30.0

_LOCK = threading.RLock()
_LIVE: dict[str, DockerLaunch] = {}  # container name -> launch, registered before creation
_HANDLERS_INSTALLED = False
_PREVIOUS: dict[int, Any] = {}
_SWEPT = False


# -- cleanup: atexit, signals ---------------------------------------------------------------------


def cleanup_all() -> None:
    """Kill and remove every container this process started (or was starting)."""
    with _LOCK:
        launches = list(_LIVE.values())
    for la in launches:
        la.remove_now()
    try:
        api = _fresh_api(timeout=10)
    except Exception:  # noqa: BLE001
        return
    try:
        for _ in range(2):  # a create may have been in flight at the first pass
            for c in api.containers(all=True, filters={"label": f"{LABEL}.session={_SESSION}"}):
                try:
                    api.remove_container(c["Id"], force=True)
                except Exception:  # noqa: BLE001
                    pass
            if not launches:
                break
            time.sleep(0.2)
    except Exception:  # noqa: BLE001
        pass
    finally:
        api.close()


def _on_signal(signum: int, frame: Any) -> Any:
    cleanup_all()
    prev = _PREVIOUS.get(signum, signal.SIG_DFL)
    if callable(prev):
        return prev(signum, frame)  # e.g. Python's default SIGINT handler: KeyboardInterrupt
    if prev == signal.SIG_IGN:
        return None
    signal.signal(signum, signal.SIG_DFL)  # die by the signal, as without this handler
    os.kill(os.getpid(), signum)
    return None


def _install_handlers() -> None:
    global _HANDLERS_INSTALLED
    if _HANDLERS_INSTALLED or threading.current_thread() is not threading.main_thread():
        return
    _HANDLERS_INSTALLED = True
    atexit.register(cleanup_all)
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        try:
            prev = signal.getsignal(sig)
            if prev == signal.SIG_IGN or prev is None:
                continue  # ignored on purpose (nohup), or set outside Python: leave it alone
            _PREVIOUS[sig] = prev
            signal.signal(sig, _on_signal)
        except (ValueError, OSError):  # pragma: no cover
            pass


# -- a started container ---------------------------------------------------------------------------


@dataclass
class DockerLaunch:
    """A started worker container and the FIFOs to talk to it (the shape of ``local.Launch``)."""

    proc: DockerProcess
    req_fd: int
    resp_fd: int
    workdir: Path
    subdir: Path
    sandbox_workdir: str
    sandbox_subdir: str
    backend: str
    isolation: str
    root: Path
    fifos: Fifos
    name: str = ""
    deadline: float = 0.0
    _timer: threading.Timer | None = None
    _threads: list[threading.Thread] = field(default_factory=list)
    _removed: bool = False
    _started: bool = False  # the watcher thread runs: proc will learn the exit

    def kill(self) -> None:
        """Kill the container (and so everything in it); wait until the engine says it stopped."""
        if self.proc.poll() is None:
            if self.proc.id is not None:
                try:
                    _client().api.kill(self.proc.id)
                except Exception:  # noqa: BLE001 - already stopped or gone (409/404), or the engine vanished
                    pass
            try:
                if not self._started:
                    raise TimeoutError
                self.proc.wait(timeout=15)
            except Exception:  # noqa: BLE001 - never started, or the watcher never heard back
                self.proc.exited(None)
        self.fifos.container_ended()

    def cpu_seconds(self) -> float | None:
        """CPU seconds used by the container so far, as the engine reports them (its cgroup), or None."""
        try:
            stats = _client().api.stats(self.proc.id or self.name, stream=False, one_shot=True)
            return float(stats["cpu_stats"]["cpu_usage"]["total_usage"]) / 1e9
        except Exception:  # noqa: BLE001 - gone, not started, an engine without stats
            return None

    def cleanup(self) -> None:
        """Kill and remove the container, close the channels, delete the host folder."""
        if self._timer is not None:
            self._timer.cancel()
        try:
            self.kill()
            self._remove(_client().api)
        except Exception as e:  # noqa: BLE001 - the engine went away: say so, never a traceback
            import sys

            print(
                f"nlp100-checker: could not remove container {self.name} ({_explain(e)}); "
                f"remove it with `docker rm -f {self.name}`",
                file=sys.stderr,
            )
        self._close_channels()
        with _LOCK:
            if self._removed:
                _LIVE.pop(self.name, None)

    def remove_now(self) -> None:
        """From a signal handler, atexit or the wall-clock timer: remove the container over a fresh
        connection and delete the host folder, but leave the file descriptors to the owner."""
        if self._timer is not None:
            self._timer.cancel()
        try:
            api = _fresh_api(timeout=10)
            try:
                self._remove(api)
            finally:
                api.close()
        except Exception:  # noqa: BLE001
            pass
        self.fifos.container_ended()
        shutil.rmtree(self.root, ignore_errors=True)
        with _LOCK:
            if self._removed:
                _LIVE.pop(self.name, None)

    # -- internals -------------------------------------------------------
    def _remove(self, api: Any) -> None:
        if self._removed:
            return
        if self.proc.id is None and not self.name:
            self._removed = True
            return
        for _ in range(50):
            try:
                api.remove_container(self.proc.id or self.name, force=True)
            except Exception as e:  # noqa: BLE001
                status = getattr(getattr(e, "response", None), "status_code", None)
                if status == 404:
                    break
                if status == 409:  # removal already in progress
                    time.sleep(0.1)
                    continue
                raise
            else:
                break
        self._removed = True

    def _close_channels(self) -> None:
        if not self.fifos.close():
            return
        for t in self._threads:
            t.join(timeout=2)
        self.proc.close()
        shutil.rmtree(self.root, ignore_errors=True)


# -- watching a container -------------------------------------------------------------------------


def _watch_exit(launch: DockerLaunch) -> None:
    code = None
    try:
        api = _fresh_api(timeout=None)
        try:
            res = api.wait(launch.proc.id, timeout=None)
            code = int(res.get("StatusCode", -9)) if isinstance(res, dict) else int(res)
            try:
                launch.proc.oom_killed = bool(api.inspect_container(launch.proc.id)["State"].get("OOMKilled"))
            except Exception:  # noqa: BLE001
                pass
        finally:
            api.close()
    except Exception:  # noqa: BLE001 - removed under us, or the engine went away
        code = None
    launch.proc.exited(code)
    launch.fifos.container_ended()


def _expire(launch: DockerLaunch) -> None:
    """The wall-clock limit: kill and remove the container, whatever the grader is doing."""
    try:
        launch.remove_now()
    except Exception:  # noqa: BLE001
        pass


# -- starting one -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DockerConfig:
    image: str
    gpus: bool = False
    worker_from_host: bool = True
    python: str = IMAGE_PYTHON


def describe(limits: Limits, cfg: DockerConfig, cpus: float) -> str:
    d = (
        f"docker: network none, read-only root, non-root (uid {SANDBOX_UID}), cap-drop ALL, no-new-privileges, "
        f"memory {limits.memory_mb} MB (no swap), pids {limits.nproc}, cpus {cpus:g}, "
        f"tmpfs /tmp and {SANDBOX_WORKDIR} {limits.tmpfs_mb} MB"
    )
    if cfg.gpus:
        d += ", GPU passed through"
    return d + f" (image {cfg.image})"


def launch_docker(limits: Limits, cfg: DockerConfig) -> DockerLaunch:
    """Start one worker container. Raises RuntimeError (the session turns it into SandboxError)."""
    docker = _docker()
    api = _client().api
    root = Path(tempfile.mkdtemp(prefix=f"nlp100-docker-{os.getpid()}-"))  # 0700: other host users stay out
    workdir, subdir, chan = root / "work", root / "submission", root / "chan"
    for d in (workdir, subdir, chan):
        d.mkdir()
    os.chmod(subdir, 0o755)
    os.chmod(chan, 0o755)
    fifos = Fifos(chan)

    name = f"nlp100-{uuid.uuid4().hex[:12]}"
    wall = limits.start_timeout_s + limits.total_timeout_s + DEADLINE_MARGIN_S
    deadline = time.time() + wall
    ncpu = os.cpu_count() or 1
    cpus = float(min(max(1, limits.threads), ncpu))
    proc = DockerProcess(name)
    launch = DockerLaunch(
        proc=proc,
        req_fd=fifos.req_fd,
        resp_fd=fifos.resp_fd,
        workdir=workdir,
        subdir=subdir,
        sandbox_workdir=SANDBOX_WORKDIR,
        sandbox_subdir=SANDBOX_SUBMISSION,
        backend="docker",
        isolation=describe(limits, cfg, cpus),
        root=root,
        fifos=fifos,
        name=name,
        deadline=deadline,
    )
    with _LOCK:
        _LIVE[name] = launch

    env = sandbox_env(limits)
    tmpfs_size = f"{limits.tmpfs_mb}m"
    binds = {
        str(subdir): {"bind": SANDBOX_SUBMISSION, "mode": "ro"},
        str(chan): {"bind": SANDBOX_CHAN, "mode": "ro"},
    }
    if cfg.worker_from_host:
        for f in WORKER_FILES:
            binds[str(HERE / f)] = {"bind": f"{SANDBOX_WORKER}/{f}", "mode": "ro"}
    device_requests = None
    if cfg.gpus:
        device_requests = [docker.types.DeviceRequest(count=-1, capabilities=[["gpu"]])]
        env = {**env, "NVIDIA_DRIVER_CAPABILITIES": "compute,utility"}
    command = [
        "/usr/bin/timeout",
        "-s",
        "KILL",
        f"{int(wall)}",
        cfg.python,
        "-I",
        "-B",
        f"{SANDBOX_WORKER}/worker.py",
        "--in-path",
        f"{SANDBOX_CHAN}/req",
        "--out-path",
        f"{SANDBOX_CHAN}/resp",
    ]
    try:
        host_config = api.create_host_config(
            binds=binds,
            tmpfs={
                "/tmp": f"rw,nosuid,nodev,size={tmpfs_size},mode=1777",
                SANDBOX_WORKDIR: f"rw,nosuid,nodev,size={tmpfs_size},uid={SANDBOX_UID},gid={SANDBOX_UID},mode=0700",
                **{m: "ro,nosuid,nodev,noexec,size=64k,mode=0555" for m in IMAGE_MASKED},
            },
            read_only=True,
            network_mode="none",
            cap_drop=["ALL"],
            security_opt=["no-new-privileges"],
            mem_limit=f"{limits.memory_mb}m",
            memswap_limit=f"{limits.memory_mb}m",
            pids_limit=int(limits.nproc),
            nano_cpus=int(cpus * 1e9),
            ulimits=[docker.types.Ulimit(name="core", soft=0, hard=0)],
            ipc_mode="private",
            oom_score_adj=1000,
            log_config=docker.types.LogConfig(type="none"),
            device_requests=device_requests,
            auto_remove=False,
            init=False,
        )
        created = api.create_container(
            image=cfg.image,
            command=command,
            name=name,
            user=f"{SANDBOX_UID}:{SANDBOX_UID}",
            environment=env,
            working_dir=SANDBOX_WORKDIR,
            labels=owner_labels(deadline),
            host_config=host_config,
            hostname="sandbox",
            stdin_open=False,
            tty=False,
            network_disabled=False,
        )
        proc.id = created["Id"]
        launch._threads.append(attach_output(api, proc))
        api.start(proc.id)
        try:
            proc.pid = int(api.inspect_container(proc.id)["State"].get("Pid") or 0)
        except Exception:  # noqa: BLE001
            pass
        watcher = threading.Thread(target=_watch_exit, args=(launch,), name=f"{name}-wait", daemon=True)
        watcher.start()
        launch._started = True
        timer = threading.Timer(wall, _expire, args=(launch,))
        timer.daemon = True
        timer.start()
        launch._timer = timer
    except BaseException as e:
        launch.cleanup()
        if not isinstance(e, Exception):
            raise  # KeyboardInterrupt, SystemExit: the container is gone already
        why = _explain(e)
        if cfg.gpus and ("device driver" in why or "nvidia" in why.lower()):
            why += " (--gpus needs the NVIDIA driver and the NVIDIA container toolkit on the engine's host)"
        raise RuntimeError(f"docker backend: could not start a container from {cfg.image}: {why}") from e
    return launch


def launcher(options: Any) -> Callable[[Limits], DockerLaunch]:
    """``limits -> DockerLaunch`` for ``Options`` (image, gpus). Raises SandboxError when docker cannot be used."""
    image = image_name(options)
    api = ready(image)
    _install_handlers()
    global _SWEPT
    if not _SWEPT:
        _SWEPT = True
        sweep_orphans(api)
    cfg = DockerConfig(
        image=image,
        gpus=bool(getattr(options, "gpus", False)),
        worker_from_host=os.environ.get("NLP100_DOCKER_WORKER", "host") != "image",
        python=os.environ.get("NLP100_DOCKER_PYTHON", IMAGE_PYTHON),
    )
    return lambda limits: launch_docker(limits, cfg)
