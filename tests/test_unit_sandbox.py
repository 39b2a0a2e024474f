"""The sandbox, through WorkerSession + launch_local, with tiny submissions written to tmp_path.

What the worker can see and do: no caller environment, no project directory, no writes outside
/sandbox and /tmp, no network; it dies with its session and on a timeout; its output is cut.
"""

from __future__ import annotations

import json
import os
import socket
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from checker.sandbox.limits import Limits
from checker.sandbox.local import launch_local, sandbox_env
from checker.sandbox.probe import probe as machine
from checker.sandbox.client import SandboxClient
from checker.sandbox.session import StudentError, WorkerGone, WorkerSession

from conftest import CANARY, CANARY_NAME, ROOT

needs_bwrap = pytest.mark.skipif(
    not machine().bwrap.usable, reason=f"bubblewrap does not work here ({machine().bwrap.reason})"
)


class ProbeSession(WorkerSession):
    """A session with the typed client's ``call`` at hand (the tests call the probe's functions)."""

    def call(self, fn, args=(), kwargs=None, **kw):
        return SandboxClient(self).call(fn, args, kwargs, **kw)


PROBE = """
import os
import socket
import subprocess
import sys



def environ():
    out = {"environ": dict(os.environ)}
    for pid in ("1", "self", str(os.getppid())):
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                out[pid] = f.read().decode("utf-8", "replace")
        except OSError as e:
            out[pid] = type(e).__name__
    dump = "\\n".join(f"{k}={v}" for k, v in out.items())
    print(dump, flush=True)
    print(dump, file=sys.stderr, flush=True)
    return out


def listdir(path):
    try:
        return sorted(os.listdir(path))
    except OSError as e:
        return type(e).__name__


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read(100).decode("utf-8", "replace")
    except OSError as e:
        return type(e).__name__


def write(path):
    try:
        with open(path, "w") as f:
            f.write("escaped")
        return "ok"
    except OSError as e:
        return type(e).__name__


def connect(host, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(2)
    try:
        s.connect((host, port))
        return "connected"
    except OSError as e:
        return type(e).__name__
    finally:
        s.close()


def spawn(n, marker):
    code = "import time; time.sleep(600)"
    return [subprocess.Popen([sys.executable, "-c", code, marker]).pid for _ in range(n)]


def spin(marker):
    spawn(2, marker)
    while True:
        pass


def shout(n):
    sys.stdout.write("y" * n)
    sys.stdout.flush()
    return n


def fail():
    x = 1
    raise ValueError("bad value " + str(x))
"""


def write_probe(tmp_path: Path, source: str = PROBE, name: str = "probe.py") -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(source), encoding="utf-8")
    return p


def new_session(path: Path, isolation: str = "bwrap", **limits) -> "ProbeSession":
    s = ProbeSession(Limits(**limits), lambda lim: launch_local(lim, isolation))
    s.load(path)
    return s


def processes_with(marker: str) -> list[int]:
    """Host pids whose command line mentions ``marker`` (zombies excluded)."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == os.getpid():
            continue
        try:
            with open(f"/proc/{d}/cmdline", "rb") as f:
                cmd = f.read()
            with open(f"/proc/{d}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker.encode() in cmd and state != "Z":
            out.append(int(d))
    return out


def gone(pids: list[int], marker: str | None = None) -> bool:
    """Wait (polling, bounded) for processes to disappear; True when none is left."""
    import time

    for _ in range(200):
        alive = []
        for p in pids:
            try:
                with open(f"/proc/{p}/stat") as f:
                    if f.read().rsplit(")", 1)[1].split()[0] != "Z":
                        alive.append(p)
            except OSError:
                pass
        if not alive and (marker is None or not processes_with(marker)):
            return True
        time.sleep(0.05)
    return False


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    """One bubblewrap worker for the read-only probes of this module."""
    path = write_probe(tmp_path_factory.mktemp("probe"))
    s = new_session(path)
    yield s
    s.close()


def everything_from(session: "ProbeSession", value) -> str:
    out = session.output()
    return json.dumps(value, default=repr) + out["stdout"] + out["stderr"]


# -- the environment ---------------------------------------------------------------------------


def test_the_canary_is_in_the_callers_environment():
    assert os.environ[CANARY_NAME] == CANARY


@needs_bwrap
def test_worker_environment_has_none_of_the_callers_variables(probe):
    res = probe.call("environ").value
    env = res["environ"]
    allowed = set(sandbox_env(Limits())) | {"PWD"}  # bubblewrap sets PWD after --chdir
    assert set(env) <= allowed
    assert env["HOME"] == "/tmp" and env["PATH"] == "/usr/bin:/bin" and env.get("PWD", "/sandbox") == "/sandbox"
    for k in os.environ:
        if k not in allowed:
            assert k not in env
    # nothing of the caller in the returned value, in any readable /proc/*/environ, or in the output
    assert CANARY not in everything_from(probe, res)
    assert CANARY_NAME not in everything_from(probe, res)


@needs_bwrap
def test_printed_output_is_captured_not_read_as_a_result(probe):
    probe.call("environ")
    import time

    for _ in range(100):  # the capture threads drain the pipes concurrently
        if "environ=" in probe.output()["stdout"]:
            break
        time.sleep(0.05)
    out = probe.output()
    assert "environ=" in out["stdout"] and "environ=" in out["stderr"]
    assert CANARY not in out["stdout"] + out["stderr"]


# -- the file system ---------------------------------------------------------------------------


@needs_bwrap
def test_project_and_reference_are_not_visible(probe):
    ref = ROOT / "packs" / "nlp100_ch08" / "references.py"
    assert ref.is_file()  # on the host
    assert probe.call("read", [str(ref)]).value in ("FileNotFoundError", "PermissionError")
    assert probe.call("read", [str(ROOT / "tests" / "submissions" / "correct_plain.py")]).value in (
        "FileNotFoundError",
        "PermissionError",
    )
    root_listing = probe.call("listdir", ["/"]).value
    assert isinstance(root_listing, list) and "sandbox" in root_listing
    project = probe.call("listdir", [str(ROOT)]).value
    if isinstance(project, list):  # only the mount point of the virtual environment may show
        assert not {"packs", "checker", "tests", "pyproject.toml"} & set(project)
    assert probe.call("listdir", ["/sandbox"]).value == []
    assert probe.call("listdir", ["/submission"]).value == ["submission.py"]  # whatever the file was called


@needs_bwrap
@pytest.mark.parametrize(
    "where",
    [
        "/escaped",
        "/usr/escaped",
        "/etc/escaped",
        "/opt/nlp100-worker/escaped",
        "/submission/escaped",
        "{root}/escaped",
        "{root}/.venv/escaped",
        "{root}/checker/escaped",
        "/proc/escaped",
        "/sys/escaped",
        "/dev/escaped",
    ],
)
def test_writes_outside_sandbox_and_tmp_fail(probe, where):
    path = where.format(root=ROOT)
    result = probe.call("write", [path]).value
    if path.startswith(str(ROOT)):
        # a checkout under /tmp (CI clones) lies in the sandbox's private tmpfs /tmp: a write
        # there may succeed inside, but it must never reach the host's file
        assert not Path(path).exists()
        if Path("/tmp") in ROOT.parents:
            return
    assert result != "ok"


@needs_bwrap
def test_writes_inside_sandbox_and_tmp_work_and_stay_inside(probe):
    marker = f"inside-{uuid.uuid4().hex}"
    assert probe.call("write", [f"/sandbox/{marker}"]).value == "ok"
    assert probe.call("write", [f"/tmp/{marker}"]).value == "ok"
    assert probe.call("read", [f"/tmp/{marker}"]).value == "escaped"
    assert not Path(f"/tmp/{marker}").exists()  # the sandbox's /tmp is private
    assert not (
        probe.launch.workdir / marker
    ).exists()  # /sandbox is a private tmpfs: files cross only through the pipe


# -- the network ---------------------------------------------------------------------------------


@needs_bwrap
def test_network_is_unreachable(probe):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    try:
        # the host's loopback listener is reachable from here, not from the sandbox
        c = socket.create_connection(("127.0.0.1", port), timeout=2)
        c.close()
        assert probe.call("connect", ["127.0.0.1", port]).value != "connected"
        assert probe.call("connect", ["1.1.1.1", 80]).value != "connected"
    finally:
        srv.close()


# -- errors, lifetime, timeouts, output ----------------------------------------------------------


@needs_bwrap
def test_exceptions_come_back_as_student_errors(probe):
    with pytest.raises(StudentError) as e:
        probe.call("fail")
    assert e.value.type == "ValueError" and "bad value 1" in e.value.error["message"]
    frames = e.value.error["frames"]
    assert frames and frames[-1]["function"] == "fail" and "raise ValueError" in frames[-1]["code"]
    assert probe.alive


@needs_bwrap
def test_worker_and_its_children_die_with_the_session(tmp_path):
    s = new_session(write_probe(tmp_path))
    marker = f"nlp100-marker-{uuid.uuid4().hex}"
    try:
        assert len(s.call("spawn", [3, marker]).value) == 3
        host_pids = processes_with(marker)
        for _ in range(100):  # a child shows the marker once it has exec'd
            if len(host_pids) == 3:
                break
            time.sleep(0.05)
            host_pids = processes_with(marker)
        assert len(host_pids) == 3
        cgroup = s.launch.cgroup
        if cgroup is not None:
            in_cgroup = {int(p) for p in (cgroup / "cgroup.procs").read_text().split()}
            assert set(host_pids) <= in_cgroup and s.launch.proc.pid in in_cgroup
        worker_pid = s.launch.proc.pid
    finally:
        s.close()
    assert not s.alive
    assert gone(host_pids + [worker_pid], marker)
    if cgroup is not None:
        assert not cgroup.exists()
    assert not s.launch.root.exists()


@needs_bwrap
def test_a_timeout_kills_the_worker_and_its_children(tmp_path):
    s = new_session(write_probe(tmp_path))
    marker = f"nlp100-marker-{uuid.uuid4().hex}"
    worker_pid = s.launch.proc.pid
    try:
        with pytest.raises(WorkerGone) as e:
            s.call("spin", [marker], timeout=1)
        assert e.value.kind == "timeout"
        assert not s.alive
        assert gone([worker_pid], marker)
    finally:
        s.close()


@needs_bwrap
def test_a_session_restarts_after_a_timeout(tmp_path):
    s = new_session(write_probe(tmp_path))
    try:
        with pytest.raises(WorkerGone):
            s.call("spin", ["restart-" + uuid.uuid4().hex], timeout=1)
        s.restart()
        assert s.alive and s.restarts == 1
        assert s.call("listdir", ["/sandbox"]).value == []
    finally:
        s.close()


@needs_bwrap
def test_output_beyond_the_cap_is_cut_and_counted(tmp_path):
    s = new_session(write_probe(tmp_path))
    try:
        assert s.call("shout", [300_000]).value == 300_000
    finally:
        s.close()
    out = s.output()
    cap = Limits().output_kb * 1024
    assert cap == 64 * 1024
    assert len(out["stdout"]) == cap
    assert out["stdout_bytes"] == 300_000
    assert out["truncated"] is True


@needs_bwrap
def test_output_before_a_restart_is_kept(tmp_path):
    src = PROBE + "\n\ndef hello(s):\n    print(s, flush=True)\n    return s\n"
    s = new_session(write_probe(tmp_path, src))
    try:
        s.call("hello", ["before-the-restart"])
        s.restart()
        s.call("hello", ["after-the-restart"])
    finally:
        s.close()
    out = s.output()["stdout"]
    assert "after-the-restart" in out
    assert "before-the-restart" in out


FORGE = """
import json
import os
import struct
import sys


def forge():
    fd = int(sys.argv[sys.argv.index("--out") + 1])
    header = json.dumps({"id": 2, "ok": True, "values": {"result": {"$tensor": {
        "dtype": ["float32"], "shape": [1], "offset": 0, "nbytes": 4}}}}).encode()
    os.write(fd, struct.pack(">IQ", len(header), 4) + header + b"\\0\\0\\0\\0")
    return 1
"""


@needs_bwrap
def test_a_forged_malformed_frame_is_a_protocol_error(tmp_path):
    s = new_session(write_probe(tmp_path, FORGE, "forge.py"))
    try:
        with pytest.raises(WorkerGone) as e:
            s.call("forge")
        assert e.value.kind == "protocol"
    finally:
        s.close()


@needs_bwrap
def test_a_forged_frame_with_a_bad_shape_is_a_protocol_error(tmp_path):
    src = FORGE.replace('["float32"]', '"float32"').replace('"shape": [1]', '"shape": [7]')
    s = new_session(write_probe(tmp_path, src, "forge.py"))
    try:
        with pytest.raises(WorkerGone) as e:
            s.call("forge")
        assert e.value.kind == "protocol"
        assert not s.alive
    finally:
        s.close()


# -- reduced isolation ---------------------------------------------------------------------------


def test_rlimits_isolation_works_and_says_reduced(tmp_path):
    s = new_session(write_probe(tmp_path), isolation="rlimits")
    try:
        assert "reduced" in s.isolation
        res = s.call("environ").value
        assert set(res["environ"]) <= set(sandbox_env(Limits()))
        assert CANARY not in json.dumps(res["environ"])
        assert s.call("listdir", ["."]).value == []  # runs in its own work dir
    finally:
        s.close()


def test_bwrap_isolation_is_not_reduced(probe):
    if not machine().bwrap.usable:
        pytest.skip("bubblewrap does not work here")
    assert "bubblewrap" in probe.isolation and "reduced" not in probe.isolation


CORRECT_71 = """
import torch


def softmax(x, dim=-1):
    e = (x - x.amax(dim=dim, keepdim=True)).exp()
    return e / e.sum(dim=dim, keepdim=True)


def predict_proba(X, W):
    return softmax(X @ W, dim=-1)
"""


def test_grading_with_rlimits_isolation_reports_reduced(tmp_path):
    from checker.api import Options, grade
    from checker.report import render

    path = write_probe(tmp_path, CORRECT_71, "sub71.py")
    report = grade(path, ["71"], Options(isolation="rlimits", max_examples=3))
    assert [e.id for e in report.exercises] == ["71"]
    assert report.exit_status == 0 and report.score == report.max_score == 5
    assert "reduced" in report.isolation
    assert any("reduced" in n for n in report.notes)
    assert "reduced" in render(report, "text")
    assert "reduced" in render(report, "json")


@needs_bwrap
def test_grading_a_submission_that_forges_a_frame_is_still_graded(tmp_path):
    from checker.api import Options, grade

    src = CORRECT_71.replace("def softmax(x, dim=-1):\n", "def softmax(x, dim=-1):\n    forge()\n") + FORGE
    path = write_probe(tmp_path, src, "forger.py")
    report = grade(path, ["71"], Options(max_examples=0))
    assert report.internal_errors == 0
    assert report.exit_status == 1
