"""Adversarial submissions, each graded by the CLI under every isolation mode this machine gives.

A case is ``cases/<name>.py``, a submission that begins with its expectations: the header of tests/corpus.py,
TOML between two lines ``# --- expect`` and ``# ---`` (each line after ``# ``)::

    # --- expect
    # exercises = ["71"]          # what to grade (--exercise): only the exercise the case attacks
    # verdict = "graded"          # "graded": exit 1; "passed": exit 0; "exit2": cannot grade
    # zero = ["softmax"]          # items that must score 0 (failed, error or timeout), each with a message
    # passing = ["predict_proba"] # items that must pass; zero + passing name every item of the exercises
    # leaves_nothing = true       # no process, file, cgroup or container of the grading left once the grader exits
    # why = "forks 300 processes" # what the attack does (shown when it fails)
    # ---

Optional keys:

* ``requires``: capabilities the mode must give, else that mode is skipped with the reason (never to hide a
  failure: a mode that claims a capability and does not hold it fails): ``private-files`` (no writes to the
  grader's files, no reading other processes' environment), ``private-network``, ``signal-scope`` (cannot
  signal the grader), ``process-tracking`` (a daemon that leaves the session is still killed),
  ``memory-cgroup``;
* ``attack_runs = false``: nothing of the file runs (a syntax error); every other case prints
  ``nlp100-adv: attack ran`` when its attack starts, and the harness checks that it did;
* ``output_contains`` (strings the report's captured stdout/stderr must hold), ``output_truncated``,
  ``output_bytes_at_least`` (bytes of stdout the report counted);
* ``messages = { item = "text" }``: the item's message or details hold the text;
* ``counterexample = [items]``: these items' failures carry a counterexample (the input, what came back, and a
  ``check submit <case> --exercise N --seed 0`` line);
* ``absent = [paths]``: files the grading must not create or touch (``{root}``, ``{cases}``, ``{home}`` expand to
  the repository, this folder and the grader's HOME);
* ``renders = ["text", "github"]``: the report is rendered again from the saved result (``check render``) in
  these formats, none of which may hold a raw control character (C0 but newline and tab, DEL, C1), a bidi
  override or isolate, or a lone surrogate; ``render_contains`` (strings each rendering holds) and
  ``render_escaped_only`` (texts that may appear only right after a visible escape such as ``\\x1b[32m``);
* ``max_shmem_growth_mb`` (host shared memory, sampled during the grading), ``alone`` (graded by itself, not
  beside another case).

Processes a case starts should carry ``nlp100-adv-<name>`` on their command line, and files it writes in the
shared temporary folders should be named ``nlp100-adv-*``.

Checked for every case and mode: the exit status and verdict; the CLI's stdout empty (the report goes to
``--output``) and no traceback on its stderr; the report in the result format (schema, sha256 of the case,
the checker's own version: a report printed by the submission is never taken for the grader's), exactly the
header's exercises, no internal error; the test canary (planted in the grader's environment by conftest), and
its variable's name, nowhere in the report or the CLI's output; the grader's folder holding only its report and
an unchanged ``results.jsonl``; no new file next to the cases; no connection to a TCP listener the harness holds
during the grading; with ``leaves_nothing``, no process with the case's marker, no process of the worker's
dedicated uid (mode uid) or of the grader's own uid (mode user), no cgroup ``nlp100-<grader pid>-*``, no launch
folder ``/tmp/nlp100-<grader pid>-*`` or ``/tmp/nlp100-docker-<grader pid>-*``, no container labelled with the
grader's pid, no file of the worker's uid nor any ``nlp100-adv-*`` file in the shared temporary folders.

Modes: ``bwrap`` (bubblewrap works here); ``uid`` (reduced isolation with a root grader: the worker runs as a
dedicated uid); ``user`` (reduced isolation with an ordinary grader user: the grader itself runs under
``setpriv`` as an unprivileged uid, a fresh one per grading); ``docker`` (``--backend docker``: one container
per worker from the grader image; marked ``docker``; without an engine or the image it is skipped, and
``NLP100_REQUIRE_DOCKER=1``, which CI sets, makes that a failure).  uid and user need root to set up; on a
machine whose Python is closed to other users they run in a private mount view (tests/hostview.py).

Speed (CI's budget is about 10 minutes for tests/adversarial on 2 cores).  Every case grades only the exercise
it attacks, with ``--max-examples 3``; cases run two at a time (``alone`` ones by themselves), the modes of one
case one after the other, and every case runs in every mode (docker included: a container per worker costs
about a second more than a local worker).  ``NLP100_ADV_TIMINGS=FILE`` writes each grading's wall time there.
Measured figures are in the README ("Adversarial suite").
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
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from checker.sandbox import identity
from checker.sandbox.probe import probe

import hostview
from conftest import CANARY, CANARY_NAME, check_result_format, cli_env
from corpus import CAPABILITIES, cases, expect

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
CASES_DIR = Path(__file__).resolve().parent / "cases"
CASES = cases(CASES_DIR)
MODES = ("bwrap", "uid", "user", "docker")
RAN = "nlp100-adv: attack ran"
MAX_EXAMPLES = "3"
GRADE_TIMEOUT_S = 400
RESULTS_LINE = '{"student": "earlier", "score": 5}\n'
GRADER_PREFIX = "nlp100-adv-grader-"  # the grader's folder of one grading (its cwd and --output)
DOCKER_LABEL = "nlp100-checker"
VERDICT_EXIT = {"passed": 0, "graded": 1, "exit2": 2}
# what no rendering of a report may hold raw: C0 controls but \t and \n, DEL, C1, bidi overrides and isolates,
# lone surrogates (undecodable bytes come back as surrogates too)
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


# -- modes -------------------------------------------------------------------------------------------------------


@dataclass
class Mode:
    name: str
    isolation: str = "rlimits"
    backend: str = "local"
    prefix: list = field(default_factory=list)
    own_uid: bool = False  # the grader runs as a fresh unprivileged uid (mode user)
    gives: frozenset = frozenset()
    missing: str = ""  # why this mode cannot run here
    required: bool = False  # missing is a failure, not a skip (NLP100_REQUIRE_DOCKER=1)


def _docker_missing() -> str:
    try:
        import docker  # noqa: F401
    except ImportError:
        return "the Docker SDK for Python is not installed (pip install 'nlp100-checker[docker]')"
    from checker.sandbox.docker import engine as db

    if not db.engine_answers():
        return "no Docker engine answers (start dockerd, or run .ci/docker-setup.sh as root)"
    if not db.image_present():
        return f"the image {db.image_name()} is not built (bash .ci/docker-setup.sh)"
    return ""


def _mode(name: str) -> Mode:
    if name == "docker":
        return Mode(
            name,
            backend="docker",
            gives=frozenset(CAPABILITIES),
            missing=_docker_missing(),
            required=os.environ.get("NLP100_REQUIRE_DOCKER") == "1",
        )
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
    gives = (
        ({"private-files"} if ll >= 1 else set())
        | ({"private-network"} if ll >= 4 else set())
        | ({"signal-scope"} if ll >= 6 else set())
    )
    return Mode(name, prefix=view, own_uid=True, gives=frozenset(gives))


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
    touched: list[str]  # paths of ``absent`` made or changed during the grading
    renders: dict  # format -> (exit status, output)


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


def _grader_dir(grader_uid: int | None) -> Path:
    d = Path(tempfile.mkdtemp(prefix=GRADER_PREFIX))
    (d / "results.jsonl").write_text(RESULTS_LINE)
    if grader_uid is not None:
        for p in (d, d / "results.jsonl"):
            os.chown(p, grader_uid, grader_uid)
    os.chmod(d, 0o755)
    return d


def _command(case: Path, exp: dict, m: Mode, out: Path, grader_uid: int | None) -> list[str]:
    ex = [a for e in exp["exercises"] for a in ("--exercise", e)]
    setpriv = (
        []
        if grader_uid is None
        else ["setpriv", f"--reuid={grader_uid}", f"--regid={grader_uid}", "--clear-groups", "--"]
    )
    where = ["--backend", "docker"] if m.backend == "docker" else ["--isolation", m.isolation]
    return [
        *m.prefix,
        *setpriv,
        sys.executable,
        "-m",
        "checker.cli",
        "submit",
        str(case),
        *ex,
        "--format",
        "json",
        "--output",
        str(out),
        "--max-examples",
        MAX_EXAMPLES,
        *where,
        "--lang",
        "en",
    ]


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


def _containers_of(grader_pid: int) -> list[str]:
    """Containers the docker backend labelled as this grader's (pid and host), running or not."""
    from checker.sandbox.docker import engine as db

    labels = [f"{DOCKER_LABEL}=1", f"{DOCKER_LABEL}.pid={grader_pid}", f"{DOCKER_LABEL}.host={socket.gethostname()}"]
    found = db._client().api.containers(all=True, filters={"label": labels})
    return [f"container {c['Names'][0]} ({c['State']})" for c in found]


def leftovers(case: Path, grader_pid: int, worker_uids: list[int], m: Mode) -> list[str]:
    """Whatever the grading left behind once its grader has exited."""
    found = [f"process {p} with the case's marker" for p in _marked(f"nlp100-adv-{case.stem}")]
    lay = probe().cgroups
    for base in {b for b in (lay.memory, lay.pids, lay.cpu) if b is not None}:
        found += [f"cgroup {g}" for g in glob.glob(f"{base}/nlp100-{grader_pid}-*")]
    tmp = tempfile.gettempdir()
    found += [f"launch folder {g}" for g in glob.glob(f"{tmp}/nlp100-{grader_pid}-*")]
    found += [f"docker folder {g}" for g in glob.glob(f"{tmp}/nlp100-docker-{grader_pid}-*")]
    if m.backend == "docker":
        found += _containers_of(grader_pid)
    for base in identity.SHARED_DIRS:  # what a case writes is named nlp100-adv-* (the harness's folders excepted)
        found += [f"file {g}" for g in glob.glob(f"{base}/nlp100-adv-*") if GRADER_PREFIX not in g]
    for uid in worker_uids:
        found += [f"process {p} of uid {uid}" for p in identity.processes_of(uid)]
        for base in identity.SHARED_DIRS:
            try:
                found += [
                    f"{base}/{n} of uid {uid}"
                    for n in os.listdir(base)
                    if os.lstat(f"{base}/{n}").st_uid == uid and not n.startswith(GRADER_PREFIX)
                ]
            except OSError:
                pass
        found += [f"SysV shm {i} of uid {uid}" for i in identity._sysv_ids("shm", uid)]
    return found


def _worker_uids(report: dict | None, stdout_err: str) -> list[int]:
    text = (report or {}).get("isolation", "") + stdout_err
    return sorted({int(u) for u in re.findall(r"runs as uid (\d+)", text)})


def _absent(exp: dict, home: Path) -> list[Path]:
    places = {"root": str(ROOT), "cases": str(CASES_DIR), "home": str(home)}
    return [Path(os.path.normpath(a.format(**places))) for a in exp.get("absent", [])]


def _touched(paths: list[Path], since: float) -> list[str]:
    out = []
    for p in paths:
        try:
            if p.lstat().st_mtime >= since:
                out.append(str(p))
        except OSError:
            pass
    return out


def _render(report_file: Path, fmt: str, cwd: Path) -> tuple[int, str]:
    p = subprocess.run(
        [sys.executable, "-m", "checker.cli", "render", str(report_file), "--format", fmt, "--no-color"],
        cwd=str(cwd),
        env={**cli_env(), "NO_COLOR": "1"},
        capture_output=True,
        timeout=120,
    )
    return p.returncode, (p.stdout + p.stderr).decode("utf-8", "surrogateescape")


def grade(case: Path, m: Mode) -> Outcome:
    exp = expect(case)
    grader_uid = identity.pick_id() if m.own_uid else None
    if m.own_uid and grader_uid is None:
        raise AssertionError("no free uid for the grader")
    gdir = _grader_dir(grader_uid)
    absent = _absent(exp, gdir)
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
    since = time.time() - 1.0
    t0 = time.monotonic()
    try:
        p = subprocess.Popen(
            _command(case, exp, m, gdir / "report.json", grader_uid),
            cwd=str(gdir),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )  # an attack that gets through kills the grader, not pytest
        try:
            stdout, stderr = p.communicate(timeout=GRADE_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, 9)
            stdout, stderr = p.communicate()
            stderr += f"\n[harness] the grading took more than {GRADE_TIMEOUT_S} s and was killed"
    finally:
        done.set()
        sampler.join()
        connections = listener.close()
    wall = time.monotonic() - t0
    report_file = gdir / "report.json"
    report = json.loads(report_file.read_text()) if report_file.is_file() else None
    uids = _worker_uids(report, stdout + stderr) + ([grader_uid] if grader_uid is not None else [])
    left = leftovers(case, p.pid, uids, m) if exp["leaves_nothing"] else []
    listing, results_line = sorted(os.listdir(gdir)), (gdir / "results.jsonl").read_text()
    touched = _touched(absent, since)
    renders = {fmt: _render(report_file, fmt, gdir) for fmt in exp.get("renders", [])} if report else {}
    out = Outcome(
        p.returncode,
        report,
        stdout,
        stderr,
        listing,
        results_line,
        left,
        connections,
        peak[0],
        wall,
        sorted(set(os.listdir(CASES_DIR)) - before),
        touched,
        renders,
    )
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
    return not m.missing and set(expect(case).get("requires", [])) <= m.gives


@pytest.fixture(scope="module")
def outcomes(request) -> dict[tuple[str, str], Outcome]:
    todo: dict[Path, list[str]] = {}
    for case, name in _selected(request.session):
        if _runnable(case, name):
            todo.setdefault(case, []).append(name)

    def run_case(case: Path) -> dict:
        return {(case.stem, n): grade(case, mode(n)) for n in todo[case]}

    results: dict = {}
    t0 = time.monotonic()
    together = [c for c in todo if not expect(c).get("alone")]
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        for r in pool.map(run_case, together):
            results.update(r)
    for c in [c for c in todo if expect(c).get("alone")]:
        results.update(run_case(c))
    timings = os.environ.get("NLP100_ADV_TIMINGS")
    if timings:
        Path(timings).write_text(
            json.dumps(
                {
                    "total_s": round(time.monotonic() - t0, 1),
                    "gradings": {
                        f"{c}/{n}": {"wall_s": round(o.wall_s, 1), "exit": o.returncode}
                        for (c, n), o in sorted(results.items())
                    },
                },
                indent=1,
            )
        )
    return results


# -- the checks --------------------------------------------------------------------------------------------------


def _items(report: dict) -> dict[str, dict]:
    return {i["name"]: i for e in report["exercises"] for i in e["items"]}


def _check_report(path: Path, exp: dict, o: Outcome, why: str) -> None:
    d = o.report
    assert d is not None, f"no report written {why}\n{o.stderr[-3000:]}"
    check_result_format(d, path)
    assert d["exit_status"] == o.returncode, why
    assert [e["id"] for e in d["exercises"]] == exp["exercises"], why
    assert d["internal_errors"] == 0, why
    output = d["output"]["stdout"] + d["output"]["stderr"]
    if exp.get("attack_runs", True):
        assert RAN in output, f"the attack did not run {why}: {output[:500]}"
    items = _items(d)
    for name in exp["zero"]:
        it = items[name]
        assert it["score"] == 0 and it["status"] in ("failed", "error", "timeout") and it["message"].strip(), (
            f"{name}: {it} {why}"
        )
    for name in exp["passing"]:
        assert items[name]["status"] == "passed", f"{name}: {items[name]['message']} {items[name]['details'][:5]} {why}"
    assert all(i["score"] == i["max_score"] for n, i in items.items() if n not in exp["zero"]), why
    for name, text in exp.get("messages", {}).items():
        said = items[name]["message"] + "\n" + "\n".join(items[name]["details"])
        assert text in said, f"{text!r} not in the message of {name}: {said[:1000]} {why}"
    for name in exp.get("counterexample", []):
        ce = items[name]["counterexample"]
        assert ce is not None, f"{name} has no counterexample {why}"
        assert ce["input"].startswith(f"{name}(") and ce["got"], f"{ce} {why}"
        ex_id = next(e["id"] for e in d["exercises"] if name in [i["name"] for i in e["items"]])
        assert (
            ce["repro"].startswith("check submit ")
            and path.name in ce["repro"]
            and f"--exercise {ex_id} --seed 0 --max-examples {MAX_EXAMPLES}" in ce["repro"]
        ), f"{ce['repro']} {why}"
    for s in exp.get("output_contains", []):
        assert s in output, f"{s!r} not in the report's output {why}"
    out = d["output"]
    if exp.get("output_truncated"):
        assert out["truncated"] is True, why
    if out["truncated"]:
        assert (
            len(out["stdout"].encode()) <= out["limit_kb"] * 1024
            and len(out["stderr"].encode()) <= out["limit_kb"] * 1024
        ), why
    if "output_bytes_at_least" in exp:
        assert out["stdout_bytes"] >= exp["output_bytes_at_least"], f"{out['stdout_bytes']} bytes counted {why}"


def _check_renders(exp: dict, o: Outcome, why: str) -> None:
    for fmt in exp.get("renders", []):
        rc, text = o.renders[fmt]
        assert rc == 0, f"check render --format {fmt}: exit {rc}: {text[-2000:]} {why}"
        raw = sorted({repr(c) for c in RAW_CONTROL.findall(text)})
        assert not raw, f"--format {fmt} emits raw {', '.join(raw)} {why}"
        for s in exp.get("render_contains", []):
            assert s in text, f"{s!r} not in --format {fmt} {why}"
        for s in exp.get("render_escaped_only", []):
            bare = re.sub(r"\\x1b\[[0-9;]*[A-Za-z]" + re.escape(s), "", text)
            assert s not in bare, f"{s!r} shown outside an escape in --format {fmt} {why}"


@pytest.mark.parametrize(
    "mode_name", [pytest.param(n, marks=[pytest.mark.docker] if n == "docker" else [], id=n) for n in MODES]
)
@pytest.mark.parametrize("case", [c.stem for c in CASES], ids=[c.stem for c in CASES])
def test_case(case, mode_name, outcomes):
    path, m = CASES_DIR / f"{case}.py", mode(mode_name)
    exp = expect(path)
    if m.missing:
        if m.required:
            pytest.fail(f"NLP100_REQUIRE_DOCKER=1 but {m.missing}")
        pytest.skip(m.missing)
    lacking = sorted(set(exp.get("requires", [])) - m.gives)
    if lacking:
        pytest.skip(f"mode {mode_name} does not give {', '.join(lacking)} on this machine")
    o = outcomes[(case, mode_name)]
    why = f"[{case} / {mode_name}: {exp['why']}]"
    everything = o.stdout + o.stderr + json.dumps(o.report or {}) + "".join(t for _, t in o.renders.values())
    assert CANARY not in everything, f"the canary leaked {why}"
    assert CANARY_NAME not in everything, f"the canary's name leaked {why}"
    want = VERDICT_EXIT[exp["verdict"]]
    assert o.returncode == want, f"exit {o.returncode}, expected {want} {why}\n{o.stderr[-3000:]}"
    assert "Traceback" not in o.stderr, f"a traceback on the grader's stderr {why}\n{o.stderr[-3000:]}"
    if want != 2:
        assert o.stdout == "", f"the CLI printed to stdout though the report went to --output {why}: {o.stdout[:500]}"
        _check_report(path, exp, o, why)
        _check_renders(exp, o, why)
    assert set(o.grader_dir) <= {"results.jsonl", "report.json", "report_files", ".hypothesis"}, f"{o.grader_dir} {why}"
    assert o.results_line == RESULTS_LINE, f"results.jsonl changed {why}"
    assert not [n for n in o.new_case_files if n != "__pycache__"], (
        f"new files next to the case: {o.new_case_files} {why}"
    )
    assert o.touched == [], f"made or changed outside the sandbox: {o.touched} {why}"
    assert o.connections == 0, f"{o.connections} connection(s) reached the harness's listener {why}"
    assert o.leftovers == [], f"left behind: {o.leftovers} {why}"
    if "max_shmem_growth_mb" in exp:
        assert o.shmem_growth_mb < exp["max_shmem_growth_mb"], (
            f"host shared memory grew by {o.shmem_growth_mb:.0f} MB {why}"
        )


def test_every_case_has_a_valid_header():
    """cases() validated every header already; here what the keys say together."""
    from checker.spec import discover

    exercises = discover()
    assert len(CASES) >= 30
    for c in CASES:
        exp = expect(c)
        items = [i.name for e in exp["exercises"] for i in exercises[e].items]
        assert sorted(exp["zero"] + exp["passing"]) == sorted(items), f"{c.name}: zero + passing must name {items}"
        assert (exp["verdict"] == "graded") == bool(exp["zero"]) or exp["verdict"] == "exit2", c.name
        assert set(exp.get("messages", {})) | set(exp.get("counterexample", [])) <= set(exp["zero"]), c.name
        runs = exp.get("attack_runs", True)
        assert (RAN in c.read_text()) == runs, f"{c.name}: prints {RAN!r} unless attack_runs = false"
        assert not c.stem.startswith("hostile_"), c.name
