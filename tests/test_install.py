"""A real install: the wheel, built from a clean copy of the checkout, installed non-editable in a
fresh venv, and `check` run from an unrelated folder (issue 8: the wheel once had no exercises,
and every command of a normal `pip install` failed with FileNotFoundError).

The venv's dependencies (torch, numpy, ...) are hard links to the files of the venv running the
tests, which is as good as installing the same wheels and takes seconds instead of a minute;
NLP100_INSTALL_TEST=pip installs them with pip instead (from pip's configured index: on an
ordinary machine give it PyTorch's CPU index, or it fetches the CUDA build of torch), and so
does a machine where hard links cannot be made.  The package under test is only ever the wheel.
NLP100_INSTALL_TEST_VALIDATE=1 also runs a full `check validate` in the venv (about a minute).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACK = ROOT / "packs" / "nlp100_ch08"
IGNORE = shutil.ignore_patterns(
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
    "out",
)
# what the test venv must not borrow from the running one: this project, and the venv's own tools
NOT_BORROWED = re.compile(
    r"^(__editable__.*|nlp100_checker.*|checker|nlp100_ch08|pip|pip-.*|setuptools|setuptools-.*|"
    r"_distutils_hack|distutils-precedence\.pth|pkg_resources|wheel|wheel-.*)$"
)
EXERCISES = [f"{n}" for n in range(70, 80)]
TIMINGS: dict[str, float] = {}

pytestmark = [pytest.mark.slow]


def _run(cmd, timeout=300, **kw) -> subprocess.CompletedProcess:
    p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=timeout, **kw)
    return p


def _must(cmd, **kw) -> subprocess.CompletedProcess:
    p = _run(cmd, **kw)
    assert p.returncode == 0, f"{cmd}: exit {p.returncode}\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}"
    return p


def _build_wheel(out: Path, tmp: Path) -> Path:
    """`pip wheel --no-deps .` of a clean copy of the checkout (as a user would build it)."""
    src = tmp / "checkout"
    shutil.copytree(ROOT, src, ignore=IGNORE, symlinks=True)
    cmd = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", out, src]
    p = _run(cmd[:4] + ["--no-build-isolation"] + cmd[4:])
    if p.returncode != 0:  # no setuptools in this venv: pip's isolated build (needs an index)
        p = _must(cmd)
    wheels = list(out.glob("nlp100_checker-*.whl"))
    assert len(wheels) == 1, list(out.iterdir())
    return wheels[0]


def _borrow_dependencies(venv_site: Path) -> bool:
    """Hard-link the running venv's installed dependencies into the new venv; False if links cannot be made."""
    here = Path(sysconfig.get_paths()["purelib"])
    try:
        for entry in sorted(here.iterdir()):
            if NOT_BORROWED.match(entry.name):
                continue
            dest = venv_site / entry.name
            if entry.is_dir() and not entry.is_symlink():
                shutil.copytree(entry, dest, copy_function=os.link, symlinks=True)  # with the bytecode: it stays valid
            else:
                os.link(entry, dest, follow_symlinks=False)
    except OSError:
        return False
    return True


def _clean_env(venv: Path, home: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("NLP100_") and k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "PYTHONSTARTUP")
    }
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}"
    env["HOME"] = str(home)
    env["NO_COLOR"] = "1"
    return env


@pytest.fixture(scope="module")
def install(tmp_path_factory):
    base = tmp_path_factory.mktemp("install")
    t0 = time.monotonic()
    wheel = _build_wheel(base / "dist", base)
    TIMINGS["wheel"] = time.monotonic() - t0

    t1 = time.monotonic()
    venv = base / "venv"
    _must([sys.executable, "-m", "venv", venv])
    py = venv / "bin" / "python"
    site = Path(_must([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    mode = os.environ.get("NLP100_INSTALL_TEST", "link")
    if mode != "pip" and _borrow_dependencies(site):
        _must([py, "-m", "pip", "install", "-q", "--no-deps", "--no-index", wheel])
    else:
        mode = "pip"
        _must([py, "-m", "pip", "install", "-q", wheel], timeout=900)
    TIMINGS[f"venv+install ({mode})"] = time.monotonic() - t1

    elsewhere = base / "elsewhere"
    elsewhere.mkdir()
    env = _clean_env(venv, base / "home")
    (base / "home").mkdir()
    yield {
        "wheel": wheel,
        "venv": venv,
        "site": site,
        "py": py,
        "check": venv / "bin" / "check",
        "cwd": elsewhere,
        "env": env,
        "base": base,
    }
    TIMINGS["total"] = time.monotonic() - t0
    print("\ntest_install timings: " + ", ".join(f"{k} {v:.1f} s" for k, v in TIMINGS.items()), file=sys.stderr)


def _check(install, *args, timeout=300) -> subprocess.CompletedProcess:
    return _run([install["check"], *args], cwd=install["cwd"], env=install["env"], timeout=timeout)


def test_the_installed_package_is_the_wheel(install):
    p = _must(
        [
            install["py"],
            "-c",
            "import checker, nlp100_ch08, json; print(json.dumps([checker.__file__, nlp100_ch08.__file__]))",
        ],
        cwd=install["cwd"],
        env=install["env"],
    )
    for f in json.loads(p.stdout):
        assert Path(f).is_relative_to(install["site"]), f"imported from outside the venv: {f}"
    assert not list(install["site"].glob("__editable__*"))
    for direct in install["site"].glob("nlp100_checker-*.dist-info/direct_url.json"):
        assert not json.loads(direct.read_text()).get("dir_info", {}).get("editable")


def test_installed_files(install):
    pack = install["site"] / "nlp100_ch08"
    for n in EXERCISES:
        d = pack / "exercises" / n
        for name in ("spec.toml", "statement.en.md", "statement.ja.md", "template.py"):
            assert (d / name).is_file(), f"{d / name} is missing"
    assert (pack / "solution.py").is_file() and (pack / "references.py").is_file()
    ag = install["site"] / "checker" / "autograder"
    assert (ag / "run_autograder").is_file() and (ag / "setup.sh").is_file()


def test_the_wheel_holds_what_is_needed_and_nothing_else(install):
    names = set(zipfile.ZipFile(install["wheel"]).namelist())
    top = {n.split("/")[0] for n in names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"checker", "nlp100_ch08"}, top
    assert not [
        n for n in names if "/tests/" in f"/{n}" or n.startswith("tests") or "__pycache__" in n or n.endswith(".pyc")
    ]
    # every source file of the two packages is in the wheel, and nothing else is
    wanted = set()
    for pkg, src in (("checker", ROOT / "checker"), ("nlp100_ch08", PACK)):
        for f in src.rglob("*"):
            if f.is_file() and "__pycache__" not in f.parts and f.suffix != ".pyc":
                wanted.add(f"{pkg}/{f.relative_to(src).as_posix()}")
    got = {n for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert wanted - got == set(), f"missing from the wheel: {sorted(wanted - got)}"
    assert got - wanted == set(), f"in the wheel but not in the sources: {sorted(got - wanted)}"


def test_version_list_show(install):
    from checker import __version__

    p = _check(install, "--version")
    assert p.returncode == 0 and p.stdout.strip() == f"nlp100-checker {__version__}", (p.stdout, p.stderr)
    assert __version__ in install["wheel"].name

    p = _check(install, "list")
    assert p.returncode == 0, p.stderr
    ids = re.findall(r"^(\d\d)  ", p.stdout, flags=re.M)
    assert ids == EXERCISES, p.stdout
    assert "softmax" in p.stdout and "Traceback" not in p.stderr

    p = _check(install, "show", "71")
    assert p.returncode == 0, p.stderr
    statement = (PACK / "exercises" / "71" / "statement.en.md").read_text(encoding="utf-8").strip().splitlines()[0]
    assert statement in p.stdout
    template = (PACK / "exercises" / "71" / "template.py").read_text(encoding="utf-8").rstrip()
    assert template in p.stdout

    p = _check(install, "show", "71", "--template-only")
    assert p.returncode == 0 and p.stdout.rstrip() == template, p.stderr
    p = _check(install, "show", "71", "--lang", "ja")
    assert p.returncode == 0
    assert (PACK / "exercises" / "71" / "statement.ja.md").read_text(encoding="utf-8").strip().splitlines()[
        0
    ] in p.stdout


def test_submit_a_correct_71(install):
    sub = install["cwd"] / "exercise.py"
    shutil.copyfile(ROOT / "tests" / "submissions" / "correct_partial_71.py", sub)
    t0 = time.monotonic()
    p = _check(install, "submit", "exercise.py", "--max-examples", "3", "--exercise", "71", "--format", "json")
    TIMINGS["submit 71"] = time.monotonic() - t0
    assert p.returncode == 0, (p.stdout[-2000:], p.stderr[-3000:])
    report = json.loads(p.stdout)
    assert [e["id"] for e in report["exercises"]] == ["71"]
    assert report["score"] == report["max_score"] > 0
    p = _check(install, "submit", "exercise.py", "--max-examples", "3", "--exercise", "71")
    assert p.returncode == 0 and "71" in p.stdout, p.stderr


def test_validate(install):
    p = _check(install, "validate", "--help")
    assert p.returncode == 0 and "--record" in p.stdout, p.stderr
    if os.environ.get("NLP100_INSTALL_TEST_VALIDATE") == "1":
        t0 = time.monotonic()
        p = _check(install, "validate", timeout=600)
        TIMINGS["validate"] = time.monotonic() - t0
        assert p.returncode == 0, (p.stdout[-3000:], p.stderr[-3000:])
        assert "OK" in p.stderr


def test_gradescope_package_from_the_installed_checker(install):
    """Installed from a wheel, `check gradescope-package` makes the zip's wheel from the installed
    files: the same files, byte for byte, as the wheel that was installed."""
    out = install["cwd"] / "gs" / "autograder.zip"
    p = _check(install, "gradescope-package", "-o", out)
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert "made from the installed package" in p.stdout
    z = zipfile.ZipFile(out)
    inner = [n for n in z.namelist() if n.startswith("wheels/")]
    assert inner == [f"wheels/{install['wheel'].name}"]
    repacked = zipfile.ZipFile(__import__("io").BytesIO(z.read(inner[0])))
    original = zipfile.ZipFile(install["wheel"])
    skip = re.compile(r"\.dist-info/(RECORD|INSTALLER|REQUESTED|direct_url\.json)$")
    a = {n: original.read(n) for n in original.namelist() if not skip.search(n)}
    b = {n: repacked.read(n) for n in repacked.namelist() if not skip.search(n)}
    assert a == b
    # its RECORD is complete and right
    record = next(n for n in repacked.namelist() if n.endswith(".dist-info/RECORD"))
    rows = [r.split(",") for r in repacked.read(record).decode().splitlines()]
    assert {r[0] for r in rows} == set(repacked.namelist())
