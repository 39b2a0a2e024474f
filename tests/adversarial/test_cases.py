"""Adversarial submissions, each graded by the CLI under every isolation mode this machine gives.

A case is ``cases/<name>.py``, a submission that starts with its expectations in TOML between two lines
``# --- expect`` and ``# ---`` (each line after ``# ``)::

    # --- expect
    # exercises = ["71"]          # what to grade (--exercise)
    # verdict = "graded"          # "graded": exit 1, the `zero` items at 0; "passed": exit 0; "exit2": cannot grade
    # zero = ["softmax"]          # items that must score 0, each with a message
    # leaves_nothing = true       # no process, file or cgroup of the worker left once the grader has exited
    # why = "forks 300 processes" # what the attack does (shown when it fails)
    # ---

optional keys: ``requires`` (capabilities the mode must give, else that mode is skipped with the reason: any of
``private-files`` (no writes to the grader's files, no reading other processes' environment), ``private-network``,
``signal-scope`` (cannot signal the grader), ``process-tracking`` (a daemon that leaves the session is still
killed), ``memory-cgroup``), ``output_contains`` (strings the report's stdout/stderr must hold),
``output_truncated``, ``max_shmem_growth_mb`` (host shared memory, sampled during the grading), ``alone`` (run
it by itself, not beside another case).  Every attack prints ``nlp100-adv: attack ran`` first: the harness checks
it did.  Processes a case starts should carry ``nlp100-adv-<name>`` on their command line.

Checked for every case and mode: the exit status and verdict; the test canary (planted in the grader's
environment by conftest) nowhere in the report or the CLI's output; the grader's folder holding only its report
and an unchanged ``results.jsonl``; no new file next to the cases; no connection to a TCP listener the harness
holds during the grading; with ``leaves_nothing``, no process with the case's marker or the worker's uid, no
cgroup ``nlp100-<grader pid>-*``, no launch folder ``/tmp/nlp100-<grader pid>-*``, no file of the worker's uid nor
any ``nlp100-adv-*`` file in the shared temporary folders (cases name what they write so).

Modes: ``bwrap`` (bubblewrap works here); ``uid`` (reduced isolation with a root grader: the worker runs as a
dedicated uid); ``user`` (reduced isolation with an ordinary grader user: the grader itself runs under
``setpriv`` as an unprivileged uid).  The last two need root to set up; on a machine whose Python is closed to
other users they run in a private mount view (tests/hostview.py).  Cases run two at a time (``alone`` ones by
themselves), modes of one case one after the other.
"""
from __future__ import annotations

import concurrent.futures
import glob
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from checker.sandbox import identity
from checker.sandbox.probe import probe

import hostview
from conftest import CANARY, cli_env

pytestmark = pytest.mark.slow

CASES_DIR = Path(__file__).resolve().parent / "cases"
CASES = sorted(CASES_DIR.glob("*.py"))
MODES = ("bwrap", "uid", "user")
RAN = "nlp100-adv: attack ran"
GRADE_TIMEOUT_S = 400
RESULTS_LINE = '{"student": "earlier", "score": 5}\n'
GRADER_PREFIX = "nlp100-adv-grader-"   # the grader's folder of one grading (its cwd and --output)
CAPABILITIES = ("private-files", "private-network", "signal-scope", "process-tracking", "memory-cgroup")


# -- cases ------------------------------------------------------------------------------------------------------

def expectations(path: Path) -> dict:
    lines = path.read_text(encoding="utf-8").splitlines()
    try:
        start = lines.index("# --- expect")
        end = lines.index("# ---", start + 1)
    except ValueError:
        raise AssertionError(f"{path.name}: no '# --- expect' ... '# ---' header") from None
    exp = tomllib.loads("\n".join(ln[2:] if ln.startswith("# ") else ln.lstrip("#") for ln in lines[start + 1:end]))
    for key in ("exercises", "verdict", "zero", "leaves_nothing", "why"):
        assert key in exp, f"{path.name}: the header has no {key!r}"
    assert exp["verdict"] in ("graded", "passed", "exit2"), path.name
    assert set(exp.get("requires", [])) <= set(CAPABILITIES), path.name
    return exp


# -- modes -------------------------------------------------------------------------------------------------------

@dataclass
class Mode:
    name: str
    isolation: str = "rlimits"
    prefix: list = field(default_factory=list)
    grader_uid: int | None = None
    gives: frozenset = frozenset()
    missing: str = ""                 # why this mode cannot run here


def _mode(name: str) -> Mode:
    p = probe()
    ll = p.landlock
    memory = p.root and p.cgroups.memory is not None
    if name == "bwrap":
        if not p.bwrap.usable:
            return Mode(name, missing=f"bubblewrap does not work here ({p.bwrap.reason})")
        gives = set(CAPABILITIES) - (set() if memory else {"memory-cgroup"})
        return Mode(name, "bwrap", gives=frozenset(gives))
    if not p.root:
        return Mode(name, missing="setting up the reduced modes needs a root test run")
    view = [] if not p.drop else hostview.prefix()
    if view is None:
        return Mode(name, missing=f"another uid cannot run this Python ({p.drop}) and no private mount view")
    if name == "uid":
        gives = {"private-files", "signal-scope", "process-tracking"} | ({"private-network"} if ll >= 4 else set())
        return Mode(name, prefix=view, gives=frozenset(gives | ({"memory-cgroup"} if memory else set())))
    if shutil.which("setpriv") is None:
        return Mode(name, missing="no setpriv to run the grader as an ordinary user")
    uid = identity.pick_id()
    gives = ({"private-files"} if ll >= 1 else set()) | ({"private-network"} if ll >= 4 else set()) \
        | ({"signal-scope"} if ll >= 6 else set())
    setpriv = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--"]
    return Mode(name, prefix=view + setpriv, grader_uid=uid, gives=frozenset(gives))


_MODES: dict[str, Mode] = {}


def mode(name: str) -> Mode:
    if name not in _MODES:
        _MODES[name] = _mode(name)
    return _MODES[name]


# -- one grading -------------------------------------------------------------------------------------------------

@dataclass
class Outcome:
    returncode: int
    report: dict | None
    stdout: str
    stderr: str
    grader_dir: list[str]
    results_line: str
    leftovers: list[str]
    connections: int
    shmem_growth_mb: float
    wall_s: float
    new_case_files: list[str]


class Listener(threading.Thread):
    """A TCP listener on 127.0.0.1 that counts the connections it gets."""

    def __init__(self):
        super().__init__(daemon=True)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.count, self.stop = 0, threading.Event()

    def run(self):
        while not self.stop.is_set():
            try:
                c, _ = self.sock.accept()
                self.count += 1
                c.close()
            except OSError:
                pass

    def close(self) -> int:
        self.stop.set()
        self.join()
        self.sock.close()
        return self.count


def _shmem_mb() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("Shmem:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _grader_dir(m: Mode) -> Path:
    d = Path(tempfile.mkdtemp(prefix=GRADER_PREFIX))
    (d / "results.jsonl").write_text(RESULTS_LINE)
    if m.grader_uid is not None:
        for p in (d, d / "results.jsonl"):
            os.chown(p, m.grader_uid, m.grader_uid)
    os.chmod(d, 0o755)
    return d


def _command(case: Path, exp: dict, m: Mode, out: Path) -> list[str]:
    ex = [a for e in exp["exercises"] for a in ("--exercise", e)]
    return [*m.prefix, sys.executable, "-m", "checker.cli", "submit", str(case), *ex, "--format", "json",
            "--output", str(out), "--max-examples", "3", "--isolation", m.isolation, "--lang", "en"]


def _marked(marker: str) -> list[int]:
    out = []
    for d in os.listdir("/proc"):
        try:
            with open(f"/proc/{d}/cmdline", "rb") as f:
                hit = marker.encode() in f.read()
            with open(f"/proc/{d}/stat", "rb") as f:
                state = f.read().rsplit(b")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if hit and state not in (b"Z", b"X") and int(d) != os.getpid():
            out.append(int(d))
    return out


def leftovers(case: Path, grader_pid: int, worker_uids: list[int]) -> list[str]:
    """Whatever the grading left behind once its grader has exited."""
    found = [f"process {p} with the case's marker" for p in _marked(f"nlp100-adv-{case.stem}")]
    lay = probe().cgroups
    for base in {b for b in (lay.memory, lay.pids, lay.cpu) if b is not None}:
        found += [f"cgroup {g}" for g in glob.glob(f"{base}/nlp100-{grader_pid}-*")]
    found += [f"launch folder {g}" for g in glob.glob(f"{tempfile.gettempdir()}/nlp100-{grader_pid}-*")]
    for base in identity.SHARED_DIRS:   # what a case writes is named nlp100-adv-* (the harness's folders excepted)
        found += [f"file {g}" for g in glob.glob(f"{base}/nlp100-adv-*") if GRADER_PREFIX not in g]
    for uid in worker_uids:
        found += [f"process {p} of uid {uid}" for p in identity.processes_of(uid)]
        for base in identity.SHARED_DIRS:
            try:
                found += [f"{base}/{n} of uid {uid}" for n in os.listdir(base) if os.lstat(f"{base}/{n}").st_uid == uid]
            except OSError:
                pass
        found += [f"SysV shm {i} of uid {uid}" for i in identity._sysv_ids("shm", uid)]
    return found


def _worker_uids(report: dict | None, stdout_err: str) -> list[int]:
    text = (report or {}).get("isolation", "") + stdout_err
    return sorted({int(u) for u in re.findall(r"runs as uid (\d+)", text)})


def grade(case: Path, m: Mode) -> Outcome:
    exp = expectations(case)
    gdir = _grader_dir(m)
    listener = Listener()
    listener.start()
    base, peak, done = _shmem_mb(), [0.0], threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], _shmem_mb() - base)
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    env = {**cli_env(), "HOME": str(gdir)}
    before = set(os.listdir(CASES_DIR))
    t0 = time.monotonic()
    try:
        p = subprocess.Popen(_command(case, exp, m, gdir / "report.json"), cwd=str(gdir), env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             start_new_session=True)   # an attack that gets through kills the grader, not pytest
        stdout, stderr = p.communicate(timeout=GRADE_TIMEOUT_S)
    finally:
        done.set()
        sampler.join()
        connections = listener.close()
    wall = time.monotonic() - t0
    report_file = gdir / "report.json"
    report = json.loads(report_file.read_text()) if report_file.is_file() else None
    uids = _worker_uids(report, stdout + stderr)
    left = leftovers(case, p.pid, uids) if exp["leaves_nothing"] else []
    out = Outcome(p.returncode, report, stdout, stderr, sorted(os.listdir(gdir)), (gdir / "results.jsonl").read_text(),
                  left, connections, peak[0], wall, sorted(set(os.listdir(CASES_DIR)) - before))
    shutil.rmtree(gdir, ignore_errors=True)
    return out


# -- running them, two at a time ---------------------------------------------------------------------------------

def _selected(session) -> list[tuple[Path, str]]:
    me = Path(__file__).resolve()
    out = []
    for item in session.items:
        if Path(str(item.fspath)).resolve() == me and hasattr(item, "callspec"):
            out.append((CASES_DIR / f"{item.callspec.params['case']}.py", item.callspec.params["mode_name"]))
    return out


def _runnable(case: Path, name: str) -> bool:
    m = mode(name)
    return not m.missing and set(expectations(case).get("requires", [])) <= m.gives


@pytest.fixture(scope="module")
def outcomes(request) -> dict[tuple[str, str], Outcome]:
    todo: dict[Path, list[str]] = {}
    for case, name in _selected(request.session):
        if _runnable(case, name):
            todo.setdefault(case, []).append(name)

    def run_case(case: Path) -> dict:
        return {(case.stem, n): grade(case, mode(n)) for n in todo[case]}

    results: dict = {}
    together = [c for c in todo if not expectations(c).get("alone")]
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        for r in pool.map(run_case, together):
            results.update(r)
    for c in [c for c in todo if expectations(c).get("alone")]:
        results.update(run_case(c))
    return results


# -- the checks --------------------------------------------------------------------------------------------------

def _items(report: dict) -> dict[str, dict]:
    return {i["name"]: i for e in report["exercises"] for i in e["items"]}


@pytest.mark.parametrize("mode_name", MODES, ids=MODES)
@pytest.mark.parametrize("case", [c.stem for c in CASES], ids=[c.stem for c in CASES])
def test_case(case, mode_name, outcomes):
    path, m = CASES_DIR / f"{case}.py", mode(mode_name)
    exp = expectations(path)
    if m.missing:
        pytest.skip(m.missing)
    lacking = sorted(set(exp.get("requires", [])) - m.gives)
    if lacking:
        pytest.skip(f"mode {mode_name} does not give {', '.join(lacking)} on this machine")
    o = outcomes[(case, mode_name)]
    why = f"[{case} / {mode_name}: {exp['why']}]"
    assert CANARY not in o.stdout + o.stderr + json.dumps(o.report or {}), f"the canary leaked {why}"
    want = {"passed": 0, "graded": 1, "exit2": 2}[exp["verdict"]]
    assert o.returncode == want, f"exit {o.returncode}, expected {want} {why}\n{o.stderr[-3000:]}"
    if want != 2:
        output = o.report["output"]["stdout"] + o.report["output"]["stderr"]
        assert RAN in output, f"the attack did not run {why}: {output[:500]}"
        items = _items(o.report)
        for name in exp["zero"]:
            assert items[name]["score"] == 0 and items[name]["message"].strip(), f"{name}: {items[name]} {why}"
        assert all(i["score"] == i["max_score"] for n, i in items.items() if n not in exp["zero"]), why
        for s in exp.get("output_contains", []):
            assert s in output, f"{s!r} not in the report's output {why}"
        if exp.get("output_truncated"):
            assert o.report["output"]["truncated"] is True, why
    assert set(o.grader_dir) <= {"results.jsonl", "report.json", "report_files", ".hypothesis"}, f"{o.grader_dir} {why}"
    assert o.results_line == RESULTS_LINE, f"results.jsonl changed {why}"
    assert not [n for n in o.new_case_files if n != "__pycache__"], f"new files next to the case: {o.new_case_files} {why}"
    assert o.connections == 0, f"{o.connections} connection(s) reached the harness's listener {why}"
    assert o.leftovers == [], f"left behind: {o.leftovers} {why}"
    if "max_shmem_growth_mb" in exp:
        assert o.shmem_growth_mb < exp["max_shmem_growth_mb"], f"host shared memory grew by {o.shmem_growth_mb:.0f} MB {why}"


def test_every_case_has_a_valid_header():
    assert len(CASES) >= 11
    for c in CASES:
        exp = expectations(c)
        assert exp["exercises"] and isinstance(exp["zero"], list), c.name
        assert RAN in c.read_text(), f"{c.name} never prints {RAN!r}"
