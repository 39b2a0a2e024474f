"""`check doctor`: the isolation this machine gives the sandbox, the folders in use, and what to do about gaps.

    check doctor [--format text|json] [--strict] [--isolation auto|bwrap|rlimits]

Exit status 0 whatever it finds, unless ``--strict``: then 1 when the isolation would be reduced (or
``--isolation bwrap`` could not grade).  The data secret is never shown: only whether one is set.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..errors import CheckerError
from ..settings import ISOLATIONS

ADVICE = {
    "not installed": "install bubblewrap for full isolation (Debian/Ubuntu: apt install bubblewrap)",
    "blocked": "bubblewrap is blocked from making user namespaces (Ubuntu 24.04: AppArmor): allow it with an AppArmor "
    "profile for bwrap, or sysctl kernel.apparmor_restrict_unprivileged_userns=0, or grade with --backend docker",
    "no user namespaces": "enable user namespaces (sysctl user.max_user_namespaces=15000, and on older Debian/Ubuntu "
    "kernel.unprivileged_userns_clone=1); in a container, allow them or grade with --backend docker",
    "too old": "bubblewrap 0.8 or newer is needed (--disable-userns)",
    "failed": "bubblewrap does not work here (its message is above); grade with --backend docker or accept the reduced isolation",
}


def register(sub, env) -> None:
    d = sub.add_parser("doctor", help="show the isolation this machine gives the sandbox and what to do about gaps")
    d.add_argument("--format", "-f", default="text", choices=("text", "json"))
    d.add_argument("--strict", action="store_true", help="exit 1 when the isolation would be reduced")
    d.add_argument(
        "--isolation", default=env.isolation, choices=ISOLATIONS, help="the isolation to check (as check submit)"
    )
    d.set_defaults(run=main)


def _isolation(requested: str, p) -> dict:
    from ..sandbox.local import choose

    try:
        mode, why = choose(requested, p)
    except CheckerError as e:
        return {"requested": requested, "mode": None, "reduced": True, "why": str(e)}
    return {"requested": requested, "mode": mode, "reduced": mode != "bwrap", "why": why}


def _gpu() -> dict:
    try:
        import torch

        ok = bool(torch.cuda.is_available())
        return {"available": ok, "devices": torch.cuda.device_count() if ok else 0}
    except Exception as e:  # noqa: BLE001 - a broken CUDA install is a finding, not a crash
        return {"available": False, "devices": 0, "error": f"{type(e).__name__}: {e}"}


def _docker() -> bool:
    from ..sandbox.docker.engine import engine_answers

    return engine_answers()


def _folders() -> dict:
    from ..grading.plan import read_data_secret
    from ..settings import current
    from ..spec import exercise_roots

    env = current()
    out: dict = {"hidden": str(env.hidden_dir) if env.hidden_dir else None, "settings_problems": env.problems()}
    try:
        out["exercises"] = [{"folder": str(f), "pack": pack} for f, pack in exercise_roots()]
    except CheckerError as e:
        out["exercises"], out["exercises_error"] = [], str(e)
    cache = env.cache_dir or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "nlp100-checker"
    out["data_cache"] = str(cache)
    try:
        out["data_secret"] = "set" if read_data_secret() else "not set"
    except CheckerError as e:
        out["data_secret"] = f"unusable: {e}"
    return out


def diagnose(requested: str = "auto") -> dict:
    from ..sandbox.probe import probe

    p = probe()
    cg = p.cgroups
    report = {
        "isolation": _isolation(requested, p),
        "bubblewrap": {
            "path": p.bwrap.path,
            "usable": p.bwrap.usable,
            "reason": p.bwrap.reason,
            "detail": p.bwrap.detail,
        },
        "user_namespaces": p.userns,
        "privileges": {"root": p.root, "dedicated_uid": p.root and not p.drop, "why_not": p.drop},
        "nproc_rlimit": p.nproc_rlimit,
        "cgroups": {
            "version": cg.version,
            "controllers": list(cg.controllers),
            "memory": _s(cg.memory),
            "pids": _s(cg.pids),
            "cpu": _s(cg.cpu),
            "why_no_memory": cg.why,
        },
        "landlock": p.landlock,
        "docker": _docker(),
        "gpu": _gpu(),
        **_folders(),
    }
    report["todo"] = todo(report)
    return report


def _s(path) -> str | None:
    return str(path) if path is not None else None


def todo(r: dict) -> list[str]:
    """What to do about each missing piece (empty when nothing is missing)."""
    out = []
    bw, iso, priv = r["bubblewrap"], r["isolation"], r["privileges"]
    if not bw["usable"]:
        out.append(ADVICE.get(bw["reason"], ADVICE["failed"]))
    if iso["reduced"] and priv["root"] and not priv["dedicated_uid"]:
        out.append(
            f"the reduced isolation runs the worker as root: {priv['why_not']} (make it readable by other users)"
        )
    if iso["reduced"] and not priv["root"]:
        out.append(
            "the reduced isolation runs the worker as your own user: install bubblewrap, or grade as root for a dedicated uid"
        )
    if not r["cgroups"]["memory"]:
        out.append(
            "no memory cgroup: shared memory, memfd and tmpfs are not counted against the memory limit; grade as root, "
            "or in a delegated cgroup (systemd-run --user --scope check ...)"
        )
    if iso["reduced"] and not r["landlock"]:
        out.append(
            "no Landlock (Linux 5.13+): in the reduced isolation the worker can read the project and reach the network"
        )
    if r["data_secret"] != "set":
        out.append(
            "no data secret: grades use public data (practice); set --data-secret, NLP100_DATA_SECRET or "
            "data-secret in the hidden folder for grades that count"
        )
    return out + r["settings_problems"]


def _text(r: dict) -> str:
    iso, bw, cg, priv = r["isolation"], r["bubblewrap"], r["cgroups"], r["privileges"]
    mode = {"bwrap": "bubblewrap", "rlimits": f"reduced ({iso['why']})", None: f"cannot grade: {iso['why']}"}[
        iso["mode"]
    ]
    bw_line = f"{bw['path']}: works" if bw["usable"] else f"{bw['reason']}" + (f" ({bw['path']})" if bw["path"] else "")
    who = (
        ("yes, a dedicated uid" if priv["dedicated_uid"] else f"no: {priv['why_not']}") if priv["root"] else "not root"
    )
    rows = [
        ("isolation", f"{iso['requested']} -> {mode}"),
        ("bubblewrap", bw_line + (f"\n{'':16}{bw['detail']}" if bw["detail"] else "")),
        ("user namespaces", ", ".join(f"{k}={v}" for k, v in r["user_namespaces"].items()) or "-"),
        ("drop privileges", who),
        (
            "process cap",
            ("pids cgroup" if cg["pids"] else "no pids cgroup") + (", RLIMIT_NPROC" if r["nproc_rlimit"] else ""),
        ),
        ("cgroups", f"{cg['version']} ({' '.join(cg['controllers']) or 'none'})"),
        ("memory cgroup", cg["memory"] or f"none: {cg['why_no_memory']}"),
        ("landlock", f"ABI {r['landlock']}" if r["landlock"] else "none"),
        ("docker engine", "answers" if r["docker"] else "not answering"),
        (
            "gpu",
            f"{r['gpu']['devices']} CUDA device(s)" if r["gpu"]["available"] else "none (item 78 `device` is skipped)",
        ),
        (
            "exercises",
            "; ".join(f"{e['folder']}" + (f" ({e['pack']})" if e["pack"] else "") for e in r["exercises"])
            or r.get("exercises_error", "-"),
        ),
        ("data cache", r["data_cache"]),
        ("hidden folder", r["hidden"] or "not set"),
        ("data secret", r["data_secret"]),
    ]
    lines = ["nlp100-checker doctor"] + [f"  {k:<16}{v}" for k, v in rows]
    if r["todo"]:
        lines += ["to do:"] + [f"  - {t}" for t in r["todo"]]
    return "\n".join(lines) + "\n"


def main(args) -> int:
    r = diagnose(args.isolation)
    print(
        json.dumps(r, indent=2, ensure_ascii=False) if args.format == "json" else _text(r),
        end="" if args.format == "text" else "\n",
    )
    return 1 if args.strict and r["isolation"]["reduced"] else 0
