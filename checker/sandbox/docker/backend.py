"""The docker backend: one fresh container per submission worker.

The container runs the grader image (``Options.image``, else ``$NLP100_IMAGE``, else
``nlp100-checker:latest``, or ``nlp100-checker:cuda`` with ``--gpus``; built by
``docker/build-image.sh``) with

* no network (``network_mode=none``), a read-only root file system, and size-capped
  tmpfs mounts for ``/tmp`` and the work dir ``/sandbox`` (``Limits.tmpfs_mb`` each);
* a non-root user (uid/gid 10001), every capability dropped, ``no-new-privileges``, docker's
  default seccomp profile, a private IPC namespace, core dumps off;
* a memory cgroup limit equal to its swap limit (``Limits.memory_mb``: no swap), a pids
  limit (``Limits.nproc``: threads and forks together), a CPU quota (``Limits.threads`` CPUs);
* the submission folder bind-mounted read-only at ``/submission``; the checker's installed
  packages in the image (``site-packages/checker`` and ``site-packages/nlp100_ch08``: references,
  the reference solution, specs; and ``/opt/nlp100-checker`` of older images) hidden under empty
  read-only tmpfs mounts (``IMAGE_MASKED``);
* only the worker inside: ``timeout -s KILL T python -I -B /opt/nlp100-worker/worker.py``
  (the worker files of *this* checker are bind-mounted over the image's, read-only, so grader
  and worker always speak the same protocol; ``NLP100_DOCKER_WORKER=image`` uses the image's);
* with ``--gpus`` (task 78), every GPU as a device request (needs the NVIDIA container toolkit);
* an environment made only of ``sandbox_env`` (the grader's never enters) and docker's
  ``none`` log driver (a flood of output is never written to the daemon's disk).

Channels.  The wire protocol is the local backend's, byte for byte: request frames on one
pipe, response frames on another, the student's stdout and stderr apart.  Here the pipes
are two FIFOs, ``req`` and ``resp``, in a private host folder bind-mounted read-only at
``/chan`` (a FIFO stays writable on a read-only mount).  The grader opens its ends before
the container starts: ``resp`` for reading (non-blocking open), ``req`` for writing, which
needs a reader, so the grader also holds a placeholder reader on ``req`` until the
container ends.  The worker (``--in-path/--out-path``) then opens its ends without
blocking.  When the worker dies, every writer of ``resp`` is gone and the grader reads EOF,
exactly as with a pipe; when the container ends (even before the worker opened its ends) a
watcher thread drops the placeholder reader, so a blocked write fails with EPIPE, and opens
and closes ``resp`` once, so a reader that never saw a writer still gets EOF.  stdout and
stderr come from an attach to the container made before it starts, split back into two
pipes for the session's capture threads.  Why not the container's stdin for requests: the
daemon buffers it, so a dead worker shows up late, and EOF/EPIPE semantics are the daemon's
rather than the kernel's.

Lifetime.  Each container is labelled ``nlp100-checker=1`` plus its owner (host, pid and a
per-process session id) and its deadline, and is registered *before* it is created.  It is
killed and removed: by ``Launch.cleanup()``; by the host timer at the wall-clock limit
(``start_timeout_s + total_timeout_s`` + a margin), and inside by ``timeout -s KILL`` at the
same limit, even if the grader is gone; at interpreter exit (``atexit``); on SIGTERM, SIGHUP
and SIGINT (handlers that remove this process's containers and then do what the previous
handler did: die by the signal, or raise KeyboardInterrupt).  A grader killed with SIGKILL
leaves a stopped container at worst (the worker reads EOF and exits): the next ``launcher()``
on the machine removes containers whose owner process is gone or whose deadline has passed.
"""

from __future__ import annotations

import atexit
import fcntl
import os
import shutil
import signal
import socket
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from ..limits import Limits
from ..local import HERE, SANDBOX_SUBMISSION, SANDBOX_WORKDIR, SANDBOX_WORKER, WORKER_FILES, sandbox_env

DEFAULT_IMAGE = "nlp100-checker:latest"
CUDA_IMAGE = "nlp100-checker:cuda"  # TORCH_VARIANT=cuda docker/build-image.sh
LABEL = "nlp100-checker"
SANDBOX_UID = 10001
SANDBOX_CHAN = "/chan"
IMAGE_PYTHON = "/opt/venv/bin/python"
IMAGE_CHECKER = "/opt/nlp100-checker"  # the editable install of images before 0.2 (masked too)
IMAGE_SITE = "/opt/venv/lib/python3.11/site-packages"  # the image installs the checker's wheel here
# masked in submission containers: the checker and its exercise pack (references, reference solution)
IMAGE_MASKED = (IMAGE_CHECKER, f"{IMAGE_SITE}/checker", f"{IMAGE_SITE}/nlp100_ch08")
DEADLINE_MARGIN_S = 30.0
PING_TIMEOUT_S = 2.0

_SESSION = uuid.uuid4().hex[:12]
_HOST = socket.gethostname()
_LOCK = threading.RLock()
_LIVE: dict[str, "DockerLaunch"] = {}  # container name -> launch, registered before creation
_CLIENTS: dict[str, object] = {}
_HANDLERS_INSTALLED = False
_PREVIOUS: dict[int, object] = {}
_SWEPT = False


# -- the engine ---------------------------------------------------------------------------------


def _docker():
    try:
        import docker  # noqa: F401
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise RuntimeError(
            "the docker backend needs the Docker SDK for Python: pip install 'nlp100-checker[docker]'"
        ) from e
    return docker


def _client(timeout: float = 60.0):
    """A client for the engine named by the environment (DOCKER_HOST, ...), cached per process."""
    key = f"{os.environ.get('DOCKER_HOST', '')}|{timeout}"
    with _LOCK:
        c = _CLIENTS.get(key)
        if c is None:
            c = _docker().from_env(timeout=timeout)
            _CLIENTS[key] = c
        return c


def _fresh_api(timeout: float | None = 30.0):
    """A new low-level client with its own connection (signal handlers, watcher threads)."""
    docker = _docker()
    version = _client().api.api_version
    return docker.APIClient(version=version, timeout=timeout, **docker.utils.kwargs_from_env())


def image_name(options=None) -> str:
    """``--image``, else ``$NLP100_IMAGE``, else nlp100-checker:latest (nlp100-checker:cuda with ``--gpus``)."""
    explicit = (getattr(options, "image", None) if options is not None else None) or os.environ.get("NLP100_IMAGE")
    if explicit:
        return explicit
    return CUDA_IMAGE if getattr(options, "gpus", False) else DEFAULT_IMAGE


def engine_answers(timeout: float = PING_TIMEOUT_S) -> bool:
    """True when a Docker engine answers a ping within ``timeout`` seconds."""
    try:
        docker = _docker()
    except RuntimeError:
        return False
    try:
        c = docker.from_env(timeout=timeout)
        try:
            return bool(c.ping())
        finally:
            c.close()
    except Exception:  # noqa: BLE001 - no socket, refused, timeout, bad DOCKER_HOST
        return False


def image_present(image: str | None = None) -> bool:
    try:
        _client().api.inspect_image(image or image_name())
        return True
    except Exception:  # noqa: BLE001
        return False


def available(image: str | None = None) -> bool:
    """True when an engine answers (a ping, 2 s at most) and holds the grader image.

    ``--backend auto`` uses docker only then: an engine without the image would make every
    grading fail, where the local backend would have graded."""
    return engine_answers() and image_present(image)


# -- cleanup: atexit, signals, orphans ----------------------------------------------------------


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


def _on_signal(signum, frame):
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


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_orphans(api=None) -> int:
    """Remove labelled containers whose owner process on this host is gone or whose deadline passed."""
    api = api or _client().api
    n = 0
    now = time.time()
    try:
        found = api.containers(all=True, filters={"label": f"{LABEL}=1"})
    except Exception:  # noqa: BLE001
        return 0
    for c in found:
        labels = c.get("Labels") or {}
        if labels.get(f"{LABEL}.session") == _SESSION:
            continue
        try:
            deadline = float(labels.get(f"{LABEL}.deadline", "inf"))
            pid = int(labels.get(f"{LABEL}.pid", "0"))
        except ValueError:
            deadline, pid = 0.0, 0
        orphan = labels.get(f"{LABEL}.host") == _HOST and pid > 0 and not _pid_alive(pid)
        if orphan or now > deadline + 60:
            try:
                api.remove_container(c["Id"], force=True)
                n += 1
            except Exception:  # noqa: BLE001
                pass
    # the host folders of graders that died by SIGKILL
    for d in Path(tempfile.gettempdir()).glob("nlp100-docker-*-*"):
        try:
            pid = int(d.name.split("-")[2])
            if d.stat().st_uid == os.geteuid() and not _pid_alive(pid):
                shutil.rmtree(d, ignore_errors=True)
        except (ValueError, IndexError, OSError):
            pass
    return n


# -- a container that looks like a Popen ---------------------------------------------------------


class DockerProcess:
    """The container seen as a process: pid, poll(), wait(), returncode, stdout, stderr."""

    def __init__(self, name: str):
        self.name = name
        self.id: str | None = None
        self.pid = 0  # the host pid of the container's init, once started
        self.returncode: int | None = None
        self.oom_killed = False
        self._done = threading.Event()
        out_r, self._out_w = os.pipe()
        err_r, self._err_w = os.pipe()
        self.stdout = open(out_r, "rb", buffering=0)  # noqa: SIM115 - kept open on purpose: it outlives this call
        self.stderr = open(err_r, "rb", buffering=0)  # noqa: SIM115 - kept open on purpose: it outlives this call

    def poll(self) -> int | None:
        return self.returncode if self._done.is_set() else None

    def wait(self, timeout: float | None = None) -> int:
        if not self._done.wait(timeout):
            import subprocess

            raise subprocess.TimeoutExpired(self.name, timeout)
        return self.returncode

    def _exited(self, code: int | None) -> None:
        if self._done.is_set():
            return
        if code is None:
            code = -signal.SIGKILL
        elif 128 < code <= 128 + 64:
            code = -(code - 128)  # as Popen: killed by signal N -> -N (timeout and the OOM killer send KILL)
        self.returncode = code
        self._done.set()

    def _close_writers(self) -> None:
        for attr in ("_out_w", "_err_w"):
            fd = getattr(self, attr)
            if fd is not None:
                setattr(self, attr, None)
                try:
                    os.close(fd)
                except OSError:
                    pass


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
    name: str = ""
    deadline: float = 0.0
    _req_placeholder: int | None = None
    _resp_path: str = ""
    _timer: threading.Timer | None = None
    _threads: list = field(default_factory=list)
    _removed: bool = False
    _closed: bool = False
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
                self.proc._exited(None)
        self._after_exit()

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
        self._close_fds()
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
        self._after_exit()
        shutil.rmtree(self.root, ignore_errors=True)
        with _LOCK:
            if self._removed:
                _LIVE.pop(self.name, None)

    # -- internals -------------------------------------------------------
    def _after_exit(self) -> None:
        """The container ended: no reader of req keeps a write from failing, and resp reads EOF."""
        with _LOCK:
            fd, self._req_placeholder = self._req_placeholder, None
            closed = self._closed
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass
        if self._resp_path and not closed:
            try:
                os.close(os.open(self._resp_path, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:
                pass

    def _remove(self, api) -> None:
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

    def _close_fds(self) -> None:
        with _LOCK:
            if self._closed:
                return
            self._closed = True
        for fd in (self.req_fd, self.resp_fd):
            try:
                os.close(fd)
            except OSError:
                pass
        for t in self._threads:
            t.join(timeout=2)
        self.proc._close_writers()
        for f in (self.proc.stdout, self.proc.stderr):
            try:
                f.close()
            except OSError:
                pass
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
    launch.proc._exited(code)
    launch._after_exit()


def _pump_output(launch: DockerLaunch, sock) -> None:
    """Split the attach stream (docker's 8-byte frame headers) into the stdout and stderr pipes."""
    from docker.utils.socket import frames_iter

    proc = launch.proc
    try:
        for stream, data in frames_iter(sock, tty=False):
            fd = proc._out_w if stream == 1 else proc._err_w if stream == 2 else None
            if fd is None or not data:
                continue
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
    except (OSError, ValueError, TypeError):
        pass  # the reader is gone (cleanup) or the socket closed
    except Exception:  # noqa: BLE001
        pass
    finally:
        try:
            sock.close()
        except Exception:  # noqa: BLE001
            pass
        proc._close_writers()


# -- starting one -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DockerConfig:
    image: str
    gpus: bool = False
    worker_from_host: bool = True
    python: str = IMAGE_PYTHON


def _fifo(path: Path) -> None:
    os.mkfifo(path, 0o600)
    if os.geteuid() == 0:
        os.chown(path, SANDBOX_UID, SANDBOX_UID)
    else:
        os.chmod(path, 0o666)  # the enclosing 0700 folder keeps other host users out


def _clear_nonblock(fd: int) -> None:
    fl = fcntl.fcntl(fd, fcntl.F_GETFL)
    fcntl.fcntl(fd, fcntl.F_SETFL, fl & ~os.O_NONBLOCK)


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
    req_path, resp_path = chan / "req", chan / "resp"
    _fifo(req_path)
    _fifo(resp_path)
    resp_fd = os.open(resp_path, os.O_RDONLY | os.O_NONBLOCK)
    _clear_nonblock(resp_fd)
    placeholder = os.open(req_path, os.O_RDONLY | os.O_NONBLOCK)
    req_fd = os.open(req_path, os.O_WRONLY)  # does not block: a reader exists

    name = f"nlp100-{uuid.uuid4().hex[:12]}"
    wall = limits.start_timeout_s + limits.total_timeout_s + DEADLINE_MARGIN_S
    deadline = time.time() + wall
    ncpu = os.cpu_count() or 1
    cpus = float(min(max(1, limits.threads), ncpu))
    proc = DockerProcess(name)
    launch = DockerLaunch(
        proc=proc,
        req_fd=req_fd,
        resp_fd=resp_fd,
        workdir=workdir,
        subdir=subdir,
        sandbox_workdir=SANDBOX_WORKDIR,
        sandbox_subdir=SANDBOX_SUBMISSION,
        backend="docker",
        isolation=describe(limits, cfg, cpus),
        root=root,
        name=name,
        deadline=deadline,
        _req_placeholder=placeholder,
        _resp_path=str(resp_path),
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
    labels = {
        LABEL: "1",
        f"{LABEL}.session": _SESSION,
        f"{LABEL}.host": _HOST,
        f"{LABEL}.pid": str(os.getpid()),
        f"{LABEL}.deadline": f"{deadline:.0f}",
    }
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
            labels=labels,
            host_config=host_config,
            hostname="sandbox",
            stdin_open=False,
            tty=False,
            network_disabled=False,
        )
        proc.id = created["Id"]
        sock = api.attach_socket(proc.id, params={"stdout": 1, "stderr": 1, "stream": 1, "logs": 0})
        pump = threading.Thread(target=_pump_output, args=(launch, sock), name=f"{name}-output", daemon=True)
        pump.start()
        launch._threads.append(pump)
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


def _expire(launch: DockerLaunch) -> None:
    """The wall-clock limit: kill and remove the container, whatever the grader is doing."""
    try:
        launch.remove_now()
    except Exception:  # noqa: BLE001
        pass


def _explain(e: Exception) -> str:
    msg = getattr(e, "explanation", None) or str(e)
    return str(msg)[:500]


def launcher(options):
    """``limits -> DockerLaunch`` for ``Options`` (image, gpus). Raises SandboxError when docker cannot be used."""
    from ...errors import SandboxError

    image = image_name(options)
    try:
        api = _client().api
        api.ping()
    except Exception as e:  # noqa: BLE001
        host = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
        raise SandboxError(
            f"docker backend: no Docker engine answers at {host} ({_explain(e)}); "
            "start one (dockerd, or .ci/docker-setup.sh), or use --backend local"
        ) from None
    try:
        api.inspect_image(image)
    except Exception:  # noqa: BLE001
        how = "TORCH_VARIANT=cuda docker/build-image.sh" if image == CUDA_IMAGE else "docker/build-image.sh"
        raise SandboxError(
            f"docker backend: the image {image} is not on this engine; build it with "
            f"{how} (or name another with --image / NLP100_IMAGE)"
        ) from None
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
