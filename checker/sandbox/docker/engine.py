"""Talking to the Docker engine: the SDK, the clients, the grader image, the owner labels, orphans.

* the Docker SDK for Python, imported on first use (``_docker``), and the clients of the engine
  named by the environment (``DOCKER_HOST``, ...): one cached per process (``_client``), or a
  fresh low-level one with its own connection for signal handlers and watcher threads
  (``_fresh_api``);
* the grader image: its name (``Options.image``, else ``$NLP100_IMAGE``, else
  ``nlp100-checker:latest``, or ``nlp100-checker:cuda`` with ``--gpus``; built by
  ``docker/build-image.sh``), whether the engine answers and holds it (``available``, what
  ``--backend auto`` asks; ``ready``, what a launcher asks, with the message of a
  ``SandboxError`` when it does not), and its layout: the interpreter, the sandbox user, the
  checker's installed packages that a submission's container masks (``IMAGE_MASKED``);
* the labels that name a container's owner (``nlp100-checker=1``, the host, pid and a
  per-process session id, the deadline), and ``sweep_orphans``, which removes the labelled
  containers (and the host folders) of graders that are gone or past their deadline;
* an engine error said in words (``_explain``).

Nothing here starts a container (``container``) or opens a channel to one (``channels``).
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

DEFAULT_IMAGE = "nlp100-checker:latest"
CUDA_IMAGE = "nlp100-checker:cuda"  # TORCH_VARIANT=cuda docker/build-image.sh
LABEL = "nlp100-checker"
SANDBOX_UID = 10001
IMAGE_PYTHON = "/opt/venv/bin/python"
IMAGE_CHECKER = "/opt/nlp100-checker"  # the editable install of images before 0.2 (masked too)
IMAGE_SITE = "/opt/venv/lib/python3.11/site-packages"  # the image installs the checker's wheel here
# masked in submission containers: the checker and its exercise pack (references, reference solution)
IMAGE_MASKED = (IMAGE_CHECKER, f"{IMAGE_SITE}/checker", f"{IMAGE_SITE}/nlp100_ch08")
PING_TIMEOUT_S = 2.0

_SESSION = uuid.uuid4().hex[:12]
_HOST = socket.gethostname()
_LOCK = threading.RLock()
_CLIENTS: dict[str, Any] = {}


# -- the engine ---------------------------------------------------------------------------------


def _docker() -> Any:
    try:
        import docker  # noqa: F401
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise RuntimeError(
            "the docker backend needs the Docker SDK for Python: pip install 'nlp100-checker[docker]'"
        ) from e
    return docker


def _client(timeout: float = 60.0) -> Any:
    """A client for the engine named by the environment (DOCKER_HOST, ...), cached per process."""
    key = f"{os.environ.get('DOCKER_HOST', '')}|{timeout}"
    with _LOCK:
        c = _CLIENTS.get(key)
        if c is None:
            c = _docker().from_env(timeout=timeout)
            _CLIENTS[key] = c
        return c


def _fresh_api(timeout: float | None = 30.0) -> Any:
    """A new low-level client with its own connection (signal handlers, watcher threads)."""
    docker = _docker()
    version = _client().api.api_version
    return docker.APIClient(version=version, timeout=timeout, **docker.utils.kwargs_from_env())


def _explain(e: Exception) -> str:
    msg = getattr(e, "explanation", None) or str(e)
    return str(msg)[:500]


# -- the grader image ---------------------------------------------------------------------------


def image_name(options: object = None) -> str:
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


def ready(image: str) -> Any:
    """The cached low-level client, once the engine answered and holds ``image``; else SandboxError."""
    from ...errors import SandboxError

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
    return api


# -- owners: labels and orphans -----------------------------------------------------------------


def owner_labels(deadline: float) -> dict[str, str]:
    """The labels of a container this process starts: its owner (host, pid, session) and its deadline."""
    return {
        LABEL: "1",
        f"{LABEL}.session": _SESSION,
        f"{LABEL}.host": _HOST,
        f"{LABEL}.pid": str(os.getpid()),
        f"{LABEL}.deadline": f"{deadline:.0f}",
    }


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_orphans(api: Any = None) -> int:
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
    # the host folders of graders that died by SIGKILL (``nlp100-docker-PID-...``: container, pool)
    for d in Path(tempfile.gettempdir()).glob("nlp100-docker-*-*"):
        try:
            pid = int(d.name.split("-")[2])
            if d.stat().st_uid == os.geteuid() and not _pid_alive(pid):
                shutil.rmtree(d, ignore_errors=True)
        except (ValueError, IndexError, OSError):
            pass
    return n
