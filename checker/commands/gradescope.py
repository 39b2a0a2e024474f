"""`check gradescope-package`: write the zip to upload as a Gradescope autograder.

The zip holds, at its root (Gradescope extracts it into /autograder/source):

* ``setup.sh``: run once by Gradescope when it builds the image (Python >= 3.11, a venv in
  /opt/venv, torch CPU from PyTorch's CPU index, this checker from ``wheels/``);
* ``run_autograder``: grades one submission (``checker/autograder/run_autograder``);
* ``wheels/nlp100_checker-VERSION-py3-none-any.whl``: this checker, built from the source tree
  when it is installed editable (or not installed), else made from the installed files
  (their RECORD), or the wheel given with ``--wheel``;
* ``nlp100-autograder.conf``: the settings run_autograder reads (language, exercises, public data);
* ``hidden/``: the instructor's hidden checks (``--hidden DIR``) and ``hidden/data-secret``:
  ``--data-secret FILE``, else the folder's own ``data-secret``, else a new random secret kept
  next to the zip (``NAME.data-secret``, reused by the next run) unless ``--public-data``.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from ..errors import UsageError
from ..messages import Msg, render
from ..settings import LANGS

CONF_NAME = "nlp100-autograder.conf"
SECRET_NAME = "data-secret"
DIST = "nlp100-checker"
WHEEL_RE = re.compile(r"^nlp100_checker-[0-9][^-]*-py3-none-any\.whl$")
# what a source tree's copy leaves out when the wheel is built from it
SOURCE_IGNORE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "venv",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    "*.pyc",
    ".pytest_cache",
    ".hypothesis",
    ".mypy_cache",
    ".ruff_cache",
    "out",
    "node_modules",
)
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def register(sub, env) -> None:
    g = sub.add_parser("gradescope-package", help="write the autograder zip to upload to Gradescope")
    g.add_argument(
        "--output", "-o", default="nlp100-autograder.zip", help="the zip to write (default nlp100-autograder.zip)"
    )
    g.add_argument(
        "--hidden",
        metavar="DIR",
        help="the instructor's hidden checks (NN/spec.toml folders), put in the zip as hidden/",
    )
    g.add_argument(
        "--data-secret",
        metavar="FILE",
        help="the data secret (default: DIR/data-secret, else a new one kept next to the zip)",
    )
    g.add_argument(
        "--public-data", action="store_true", help="no data secret: grade 73–79 on the public data (practice only)"
    )
    g.add_argument(
        "--exercise",
        "-e",
        action="append",
        dest="exercises",
        metavar="ID",
        help="grade only these exercises (repeatable; default: those the submitted file defines)",
    )
    g.add_argument(
        "--lang", default=env.lang, choices=LANGS, help="language of the students' feedback (and of this command)"
    )
    g.add_argument("--wheel", metavar="FILE", help="use this nlp100-checker wheel instead of making one")
    g.set_defaults(run=main)


# -- the checker's wheel --------------------------------------------------------------------------


def source_tree() -> Path | None:
    """The project folder when this checker runs from a source tree (an editable install, or none):
    the folder above the imported ``checker`` package holds this project's pyproject.toml."""
    root = Path(__file__).resolve().parents[2]
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file() or not (root / "packs").is_dir():
        return None
    try:
        import tomllib

        return root if tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["name"] == DIST else None
    except (OSError, ValueError, KeyError):
        return None


def build_wheel_from_source(project: Path, out_dir: Path, python: str | None = None) -> Path:
    """``pip wheel --no-deps`` of a clean copy of ``project`` (no build/, egg-info or caches of the checkout enter)."""
    python = python or sys.executable
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="nlp100-wheel-") as tmp:
        src = Path(tmp) / "src"
        shutil.copytree(project, src, ignore=SOURCE_IGNORE, symlinks=True)
        build = Path(tmp) / "out"
        base = [python, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(build), str(src)]
        env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
        # the environment's own setuptools first (no index needed), else pip's isolated build
        p = subprocess.run(base[:4] + ["--no-build-isolation"] + base[4:], capture_output=True, text=True, env=env)
        if p.returncode != 0:
            p = subprocess.run(base, capture_output=True, text=True, env=env)
        if p.returncode != 0:
            raise RuntimeError((p.stderr or p.stdout).strip()[-1500:] or f"pip wheel exited {p.returncode}")
        wheels = [w for w in build.glob("*.whl") if WHEEL_RE.match(w.name)]
        if len(wheels) != 1:
            raise RuntimeError(f"pip wheel made {[w.name for w in build.glob('*.whl')]}")
        dest = out_dir / wheels[0].name
        shutil.copyfile(wheels[0], dest)
        return dest


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")


def wheel_from_installed(out_dir: Path) -> Path:
    """A wheel made of the installed distribution's files (its RECORD), for a checker installed
    from a wheel or an index: the same files, a fresh RECORD, no installer's extras."""
    from importlib.metadata import distributions

    here = Path(__file__).resolve().parents[1]
    found = [
        d
        for d in distributions()
        if re.sub(r"[-_.]+", "-", (d.metadata["Name"] or "")).lower() == DIST
        and Path(str(d.locate_file("checker"))).resolve() == here
    ]
    if not found:
        raise RuntimeError(f"no installed distribution of {DIST} holds {here}")
    dist = found[0]
    name = re.sub(r"[-_.]+", "_", dist.metadata["Name"]).lower()
    version = dist.version
    info_dir = f"{name}-{version}.dist-info"
    skip_info = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}
    entries: list[tuple[str, bytes, int]] = []
    for f in dist.files or []:
        rel = str(f).replace(os.sep, "/")
        if rel.startswith("../") or rel.startswith("/") or "__pycache__" in f.parts or rel.endswith(".pyc"):
            continue  # console scripts (../../../bin/check) are made again from entry_points.txt at install
        if f.parts[0] == info_dir and f.name in skip_info:
            continue
        path = Path(str(dist.locate_file(f)))
        if not path.is_file():
            raise RuntimeError(f"{path} is listed in the installed RECORD but missing")
        entries.append((rel, path.read_bytes(), path.stat().st_mode & 0o777))
    if not any(e[0].startswith("nlp100_ch08/exercises/") for e in entries):
        raise RuntimeError("the installed package has no exercise folders")
    out_dir.mkdir(parents=True, exist_ok=True)
    dest = out_dir / f"{name}-{version}-py3-none-any.whl"
    record = io.StringIO()
    w = csv.writer(record, lineterminator="\n")
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as z:
        for rel, data, mode in sorted(entries):
            _zip_add(z, rel, data, mode if mode & 0o111 else 0o644)
            w.writerow([rel, _record_hash(data), len(data)])
        w.writerow([f"{info_dir}/RECORD", "", ""])
        _zip_add(z, f"{info_dir}/RECORD", record.getvalue().encode("utf-8"), 0o644)
    return dest


def checker_wheel(out_dir: Path, given: str | None = None) -> tuple[Path, Msg]:
    """The wheel to put in the zip, and a message saying where it came from."""
    if given:
        p = Path(given)
        if not p.is_file() or not WHEEL_RE.match(p.name):
            raise UsageError(msg=Msg("gsp_wheel_bad", {"path": given}))
        dest = out_dir / p.name
        shutil.copyfile(p, dest)
        return dest, Msg("gsp_wheel_given", {"wheel": p.name})
    try:
        root = source_tree()
        if root is not None:
            w = build_wheel_from_source(root, out_dir)
            return w, Msg("gsp_wheel_source", {"wheel": w.name, "path": str(root)})
        w = wheel_from_installed(out_dir)
        return w, Msg("gsp_wheel_installed", {"wheel": w.name, "path": str(Path(__file__).resolve().parents[2])})
    except (OSError, RuntimeError, KeyError) as e:
        raise UsageError(msg=Msg("gsp_wheel_failed", {"error": str(e)})) from None


# -- the zip --------------------------------------------------------------------------------------


def _zip_add(z: zipfile.ZipFile, name: str, data: bytes, mode: int) -> None:
    zi = zipfile.ZipInfo(name, ZIP_DATE)
    zi.external_attr = ((0o100000 | mode) & 0xFFFF) << 16
    zi.compress_type = zipfile.ZIP_DEFLATED
    z.writestr(zi, data)


def autograder_file(name: str) -> bytes:
    """``run_autograder`` or ``setup.sh``, as shipped in this package."""
    import importlib.resources

    return (importlib.resources.files("checker") / "autograder" / name).read_bytes()


def conf_text(lang: str, exercises: list[str] | None, public_data: bool) -> str:
    lines = [
        "# read by run_autograder (KEY=VALUE; the environment wins); written by `check gradescope-package`",
        f"NLP100_LANG={lang}",
    ]
    if exercises:
        lines.append(f"NLP100_GRADE_EXERCISES={' '.join(exercises)}")
    lines.append(f"NLP100_GRADE_PUBLIC_DATA={1 if public_data else 0}")
    return "\n".join(lines) + "\n"


def _secret_for(args, hidden: Path | None, output: Path) -> tuple[bytes | None, Msg]:
    from ..grading.plan import _secret_bytes

    found = hidden / SECRET_NAME if hidden is not None and (hidden / SECRET_NAME).is_file() else None
    given = Path(args.data_secret) if args.data_secret else None
    if args.public_data:
        if given or found:
            raise UsageError(msg=Msg("gsp_secret_and_public", {"path": str(given or found)}))
        return None, Msg("gsp_public_data")
    if given and found:
        raise UsageError(msg=Msg("gsp_secret_twice", {"given": str(given), "found": str(found)}))
    p = given or found
    if p is not None:
        if not p.is_file():
            raise UsageError(f"the data secret {p} is not a file")
        return _secret_bytes(p), Msg("gsp_secret_given", {"path": str(p)})
    keep = output.with_name(output.stem + ".data-secret")
    if keep.is_file():
        return _secret_bytes(keep), Msg("gsp_secret_reused", {"path": str(keep)})
    data = secrets.token_hex(32).encode("ascii") + b"\n"
    fd = os.open(keep, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return data, Msg("gsp_secret_generated", {"path": str(keep)})


def write_package(args) -> tuple[Path, list[str]]:
    """Write the zip; returns its path and the lines to print."""
    from ..spec import discover

    lang = args.lang
    output = Path(args.output)
    lines: list[str] = []
    hidden = None
    if args.hidden:
        hidden = Path(args.hidden)
        if not hidden.is_dir():
            raise UsageError(msg=Msg("gsp_hidden_not_dir", {"path": args.hidden}))
        discover(hidden=hidden)  # a broken hidden spec fails here, not on Gradescope
        n = sum(1 for p in hidden.iterdir() if (p / "spec.toml").is_file())
        lines.append(render("gsp_hidden", lang, path=str(hidden), n=n))
    if args.exercises:
        known = discover()
        unknown = [e for e in args.exercises if e not in known]
        if unknown:
            raise UsageError(f"unknown exercise(s): {', '.join(unknown)}; `check list` shows the exercises")
    output.parent.mkdir(parents=True, exist_ok=True)
    secret, secret_msg = _secret_for(args, hidden, output)
    with tempfile.TemporaryDirectory(prefix="nlp100-gs-") as tmp:
        wheel, how = checker_wheel(Path(tmp), args.wheel)
        lines.insert(0, render(how.key, lang, **how.params))
        lines.append(render(secret_msg.key, lang, **secret_msg.params))
        names: list[str] = []
        part = output.with_name(output.name + ".part")
        with zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED) as z:
            for name, mode in (("setup.sh", 0o755), ("run_autograder", 0o755)):
                _zip_add(z, name, autograder_file(name), mode)
                names.append(name)
            _zip_add(z, f"wheels/{wheel.name}", wheel.read_bytes(), 0o644)
            names.append(f"wheels/{wheel.name}")
            _zip_add(z, CONF_NAME, conf_text(lang, args.exercises, args.public_data).encode("utf-8"), 0o644)
            names.append(CONF_NAME)
            if hidden is not None:
                ours = {output.resolve(), part.resolve(), output.with_name(output.stem + ".data-secret").resolve()}
                for p in sorted(hidden.rglob("*")):
                    rel = p.relative_to(hidden).as_posix()
                    if (
                        p.is_symlink()
                        or not p.is_file()
                        or rel == SECRET_NAME
                        or p.resolve() in ours
                        or any(part_.startswith(".") or part_ == "__pycache__" for part_ in p.relative_to(hidden).parts)
                    ):
                        continue
                    _zip_add(z, f"hidden/{rel}", p.read_bytes(), 0o600)
                    names.append(f"hidden/{rel}")
            if secret is not None:
                _zip_add(z, f"hidden/{SECRET_NAME}", secret, 0o600)
                names.append(f"hidden/{SECRET_NAME}")
        os.replace(part, output)
    shown = [n for n in names if not n.startswith("hidden/")] + (
        ["hidden/"] if any(n.startswith("hidden/") for n in names) else []
    )
    lines.append(
        render(
            "gsp_wrote", lang, path=str(output), kb=max(1, round(output.stat().st_size / 1024)), files=", ".join(shown)
        )
    )
    lines.append(render("gsp_next", lang, path=str(output)))
    return output, lines


def main(args) -> int:
    _, lines = write_package(args)
    for line in lines:
        print(line)
    return 0
