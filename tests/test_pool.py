"""The warm pool (issue 11): children forked from one sandboxed parent, kept apart, each like a fresh worker.

Each guarantee is tested in every sandbox this machine gives the pool: bubblewrap, the reduced isolation (here a
root grader: children as root without capabilities, or a dedicated uid each where the machine allows it) and,
marked ``docker``, one container holding the parent.  A pool (one parent) per mode serves the whole module; two
children of it run at the same time where a test needs a victim and an attacker.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import uuid
from pathlib import Path

import pytest

from checker.sandbox import pool, poold, pooled
from checker.sandbox.client import SandboxClient
from checker.sandbox.limits import Limits
from checker.sandbox.probe import probe
from checker.sandbox.session import StudentError, WorkerGone, WorkerSession

MODES = (["bwrap"] if probe().bwrap.usable else []) + ["rlimits", pytest.param("docker", marks=pytest.mark.docker)]
NEEDS = pytest.mark.skipif(probe().landlock < pool.MIN_LANDLOCK, reason=f"Landlock ABI {probe().landlock} < 6 here")
pytestmark = [NEEDS]

SOURCE = textwrap.dedent('''
    import ctypes
    import os
    import signal
    import sys
    import time

    import torch


    def where():
        return {"pid": os.getpid(), "ppid": os.getppid(), "pgid": os.getpgid(0), "sid": os.getsid(0),
                "cwd": os.getcwd(), "tmp": os.environ["TMPDIR"], "home": os.environ["HOME"],
                "submission": os.path.abspath(__file__), "uid": os.getuid(), "fds": sorted(os.listdir("/proc/self/fd")),
                "threads": torch.get_num_threads(), "tasks": len(os.listdir("/proc/self/task")),
                "caps": [l.split()[1] for l in open("/proc/self/status") if l.startswith("CapEff")][0]}


    def torch_works():
        torch.manual_seed(0)
        a = torch.randn(64, 64, dtype=torch.float64)
        ok_mm = torch.allclose(a @ torch.eye(64, dtype=torch.float64), a)
        w = torch.randn(8, 3, requires_grad=True)
        x = torch.randn(16, 8)
        (x @ w).pow(2).sum().backward()
        ok_grad = torch.allclose(w.grad, 2 * x.t() @ (x @ w.detach()), atol=1e-4)
        model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        y = (x[:, 0] > 0).long()
        losses = []
        for _ in range(30):
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return {"mm": ok_mm, "grad": ok_grad, "first": losses[0], "last": losses[-1], "threads": torch.get_num_threads()}


    def plant(secret):
        """Files with ``secret`` in this child's work folder and TMPDIR."""
        paths = [os.path.join(os.getcwd(), "secret.txt"), os.path.join(os.environ["TMPDIR"], "secret.txt")]
        for p in paths:
            with open(p, "w") as f:
                f.write(secret)
        return paths


    def attempt(fn, *args):
        try:
            r = fn(*args)
            return "ok:" + (r.decode("latin-1")[:100] if isinstance(r, bytes) else str(r)[:100])
        except OSError as e:
            return type(e).__name__


    def read(path):
        return attempt(lambda: open(path, "rb").read(100))


    def write(path):
        return attempt(lambda: open(path, "a").write("pwned"))


    def listdir(path):
        return attempt(os.listdir, path)


    def peek_memory(pid):
        """Ways to another process's memory and environment."""
        out = {f: read(f"/proc/{pid}/{f}") for f in ("mem", "environ", "maps")}
        libc = ctypes.CDLL(None, use_errno=True)

        class IOV(ctypes.Structure):
            _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]

        buf = ctypes.create_string_buffer(64)
        local, remote = IOV(ctypes.addressof(buf), 64), IOV(0x400000, 64)
        n = libc.process_vm_readv(pid, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)
        out["process_vm_readv"] = "ok" if n >= 0 else os.strerror(ctypes.get_errno())
        for name, req in (("ptrace_attach", 16), ("ptrace_seize", 0x4206)):
            r = libc.ptrace(req, pid, None, None)
            out[name] = "ok" if r == 0 else os.strerror(ctypes.get_errno())
            if r == 0:
                libc.ptrace(17, pid, None, None)
        return out


    def signal_(pid, sig):
        return attempt(os.kill, pid, sig)


    def kill_everyone():
        return attempt(os.kill, -1, signal.SIGKILL)


    def ipc():
        libc = ctypes.CDLL(None, use_errno=True)
        out = {}
        r = libc.shmget(0, 1 << 20, 0o1600)
        out["shmget"] = "ok" if r >= 0 else os.strerror(ctypes.get_errno())
        r = libc.msgget(0, 0o1600)
        out["msgget"] = "ok" if r >= 0 else os.strerror(ctypes.get_errno())
        out["dev_shm"] = write("/dev/shm/nlp100-leftover")
        return out


    def leave_behind(marker):
        """Files, and a daemon that leaves the session (setsid, double fork)."""
        plant(marker)
        pid = os.fork()
        if pid == 0:
            os.setsid()
            if os.fork() == 0:
                os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(120)", marker])
            os._exit(0)
        os.waitpid(pid, 0)
        time.sleep(0.3)
        return True


    def forks(n):
        ok = 0
        for _ in range(n):
            try:
                if os.fork() == 0:
                    time.sleep(30)
                    os._exit(0)
                ok += 1
            except OSError:
                break
        return ok


    def crash():
        ctypes.string_at(0)


    def busy(seconds):
        t = time.time()
        while time.time() - t < seconds:
            pass
        return seconds
''')


class Session(WorkerSession):
    def call(self, fn, *args, timeout=None):
        return SandboxClient(self).call(fn, args, timeout=timeout).value


def _fresh_factory():
    def launcher(limits):
        raise AssertionError("a fresh worker was started where the pool should have served")

    return lambda: launcher


class Served:
    """A pool server of one mode, in a thread of this process."""

    def __init__(self, mode: str):
        self.mode = mode
        self.folder = Path(tempfile.mkdtemp(prefix="nlp100-pooltest-"))
        os.chmod(self.folder, 0o700)
        backend = "docker" if mode == "docker" else "local"
        self.config = pool.PoolConfig(backend=backend, isolation="auto" if mode == "docker" else mode, slots=6)
        self.server = poold.PoolServer(self.config, self.folder / "pool.sock")
        self.server.start()
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.want = {"backend": backend, "isolation": self.config.isolation, "threads": 1}

    @property
    def parent(self) -> pool.Parent:
        return self.server.parent

    def launcher(self, fresh=None):
        return pooled.PoolLauncher(self.folder / "pool.sock", fresh or _fresh_factory(), self.want)

    def session(self, source: str = SOURCE, limits: Limits | None = None, launcher=None) -> Session:
        s = Session(limits or Limits(), launcher or self.launcher())
        s.load(source)
        return s

    def close(self) -> None:
        self.server.stop()
        self.thread.join(timeout=30)
        import shutil

        shutil.rmtree(self.folder, ignore_errors=True)


def _docker_reason() -> str | None:
    try:
        from checker.sandbox.docker import engine as db
    except ImportError:
        return "no Docker SDK"
    if not db.engine_answers():
        return "no Docker engine answers"
    if not db.image_present():
        return f"the image {db.image_name()} is not built"
    return None


@pytest.fixture(scope="module", params=MODES)
def served(request):
    if request.param == "docker":
        why = _docker_reason()
        if why:
            if os.environ.get("NLP100_REQUIRE_DOCKER") == "1":
                pytest.fail(f"NLP100_REQUIRE_DOCKER=1 but {why}")
            pytest.skip(why)
    s = Served(request.param)
    yield s
    s.close()


def _healthy(served: Served) -> Served:
    if served.parent is None or served.parent.broken:  # an earlier test broke it on purpose: a new one
        served.close()
        served.__init__(served.mode)
    return served


# -- the parent, and what a child is ----------------------------------------------------------------------


def test_parent_has_one_thread_and_children_run_torch_with_the_limits_threads(served):
    served = _healthy(served)
    st = served.server.status()
    assert st["parent_threads"] == "1" and st["broken"] is None
    s = served.session()
    try:
        r = s.call("torch_works")
        me = s.call("where")
    finally:
        s.close()
    assert r["mm"] and r["grad"] and r["last"] < r["first"] * 0.8, r
    assert r["threads"] == 1 and me["threads"] == 1 and me["tasks"] == 1
    assert "warm pool" in s.isolation and f"Landlock ABI {probe().landlock}" in s.isolation


def test_a_child_has_its_own_session_folders_and_only_its_pipes(served):
    served = _healthy(served)
    a, b = served.session(), served.session()
    try:
        wa, wb = a.call("where"), b.call("where")
    finally:
        a.close()
        b.close()
    for w in (wa, wb):
        assert w["pid"] == w["pgid"] == w["sid"], "its own session and process group"
        assert len(w["fds"]) == 6 and {"0", "1", "2"} <= set(w["fds"]), w["fds"]  # + the listing's, requests, answers
        assert w["caps"] == "0000000000000000"
        assert w["cwd"].startswith(os.path.dirname(w["tmp"])) and w["tmp"] == w["home"]
    assert len({wa["cwd"], wb["cwd"]}) == 2 and len({wa["submission"], wb["submission"]}) == 2
    if os.environ.get("_NLP100_POOL_UID_TESTS") == "1" and served.mode == "rlimits":
        assert served.parent.uid_children, "run for the dedicated uids, but the pool does not give them"
    if served.parent.uid_children:
        assert wa["uid"] != wb["uid"] and min(wa["uid"], wb["uid"]) >= 1000, (wa["uid"], wb["uid"])
        assert f"runs as uid {wa['uid']}" in a.isolation


# -- children cannot see each other --------------------------------------------------------------------------


def test_a_child_cannot_read_or_write_another_childs_files(served):
    served = _healthy(served)
    a, b = served.session(), served.session()
    try:
        secret = uuid.uuid4().hex
        paths = a.call("plant", secret)
        wa = a.call("where")
        wb = b.call("where")
        tries = {p: b.call("read", p) for p in paths + [wa["submission"]]}
        tries.update({f"write {p}": b.call("write", p) for p in paths})
        tries.update(
            {
                f"list {d}": b.call("listdir", d)
                for d in (
                    wa["cwd"],
                    wa["tmp"],
                    os.path.dirname(wa["submission"]),
                    os.path.dirname(os.path.dirname(wa["cwd"])),
                    os.path.dirname(os.path.dirname(wb["submission"])),
                )
            }
        )
        mine = b.call("read", wb["submission"])
        assert a.call("read", paths[0]) == "ok:" + secret  # A still has its files
    finally:
        a.close()
        b.close()
    assert mine.startswith("ok:")
    leaked = {k: v for k, v in tries.items() if v.startswith("ok")}
    assert not leaked, leaked


def test_a_child_cannot_read_another_childs_memory_or_ptrace_it(served):
    served = _healthy(served)
    a, b = served.session(), served.session()
    try:
        pa = a.call("where")["pid"]
        out = b.call("peek_memory", pa)
        parent = b.call("peek_memory", b.call("where")["ppid"])
        alive = a.call("where")["pid"] == pa
    finally:
        a.close()
        b.close()
    assert alive
    for what, r in {**out, **{f"parent {k}": v for k, v in parent.items()}}.items():
        assert not r.startswith("ok"), (what, r)


def test_a_child_cannot_signal_another_child_or_the_parent(served):
    served = _healthy(served)
    a, b = served.session(), served.session()
    try:
        pa, ppid = a.call("where")["pid"], b.call("where")["ppid"]
        tries = {
            "kill A": b.call("signal_", pa, int(signal.SIGKILL)),
            "stop A": b.call("signal_", pa, int(signal.SIGSTOP)),
            "kill parent": b.call("signal_", ppid, int(signal.SIGKILL)),
            "kill -1": b.call("kill_everyone"),
        }
        assert a.call("where")["pid"] == pa, "A still answers"
    finally:
        a.close()
        b.close()
    assert all(not v.startswith("ok") for k, v in tries.items() if k != "kill -1"), tries
    c = served.session()  # the parent still forks
    try:
        assert c.call("where")["pid"]
    finally:
        c.close()
    assert served.parent.broken is None


def test_a_child_has_no_sysv_ipc_or_shared_memory_folder(served):
    served = _healthy(served)
    s = served.session()
    try:
        r = s.call("ipc")
    finally:
        s.close()
    assert r["shmget"] != "ok" and r["msgget"] != "ok" and not r["dev_shm"].startswith("ok"), r


def test_nothing_a_child_leaves_behind_reaches_the_next(served):
    served = _healthy(served)
    marker = f"nlp100-pool-leftover-{uuid.uuid4().hex}"
    a = served.session()
    try:
        wa = a.call("where")
        assert a.call("leave_behind", marker)
        assert _host_processes_with(marker), "the daemon runs while A does"
    finally:
        a.close()
    assert not _host_processes_with(marker), "A's daemon outlived it"
    if served.mode == "rlimits":
        # the grader hears "gone" once every process is dead; the folders go right after
        deadline = time.monotonic() + 5
        while os.path.exists(os.path.dirname(wa["cwd"])) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not os.path.exists(os.path.dirname(wa["cwd"])) and not os.path.exists(os.path.dirname(wa["submission"]))
    else:
        root = f"/proc/{served.parent.host_pid}/root"
        deadline = time.monotonic() + 5
        while (
            served.parent.subs / os.path.basename(os.path.dirname(wa["submission"]))
        ).exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        if os.access(root, os.R_OK):
            assert not os.path.exists(root + os.path.dirname(wa["cwd"])), "A's folder is still in the sandbox"
        assert not (served.parent.subs / os.path.basename(os.path.dirname(wa["submission"]))).exists()
    c = served.session()
    try:
        wc = c.call("where")
        seen = {
            p: c.call("read", p) for p in (os.path.join(wa["cwd"], "secret.txt"), os.path.join(wa["tmp"], "secret.txt"))
        }
        own = (c.call("listdir", wc["cwd"]), c.call("listdir", wc["tmp"]))
    finally:
        c.close()
    assert all(v in ("FileNotFoundError", "PermissionError") for v in seen.values()), seen
    assert own == ("ok:[]", "ok:[]"), own


@pytest.mark.skipif(probe().cgroups.pids is None, reason="no pids cgroup can be made here")
def test_a_fork_bomb_in_one_child_leaves_the_others_their_processes(served):
    served = _healthy(served)
    if served.parent.child_layout is None:
        pytest.skip("no per-child cgroups here")
    a, b = served.session(), served.session()
    try:
        n = a.call("forks", 500)
        m = b.call("forks", 10)
    finally:
        a.close()
        b.close()
    assert n < 70 and m == 10, (n, m)


# -- crashes, death and tampering -----------------------------------------------------------------------------


def test_a_childs_crash_never_harms_the_pool(served):
    served = _healthy(served)
    before = served.parent.host_pid
    s = served.session()
    with pytest.raises(WorkerGone) as e:
        s.call("crash")
    s.close()
    assert e.value.kind == "crashed" and s.last_exit == -signal.SIGSEGV
    t = served.session()
    try:
        assert t.call("busy", 0.01) == 0.01
    finally:
        t.close()
    assert served.parent.host_pid == before and served.parent.broken is None


def test_a_killed_parent_is_noticed_and_the_grading_goes_on_with_fresh_workers(served):
    served = _healthy(served)
    started = []

    def fresh():
        from checker.sandbox.local import launch_local

        def launch(limits):
            started.append(1)
            if served.mode == "docker":
                from checker.sandbox.docker import container as db
                from types import SimpleNamespace

                return db.launcher(SimpleNamespace(image=None, gpus=False))(limits)
            return launch_local(limits, served.mode)

        return launch

    launcher = served.launcher(fresh)
    s = served.session(launcher=launcher)
    os.kill(served.parent.host_pid, signal.SIGKILL)
    with pytest.raises(WorkerGone):
        s.call("busy", 5.0)
    s.close()
    assert launcher.failures == 1, "the grading learns that the pool broke under it"
    t = served.session(launcher=launcher)
    try:
        assert t.call("busy", 0.01) == 0.01
    finally:
        t.close()
    assert started == [1] and "warm pool" not in t.isolation
    assert served.parent.broken and "exited" in served.parent.broken
    assert served.server.status()["broken"]


def test_a_traced_parent_is_distrusted(served):
    served = _healthy(served)
    if os.geteuid() != 0:
        pytest.skip("tracing the parent needs root here")
    libc = ctypes.CDLL(None, use_errno=True)
    pid = served.parent.host_pid
    assert libc.ptrace(0x4206, pid, None, None) == 0, os.strerror(ctypes.get_errno())  # PTRACE_SEIZE
    try:
        with pytest.raises(pooled.PoolUnavailable) as e:
            pooled.PooledLaunch.connect(served.folder / "pool.sock", Limits(), served.want)
    finally:
        libc.ptrace(17, pid, None, None)  # PTRACE_DETACH
    assert e.value.broken and "traced" in str(e.value)


def _host_processes_with(marker: str) -> list[int]:
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit() and int(d) != os.getpid():
            try:
                with open(f"/proc/{d}/cmdline", "rb") as f:
                    cmd = f.read()
                with open(f"/proc/{d}/stat", "rb") as f:
                    state = f.read().rsplit(b")", 1)[1].split()[0]
            except OSError:
                continue
            if marker.encode() in cmd and state not in (b"Z", b"X"):
                out.append(int(d))
    return out


# -- the parent's answers are checked (no sandbox needed) -------------------------------------------------------


def test_a_parent_that_does_not_echo_the_nonce_or_forks_elsewhere_breaks_the_pool(tmp_path):
    """A fake parent (a thread speaking the protocol badly; a real single-threaded process stands for its /proc)."""
    for flaw in ("nonce", "fork"):
        stand_in = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        try:
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            p = pool.Parent(pool.PoolConfig(), "bwrap", ours, tmp_path / flaw, tmp_path / flaw / "subs", "test")
            (tmp_path / flaw / "subs").mkdir(parents=True)
            p.host_pid = stand_in.pid

            def fake():
                while True:
                    data, fds, _, _ = socket.recv_fds(theirs, 1 << 16, 8)  # noqa: B023 - called at once, inside the loop
                    for fd in fds:
                        os.close(fd)
                    if not data:
                        return
                    m = json.loads(data)
                    if m["op"] == "ping":
                        theirs.send(  # noqa: B023 - called at once, inside the loop
                            json.dumps(
                                {"op": "pong", "threads": 1, "nonce": "wrong" if flaw == "nonce" else m["nonce"]}  # noqa: B023 - called at once, inside the loop
                            ).encode()
                        )
                    elif m["op"] == "fork":  # a pid that is no child of the parent's
                        theirs.send(json.dumps({"op": "forked", "id": m["id"], "pid": 1, "nonce": m["nonce"]}).encode())  # noqa: B023 - called at once, inside the loop
                    elif m["op"] in ("kill", "clean"):
                        theirs.send(  # noqa: B023 - called at once, inside the loop
                            json.dumps({"op": {"kill": "killed", "clean": "cleaned"}[m["op"]], "id": m["id"]}).encode()
                        )

            threading.Thread(target=fake, daemon=True).start()
            p._after_hello({"op": "hello", "pid": pool._ns_pid(stand_in.pid), "threads": 1, "landlock": 7})
            fds = [x for pair in (os.pipe(), os.pipe()) for x in pair]
            with pytest.raises(pool.PoolBroken) as e:
                p.spawn(Limits(), fds, "n" * 16)
            for fd in fds:
                os.close(fd)
            assert ("nonce" if flaw == "nonce" else "not a new child") in str(e.value)
            theirs.close()
            p.close()
        finally:
            stand_in.kill()
            stand_in.wait()


def test_a_pooled_child_refuses_what_a_fresh_worker_would_not_have(served):
    """The parent preloads matplotlib's dependencies (PIL, ...): a submission's own import of one fails as in a
    fresh worker, while matplotlib itself keeps working."""
    served = _healthy(served)
    s = served.session(
        SOURCE + "\n\ndef pil():\n    import PIL\n\n\ndef plot():\n    import io\n"
        "    import matplotlib.pyplot as plt\n    fig = plt.figure()\n    plt.plot([1, 2])\n"
        "    b = io.BytesIO()\n    fig.savefig(b, format='png')\n    return b.getvalue()[:4].hex()\n"
    )
    try:
        with pytest.raises(StudentError) as e:
            s.call("pil")
        png = s.call("plot")
    finally:
        s.close()
    assert e.value.type == "ModuleNotAvailable"
    assert png == "89504e47"


@pytest.mark.slow
def test_dedicated_uid_children_pass_the_same_tests(tmp_path):
    """The reduced pool of a root grader gives each child its own uid: the tests above, run where another uid can
    run this Python (here, or in a private mount view: tests/hostview.py), with a temporary folder others may cross."""
    import hostview

    if not probe().root:
        pytest.skip("dedicated uids need a root grader")
    pre = [] if not probe().drop else hostview.prefix()
    if pre is None:
        pytest.skip(f"no dedicated uid here ({probe().drop}) and no private mount view to make one")
    if not pre and os.stat(tempfile.gettempdir()).st_mode & 0o001:
        pytest.skip("another uid can run this Python: the tests above ran with dedicated uids")
    tmp = Path(tempfile.mkdtemp(dir="/var/tmp" if os.path.isdir("/var/tmp") else None, prefix="nlp100-pooluid-"))
    os.chmod(tmp, 0o711)
    try:
        env = {**os.environ, "_NLP100_POOL_UID_TESTS": "1", "TMPDIR": str(tmp)}
        p = subprocess.run(
            [
                *pre,
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "-rs",
                "-k",
                "rlimits",
                "-m",
                "not slow",
                str(Path(__file__)),
            ],
            cwd=str(Path(__file__).resolve().parent.parent),
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
    finally:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    assert p.returncode == 0, p.stdout[-4000:] + p.stderr[-2000:]
    assert " passed" in p.stdout and "failed" not in p.stdout, p.stdout[-2000:]
