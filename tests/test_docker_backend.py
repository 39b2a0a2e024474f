"""The docker backend, end to end.

Needs a Docker engine and the grader image (``.ci/docker-setup.sh`` as root makes both).
Without them these tests are skipped with the reason, except where NLP100_REQUIRE_DOCKER=1
is set (CI): there they fail.  After every test no container labelled ``nlp100-checker=1``
may remain.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from corpus import expect

ROOT = Path(__file__).resolve().parent.parent
SUBS = ROOT / "tests" / "submissions"
CASES = (
    ROOT / "tests" / "adversarial" / "cases"
)  # hostile submissions (all of them run here too: test_cases.py's docker mode)
CHECK = [sys.executable, "-m", "checker.cli"]
LABEL = "nlp100-checker"

pytestmark = [pytest.mark.docker]


def _probe_session_class():
    from checker.sandbox.client import SandboxClient
    from checker.sandbox.session import WorkerSession

    class ProbeSession(WorkerSession):
        """A session with the typed client's ``call`` at hand (the tests call the probe's functions)."""

        def call(self, fn, args=(), kwargs=None, **kw):
            return SandboxClient(self).call(fn, args, kwargs, **kw)

    return ProbeSession


def _why_not() -> str | None:
    try:
        import docker  # noqa: F401
    except ImportError:
        return "the Docker SDK for Python is not installed (pip install 'nlp100-checker[docker]')"
    from checker.sandbox.docker import engine as db

    if not db.engine_answers():
        return "no Docker engine answers (start dockerd, or run .ci/docker-setup.sh as root)"
    if not db.image_present():
        return f"the image {db.image_name()} is not built (docker/build-image.sh, or .ci/docker-setup.sh)"
    return None


_REASON = _why_not()


@pytest.fixture(scope="module")
def engine():
    if _REASON is not None:
        if os.environ.get("NLP100_REQUIRE_DOCKER") == "1":
            pytest.fail(f"NLP100_REQUIRE_DOCKER=1 but {_REASON}")
        pytest.skip(_REASON)
    from checker.sandbox.docker import engine as db

    return db._client().api


def _labelled(api, **labels) -> list[dict]:
    filters = [f"{LABEL}=1"] + [f"{LABEL}.{k}={v}" for k, v in labels.items()]
    return api.containers(all=True, filters={"label": filters})


@pytest.fixture
def no_leftovers(engine):
    before = _labelled(engine)
    assert not before, f"containers left by something earlier: {[c['Names'] for c in before]}"
    yield engine
    left = _labelled(engine)
    for c in left:  # do not let one failure cascade into the next tests
        engine.remove_container(c["Id"], force=True)
    assert not left, f"containers left behind: {[(c['Names'], c['Status']) for c in left]}"


def _submit(name_or_path, *extra, env=None, timeout=300):
    path = name_or_path if isinstance(name_or_path, Path) else SUBS / name_or_path
    p = subprocess.run(
        [*CHECK, "submit", str(path), "--backend", "docker", *extra],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=timeout,
    )
    return p


def _statuses(report: dict) -> dict[str, str]:
    return {i["name"]: i["status"] for e in report["exercises"] for i in e["items"]}


def _expected(path: Path) -> tuple[list, list, list, int]:
    """(exercises, items that must not pass, items that must pass, exit status) from the file's header."""
    e = expect(path)
    if "exit" in e:  # the function corpus
        return e["exercises"], e["failing"], e["passing"], e["exit"]
    return e["exercises"], e["zero"], e["passing"], {"passed": 0, "graded": 1, "exit2": 2}[e["verdict"]]


def _check_against_header(name_or_path, p) -> dict:
    path = name_or_path if isinstance(name_or_path, Path) else SUBS / name_or_path
    exercises, failing, passing, exit_status = _expected(path)
    name = path.name
    assert p.stdout.strip(), f"no report; stderr:\n{p.stderr[-3000:]}"
    report = json.loads(p.stdout)
    st = _statuses(report)
    assert report["backend"] == "docker"
    assert report["isolation"].startswith("docker: network none"), report["isolation"]
    assert sorted(e["id"] for e in report["exercises"]) == sorted(exercises)
    for item in passing:
        assert st.get(item) == "passed", (name, item, st, report)
    for item in failing:
        assert st.get(item) in ("failed", "error", "timeout"), (name, item, st)
    assert p.returncode == exit_status, (p.returncode, st, p.stderr[-2000:])
    return report


# -- grading through the docker backend -------------------------------------------------------------


def test_correct_plain(no_leftovers):
    p = _submit("correct_plain.py", "--format", "json")
    report = _check_against_header("correct_plain.py", p)
    assert p.returncode == 0
    assert report["score"] == report["max_score"]
    assert "read-only root" in report["isolation"] and "cap-drop ALL" in report["isolation"]


@pytest.mark.parametrize(
    "name",
    [
        "bug_softmax_no_max_subtraction.py",
        "bug_linear_backward_autograd.py",
        "bug_cross_entropy_sum.py",
    ],
)
def test_bug_files(no_leftovers, name):
    _check_against_header(name, _submit(name, "--format", "json"))


def test_env_secrets_do_not_leak(no_leftovers, tmp_path):
    canary = "canary-" + secrets.token_hex(16)
    env = {**os.environ, "NLP100_TEST_CANARY": canary, "AWS_SECRET_ACCESS_KEY": canary, "GITHUB_TOKEN": canary}
    for fmt in ("json", "text", "junit"):
        out = tmp_path / f"report.{fmt}"
        p = _submit(CASES / "env_secrets.py", "--format", fmt, env=env)
        assert canary not in p.stdout and canary not in p.stderr, fmt
        if fmt == "json":
            _check_against_header(CASES / "env_secrets.py", p)
        p = _submit(CASES / "env_secrets.py", "--format", fmt, "--output", str(out), env=env)
        assert p.returncode == 1
        assert canary not in out.read_text(encoding="utf-8", errors="replace")
        assert canary not in p.stdout + p.stderr
        for f in tmp_path.rglob("*"):
            if f.is_file():
                assert canary.encode() not in f.read_bytes(), f


def test_write_outside_stays_inside(no_leftovers):
    import site

    places = {
        Path("/tmp"),
        Path.home(),
        ROOT,
        ROOT / "checker",
        ROOT / "checker" / "sandbox",
        ROOT / "tests",
        SUBS,
        Path("/opt/nlp100-worker"),
        Path("/submission"),
        Path("/sandbox"),
        Path("/"),
    }
    places |= {Path(p) for p in site.getsitepackages()}
    markers = [d / "nlp100-adv-escape_marker" for d in places]
    stale = [m for m in markers if m.exists()]
    assert not stale, f"remove these first: {stale}"
    case = CASES / "write_outside.py"
    _check_against_header(case, _submit(case, "--format", "json"))
    assert not [m for m in markers if m.exists()]


# -- what the container really enforces -------------------------------------------------------------

PROBE = textwrap.dedent("""
    import os, socket, time

    def _read(p):
        try:
            with open(p) as f:
                return f.read().strip()
        except OSError as e:
            return f"<{type(e).__name__}>"

    def probe():
        facts = {"uid": os.getuid(), "gid": os.getgid(), "cwd": os.getcwd(), "env": sorted(os.environ)}
        writes = {}
        for p in ("/x", "/etc/x", "/opt/nlp100-worker/x", "/submission/x", "/chan/x", "/tmp/x", "/sandbox/x"):
            try:
                with open(p, "w") as f:
                    f.write("x")
                writes[p] = "ok"
            except OSError as e:
                writes[p] = type(e).__name__
        facts["writes"] = writes
        try:
            socket.create_connection(("1.1.1.1", 80), timeout=1).close()
            facts["net"] = "connected"
        except OSError as e:
            facts["net"] = type(e).__name__
        facts["ifaces"] = sorted(os.listdir("/sys/class/net"))
        status = dict(line.split(":", 1) for line in _read("/proc/self/status").splitlines() if ":" in line)
        facts["CapEff"] = status.get("CapEff", "").strip()
        facts["NoNewPrivs"] = status.get("NoNewPrivs", "").strip()
        facts["mem"] = _read("/sys/fs/cgroup/memory/memory.limit_in_bytes")
        facts["memsw"] = _read("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes")
        facts["mem2"] = _read("/sys/fs/cgroup/memory.max")
        facts["pids"] = _read("/sys/fs/cgroup/pids/pids.max")
        facts["pids2"] = _read("/sys/fs/cgroup/pids.max")
        facts["checker_files"] = sorted(os.listdir("/opt/nlp100-checker")) if os.path.isdir("/opt/nlp100-checker") else None
        facts["proc1"] = _read("/proc/1/cmdline").replace("\\0", " ")
        return facts

    def forks(n=300):
        pids = []
        for _ in range(n):
            try:
                pid = os.fork()
            except OSError:
                break
            if pid == 0:
                time.sleep(20)
                os._exit(0)
            pids.append(pid)
        for pid in pids:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        return len(pids)

    def eat_tmp(mb=2000):
        done = 0
        try:
            with open("/tmp/fill", "wb") as f:
                for _ in range(mb):
                    f.write(b"x" * (1 << 20))
                    done += 1
        except OSError as e:
            return [done, type(e).__name__]
        return [done, "ok"]
""")


@pytest.fixture
def session(no_leftovers, tmp_path):
    from checker.grading.plan import Options
    from checker.sandbox.docker import container as db
    from checker.sandbox.limits import Limits

    limits = Limits(memory_mb=1024, nproc=48, tmpfs_mb=64, fsize_mb=1024)
    s = _probe_session_class()(limits, db.launcher(Options(backend="docker")))
    src = tmp_path / "probe.py"
    src.write_text(PROBE, encoding="utf-8")
    s.load(src)
    yield s
    s.close()


def test_container_isolation_facts(session):
    f = session.call("probe", timeout=30).value
    assert (f["uid"], f["gid"]) == (10001, 10001)
    assert f["cwd"] == "/sandbox"
    w = f["writes"]
    for p in ("/x", "/etc/x", "/opt/nlp100-worker/x", "/submission/x", "/chan/x"):
        assert w[p] != "ok", (p, w)
    assert w["/tmp/x"] == "ok" and w["/sandbox/x"] == "ok", w
    assert f["net"] != "connected" and f["ifaces"] == ["lo"], (f["net"], f["ifaces"])
    assert int(f["CapEff"], 16) == 0 and f["NoNewPrivs"] == "1", (f["CapEff"], f["NoNewPrivs"])
    mem = f["mem"] if not f["mem"].startswith("<") else f["mem2"]
    assert int(mem) == 1024 * 1024 * 1024, f
    if not f["memsw"].startswith("<"):
        assert int(f["memsw"]) == 1024 * 1024 * 1024, f  # no swap beyond the memory limit
    pids = f["pids"] if not f["pids"].startswith("<") else f["pids2"]
    assert pids == "48", f
    assert not f["checker_files"], f"the reference solutions must not be visible: {f['checker_files']}"
    assert "worker.py" in f["proc1"] and "timeout" in f["proc1"], f["proc1"]
    # nothing of the grader's environment: only the sandbox's own variables and the image's
    assert not [k for k in f["env"] if "CANARY" in k or "TOKEN" in k or "SECRET" in k or k.startswith("PYTEST")], f[
        "env"
    ]
    assert "NLP100_THREADS" in f["env"]


def test_pids_limit_binds(session):
    n = session.call("forks", timeout=30).value
    assert 0 < n < 48, n


def test_tmpfs_is_capped(session):
    done, how = session.call("eat_tmp", timeout=60).value
    assert how == "OSError" and done <= 64, (done, how)


def test_wall_clock_limit_removes_container(no_leftovers, monkeypatch):
    from checker.sandbox.docker import container as db
    from checker.sandbox.docker import engine
    from checker.sandbox.limits import Limits

    limits = Limits(start_timeout_s=30.0, total_timeout_s=5.0)
    monkeypatch.setattr(db, "DEADLINE_MARGIN_S", -27.0)  # the container's wall clock: 30 + 5 - 27 = 8 s
    cfg = db.DockerConfig(image=engine.image_name())
    launch = db.launch_docker(limits, cfg)
    s = _probe_session_class()(limits, lambda _l: launch)
    s.start()
    s.wait_ready()
    assert _labelled(no_leftovers, session=engine._SESSION)
    t0 = time.monotonic()
    while _labelled(no_leftovers, session=engine._SESSION) and time.monotonic() - t0 < 30:
        time.sleep(0.25)
    assert not _labelled(no_leftovers, session=engine._SESSION), "the container outlived its wall-clock limit"
    assert launch.proc.wait(timeout=10) is not None
    s.close()


def test_orphans_are_swept(no_leftovers):
    from checker.sandbox.docker import engine as db

    dead_pid = 2**22 + 12345  # above pid_max: never a live process
    c = no_leftovers.create_container(
        db.image_name(),
        command=["true"],
        labels={
            LABEL: "1",
            f"{LABEL}.host": db._HOST,
            f"{LABEL}.pid": str(dead_pid),
            f"{LABEL}.session": "gone",
            f"{LABEL}.deadline": f"{time.time() + 3600:.0f}",
        },
    )
    mine = no_leftovers.create_container(
        db.image_name(),
        command=["true"],
        labels={
            LABEL: "1",
            f"{LABEL}.host": db._HOST,
            f"{LABEL}.pid": str(os.getpid()),
            f"{LABEL}.session": "alive",
            f"{LABEL}.deadline": f"{time.time() + 3600:.0f}",
        },
    )
    try:
        assert db.sweep_orphans(no_leftovers) >= 1
        ids = {x["Id"] for x in _labelled(no_leftovers)}
        assert c["Id"] not in ids and mine["Id"] in ids  # a live owner's container is left alone
    finally:
        no_leftovers.remove_container(mine["Id"], force=True)


# -- interrupting the grader ------------------------------------------------------------------------


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_grader_leaves_no_container(no_leftovers, sig):
    def default_signals():
        # what a terminal gives `check`: the signal's default disposition, whatever this test process inherited
        # (a signal ignored here would be ignored by the grader too, which then rightly grades to the end)
        signal.signal(sig, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {sig})  # a blocked signal would stay pending in the grader

    p = subprocess.Popen(
        [*CHECK, "submit", str(CASES / "infinite_loop_call.py"), "--backend", "docker", "--format", "json"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=default_signals,
    )
    try:
        t0 = time.monotonic()
        while not [c for c in _labelled(no_leftovers, pid=p.pid) if c["State"] == "running"]:
            assert p.poll() is None, p.communicate()
            assert time.monotonic() - t0 < 60, "no container started"
            time.sleep(0.1)
        time.sleep(
            2.0
        )  # inside the grading (the worker is busy in softmax's endless loop); the grader overlaps its own start with the container's, so 4 s could already be past the end
        p.send_signal(sig)
        out, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    if sig == signal.SIGTERM:
        assert p.returncode == -signal.SIGTERM, (p.returncode, err[-2000:])
    else:
        assert p.returncode == 2, (p.returncode, err[-2000:], out[-500:], signal.getsignal(sig))
        assert b"Traceback" not in err, err[-3000:]
    assert not _labelled(no_leftovers, pid=p.pid)


def test_sigkilled_grader_is_swept(no_leftovers):
    """SIGKILL cannot be handled: the next launcher() removes what the dead grader left."""
    import tempfile

    from checker.grading.plan import Options
    from checker.sandbox.docker import container as db

    p = subprocess.Popen(
        [*CHECK, "submit", str(CASES / "infinite_loop_call.py"), "--backend", "docker", "--format", "json"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        t0 = time.monotonic()
        while not [c for c in _labelled(no_leftovers, pid=p.pid) if c["State"] == "running"]:
            assert p.poll() is None and time.monotonic() - t0 < 60, "no container started"
            time.sleep(0.1)
    finally:
        p.kill()
        p.wait()
    assert _labelled(no_leftovers, pid=p.pid)  # left behind, still running its endless loop
    dirs = list(Path(tempfile.gettempdir()).glob(f"nlp100-docker-{p.pid}-*"))
    assert dirs
    db._SWEPT = False
    db.launcher(Options(backend="docker"))  # sweeps once per process
    assert not _labelled(no_leftovers, pid=p.pid)
    assert not [d for d in dirs if d.exists()]


# -- when docker cannot be used: exit status 2 with a message, never a traceback ---------------------


def test_no_engine_is_exit_2(tmp_path):
    env = {**os.environ, "DOCKER_HOST": f"unix://{tmp_path}/no-such.sock"}
    t0 = time.monotonic()
    p = _submit("correct_plain.py", env=env, timeout=120)
    assert p.returncode == 2, p.stderr
    assert "docker" in p.stderr.lower() and "Traceback" not in p.stderr, p.stderr
    from checker.sandbox.docker import engine as db

    old = os.environ.get("DOCKER_HOST")
    os.environ["DOCKER_HOST"] = env["DOCKER_HOST"]
    try:
        t1 = time.monotonic()
        assert db.engine_answers() is False and db.available() is False
        assert time.monotonic() - t1 < 3
    finally:
        if old is None:
            os.environ.pop("DOCKER_HOST")
        else:
            os.environ["DOCKER_HOST"] = old
        db._CLIENTS.clear()
    assert time.monotonic() - t0 < 120


def test_missing_image_is_exit_2(no_leftovers):
    p = _submit("correct_plain.py", "--image", "nlp100-checker:no-such-tag")
    assert p.returncode == 2, p.stderr
    assert "no-such-tag" in p.stderr and "Traceback" not in p.stderr, p.stderr


# -- the checker's installed packages are masked; the container's CPU time ---------------------------

SECRETS_PROBE = textwrap.dedent("""
    import hashlib, os, time

    SITE = "/opt/venv/lib/python3.11/site-packages"

    def read_grader_files():
        out = {}
        for rel in ("nlp100_ch08/solution.py", "nlp100_ch08/references.py", "nlp100_ch08/exercises/71/spec.toml",
                    "checker/__init__.py"):
            try:
                with open(f"{SITE}/{rel}", "rb") as f:
                    out[rel] = len(f.read())
            except OSError as e:
                out[rel] = type(e).__name__
        out["listing"] = {d: sorted(os.listdir(f"{SITE}/{d}")) for d in ("checker", "nlp100_ch08") if os.path.isdir(f"{SITE}/{d}")}
        hashes = []
        for root, dirs, files in os.walk("/"):
            if root == "/":
                dirs[:] = [d for d in dirs if d not in ("proc", "sys", "dev")]
            for name in files:
                if name in ("solution.py", "references.py"):
                    try:
                        with open(os.path.join(root, name), "rb") as f:
                            hashes.append(hashlib.sha256(f.read()).hexdigest())
                    except OSError:
                        pass
        out["hashes"] = hashes
        return out

    def burn(seconds):
        t0 = time.process_time()
        while time.process_time() - t0 < seconds:
            pass
        return time.process_time() - t0
""")


def _in_image(api, image, code: str) -> str:
    """Run python in the image as the grader would (no masks, no sandbox): what the image holds."""
    c = api.create_container(
        image, command=["/opt/venv/bin/python", "-c", code], host_config=api.create_host_config(network_mode="none")
    )
    try:
        api.start(c["Id"])
        assert api.wait(c["Id"], timeout=120)["StatusCode"] == 0, api.logs(c["Id"]).decode()[-2000:]
        return api.logs(c["Id"], stderr=False).decode()
    finally:
        api.remove_container(c["Id"], force=True)


@pytest.fixture
def secrets_session(no_leftovers, tmp_path):
    from checker.grading.plan import Options
    from checker.sandbox.docker import container as db
    from checker.sandbox.limits import Limits

    s = _probe_session_class()(Limits(), db.launcher(Options(backend="docker")))
    src = tmp_path / "probe.py"
    src.write_text(SECRETS_PROBE, encoding="utf-8")
    s.load(src)
    yield s
    s.close()


def test_submission_cannot_read_the_installed_pack(secrets_session, no_leftovers):
    """The image installs the checker from its wheel into site-packages; a submission's container
    masks site-packages/checker and site-packages/nlp100_ch08: no reference, no reference solution."""
    import hashlib

    from checker.sandbox.docker import engine as db

    image = db.image_name()
    held = json.loads(
        _in_image(
            no_leftovers,
            image,
            (
                "import json, os; s = '/opt/venv/lib/python3.11/site-packages'; "
                "print(json.dumps([os.path.isfile(f'{s}/nlp100_ch08/{n}') for n in ('solution.py', 'references.py')]))"
            ),
        )
    )
    assert held == [True, True], f"{image} does not hold the pack in site-packages: rebuild it (docker/build-image.sh)"
    mine = {
        hashlib.sha256((ROOT / "packs" / "nlp100_ch08" / n).read_bytes()).hexdigest()
        for n in ("solution.py", "references.py")
    }
    f = secrets_session.call("read_grader_files", timeout=120).value
    for rel in (
        "nlp100_ch08/solution.py",
        "nlp100_ch08/references.py",
        "nlp100_ch08/exercises/71/spec.toml",
        "checker/__init__.py",
    ):
        assert not isinstance(f[rel], int), (rel, f[rel])
    assert all(v == [] for v in f["listing"].values()), f["listing"]
    assert not mine & set(f["hashes"]), (
        "a copy of the reference solution or the references is readable in the container"
    )


def test_cpu_seconds_of_the_container(secrets_session):
    before = secrets_session.cpu_seconds()
    assert before is not None and before >= 0
    used = secrets_session.call("burn", [1.5], timeout=60).value
    after = secrets_session.cpu_seconds()
    assert used >= 1.5 and after - before >= 1.2, (before, after, used)
    secrets_session.close()
    assert secrets_session.launch is None or secrets_session.launch.cpu_seconds() is None
