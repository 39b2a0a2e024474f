"""`check pool start|stop|status`: a per-user warm pool that `check submit` takes its workers from.

    check pool start [--backend local|docker|auto] [--isolation auto|bwrap|rlimits] [--threads N] [--slots N]
                     [--image IMAGE] [--socket PATH]
    check pool stop [--socket PATH]
    check pool status [--socket PATH] [--format text|json]

The pool (``checker.sandbox.poold``) runs in the background, detached from the terminal, with its socket in a
folder of the user's alone: ``$XDG_RUNTIME_DIR/nlp100-pool/`` or ``/tmp/nlp100-pool-<uid>/`` (``--socket`` or
``NLP100_POOL_SOCKET`` name another); its log is ``pool.log`` next to the socket.  `check submit` uses it when
it answers and was started for the same backend, isolation and threads, unless ``--no-pool``.

Exit status: 0 done (or already running), 1 ``stop``/``status`` found no pool, 2 it could not start.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from ..errors import SandboxError, UsageError
from ..messages import Msg, render
from ..settings import BACKENDS, ISOLATIONS, LANGS


def register(sub, env) -> None:
    p = sub.add_parser("pool", help="a warm pool of sandboxed workers that `check submit` uses (start, stop, status)")
    p.add_argument("action", choices=("start", "stop", "status"))
    p.add_argument("--socket", help="the pool's socket (default: NLP100_POOL_SOCKET, else a folder of your own)")
    p.add_argument("--backend", default=env.backend, choices=BACKENDS)
    p.add_argument("--isolation", default=env.isolation, choices=ISOLATIONS, help="local backend only")
    p.add_argument(
        "--threads", type=int, default=1, help="torch/BLAS threads of each child (as check submit --threads)"
    )
    p.add_argument("--slots", type=int, default=4, help="submissions served at the same time")
    p.add_argument("--image", help="grader image (docker backend)")
    p.add_argument("--format", "-f", default="text", choices=("text", "json"))
    p.add_argument("--lang", default=env.lang, choices=LANGS)
    p.set_defaults(run=main)


def _socket(args) -> Path:
    from ..sandbox.pooled import configured_socket, private_folder

    path = Path(args.socket).expanduser().absolute() if args.socket else configured_socket()
    try:
        private_folder(path.parent, create=args.action == "start")
    except (OSError, ValueError) as e:
        if args.action != "start" and isinstance(e, FileNotFoundError):
            return path
        raise UsageError(msg=Msg("pool_bad_folder", {"why": str(e)})) from None
    return path


def main(args) -> int:
    from ..sandbox import pooled

    path = _socket(args)
    lang = args.lang
    info = pooled.status(path, timeout=3.0)
    if args.action == "status":
        if info is None:
            print(render("pool_not_running", lang, socket=path))
            return 1
        if args.format == "json":
            print(json.dumps(info, indent=2, default=str))
        else:
            print(
                render(
                    "pool_status",
                    lang,
                    socket=path,
                    pid=info.get("pid"),
                    uptime=info.get("uptime_s"),
                    served=info.get("served"),
                    live=info.get("live"),
                    slots=(info.get("config") or {}).get("slots"),
                    isolation=info.get("isolation"),
                )
            )
            if info.get("broken"):
                print(render("pool_broken", lang, why=info["broken"]))
        return 0
    if args.action == "stop":
        if info is None:
            print(render("pool_not_running", lang, socket=path))
            return 1
        pooled.query(path, {"op": "stop"})
        pid = info.get("pid")
        deadline = time.monotonic() + 60
        while (
            time.monotonic() < deadline
            and isinstance(pid, int)
            and Path(f"/proc/{pid}").exists()
            and _state(pid) not in ("Z", "X")
        ):
            time.sleep(0.1)
        print(render("pool_stopped", lang, socket=path, pid=pid))
        return 0
    if info is not None:
        print(render("pool_already", lang, socket=path, pid=info.get("pid")))
        return 0
    return _start(args, path, lang)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "X"


def _start(args, path: Path, lang: str) -> int:
    from ..commands.submit import check_number
    from ..sandbox import pool, poold

    check_number("--threads", args.threads, 1, 64)
    check_number("--slots", args.slots, 1, 256)
    backend = args.backend
    if backend == "auto":
        from ..sandbox.docker import engine as docker_backend

        backend = "docker" if docker_backend.available(args.image) else "local"
    config = pool.PoolConfig(
        backend=backend, isolation=args.isolation, threads=args.threads, slots=args.slots, image=args.image
    )
    t0 = time.monotonic()
    try:
        _proc, info, _ = poold.spawn(config, path, lifeline=False, log_file=path.parent / "pool.log")
    except pool.PoolUnavailable as e:
        raise SandboxError(msg=Msg("pool_cannot_start", {"why": str(e)})) from None
    print(
        render(
            "pool_started",
            lang,
            pid=info.get("pid"),
            socket=path,
            seconds=f"{time.monotonic() - t0:.1f}",
            isolation=info.get("isolation"),
        )
    )
    return 0
