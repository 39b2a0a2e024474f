"""The worker's process tree, memory, output and CPU time under each isolation this machine gives (issue 9).

Every test runs in each mode available here: bubblewrap, and the reduced isolation as this process's user
(root here: a root worker without capabilities, under Landlock).  The dedicated-uid mode of a root grader is in
test_unit_isolation_uid.py (run below in a private mount view when this machine's Python is closed to other
uids).  Cgroups are taken away by replacing the probe's answer, to test what holds without them.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from pathlib import Path

import pytest

from checker.sandbox import cgroups, local
from checker.sandbox.client import SandboxClient
from checker.sandbox.limits import Limits
from checker.sandbox.local import launch_local
from checker.sandbox.probe import probe
from checker.sandbox.session import StudentError, WorkerGone, WorkerSession

from conftest import ROOT

HERE = Path(__file__).resolve().parent
MODES = (["bwrap"] if probe().bwrap.usable else []) + ["rlimits"]
NO_CGROUPS = cgroups.Layout("none", (), why="taken away by the test")

SOURCE = textwrap.dedent('''
    import os
    import sys
    import time


    def hello(text):
        print(text)                        # no flush: the worker must flush before it exits
        return len(text)


    def marked(marker):
        """Processes whose command line holds ``marker`` (as this process sees /proc)."""
        out = []
        for d in os.listdir("/proc"):
            try:
                with open(f"/proc/{d}/cmdline", "rb") as f:
                    if marker.encode() in f.read():
                        out.append(int(d))
            except (OSError, ValueError):
                pass
        return out


    def daemon(marker):
        """A daemon that leaves the session and the process group (setsid, double fork), then waits to be seen."""
        pid = os.fork()
        if pid == 0:
            os.setsid()
            if os.fork() == 0:
                os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(120)", marker])
            os._exit(0)
        os.waitpid(pid, 0)
        for _ in range(500):
            if marked(marker):
                return True
            time.sleep(0.01)
        return False


    def fill_memfd(total_mb, chunk_mb=64):
        """Shared memory that the address-space rlimit does not count (each memfd below the file-size rlimit)."""
        block = b"x" * (1 << 20)
        fds = []
        for _ in range(total_mb // chunk_mb):
            fd = os.memfd_create("fill")
            fds.append(fd)
            for _ in range(chunk_mb):
                os.write(fd, block)
        return len(fds) * chunk_mb


    def nap(seconds):
        time.sleep(seconds)
        return seconds


    def spin(seconds):
        t0 = time.process_time()
        while time.process_time() - t0 < seconds:
            pass
        return seconds


    def read(path):
        try:
            with open(path, "rb") as f:
                return f.read(200).decode("utf-8", "replace")
        except OSError as e:
            return type(e).__name__


    def listdir(path):
        try:
            return sorted(os.listdir(path))
        except OSError as e:
            return type(e).__name__


    def environment():
        return dict(os.environ)
''')


class Session(WorkerSession):
    def call(self, fn, *args, timeout=None):
        return SandboxClient(self).call(fn, args, timeout=timeout).value


def start(isolation: str, limits: Limits | None = None, source: str = SOURCE) -> Session:
    s = Session(limits or Limits(), lambda lim: launch_local(lim, isolation))
    s.load(source)
    return s


@pytest.fixture
def without(monkeypatch):
    """Replace parts of the probe's answer for the launcher (e.g. ``without(cgroups=NO_CGROUPS)``)."""

    def apply(**changes):
        changed = dataclasses.replace(probe(), **changes)
        monkeypatch.setattr(local, "probe", lambda: changed)
        return changed

    return apply


def host_processes_with(marker: str) -> list[int]:
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == os.getpid():
            continue
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


def shmem_mb() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("Shmem:"):
            return int(line.split()[1]) / 1024
    return 0.0


# -- B: output, and the whole process tree gone before close() returns --------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_print_without_flush_reaches_the_report(mode):
    """Before: the worker was killed right after "exit", and an unflushed print was lost about half the time."""
    for i in range(3):
        s = start(mode)
        try:
            assert s.call("hello", f"unflushed-{i}") == len(f"unflushed-{i}")
        finally:
            s.close()
        assert f"unflushed-{i}" in s.output()["stdout"], (mode, i)
        assert s.last_exit == 0  # it ended by itself, after flushing


@pytest.mark.parametrize("mode", MODES)
def test_close_returns_only_when_a_daemon_that_left_the_session_is_gone(mode, without):
    """With a cgroup (root here) the cgroup is killed and emptied; under bubblewrap without one, close() waits
    for the sandbox's pid 1, whose exit means the kernel has killed its whole pid namespace."""
    marker = f"nlp100-daemon-{uuid.uuid4().hex}"
    if mode == "bwrap":
        without(cgroups=NO_CGROUPS)
    s = start(mode)
    try:
        assert s.call("daemon", marker) is True
        assert host_processes_with(marker)
    finally:
        s.close()
    assert host_processes_with(marker) == []  # at once: close() returned only after they were gone


def test_sandbox_survivors_are_an_error_not_a_result(monkeypatch):
    """If the worker's processes cannot be killed in time, cleanup raises: no result may be written."""
    from checker.errors import SandboxError

    s = start("rlimits")
    launch, kill = s.launch, local.Launch.kill
    monkeypatch.setattr(local.Launch, "kill", lambda self: setattr(self, "survivors", [12345]))
    try:
        with pytest.raises(SandboxError) as e:
            s.close()
        assert "12345" in str(e.value) and "no result" in str(e.value)
    finally:
        kill(launch)


GRADER = textwrap.dedent("""
    import threading, time
    from checker.sandbox.client import SandboxClient
    from checker.sandbox.limits import Limits
    from checker.sandbox.local import launch_local
    from checker.sandbox.session import WorkerSession
    s = WorkerSession(Limits(call_timeout_s=300), lambda lim: launch_local(lim, "rlimits"))
    s.load("def spin():\\n    while True:\\n        pass\\n")
    threading.Thread(target=lambda: SandboxClient(s).call("spin"), daemon=True).start()
    time.sleep(1)
    print(s.launch.proc.pid, flush=True)
    time.sleep(300)
""")


def left_by(grader: int, remove: bool = False) -> list[Path]:
    """The cgroups and launch folders a (dead) grader left; with ``remove``, removed as a batch does after a dead
    grader: ``local._kill_cgroup`` on the pids cgroup only, then rmdir of that one."""
    lay = probe().cgroups
    found = [d for b in {b for b in (lay.memory, lay.pids, lay.cpu) if b} for d in b.glob(f"nlp100-{grader}-*")]
    found += list(Path("/tmp").glob(f"nlp100-{grader}-*"))
    if remove:
        for d in [d for d in found if lay.pids is not None and d.parent == lay.pids]:
            local._kill_cgroup(d)
            d.rmdir()
        for d in Path("/tmp").glob(f"nlp100-{grader}-*"):
            local._rmtree(d)
        for b in {b for b in (lay.memory, lay.cpu) if b}:
            assert not list(b.glob(f"nlp100-{grader}-*")), "the worker's other cgroups outlived _kill_cgroup"
    return found


def kill_a_grader() -> tuple[int, int | None]:
    """Start a grader whose reduced worker is busy in student code (an idle one would end at EOF of its requests),
    SIGKILL the grader; (worker pid, worker uid) once the worker is gone, or AssertionError.  What the dead grader could not remove (its empty cgroups, its folder) is removed here."""
    grader = subprocess.Popen([sys.executable, "-c", GRADER], stdout=subprocess.PIPE, text=True, cwd=str(ROOT))
    try:
        worker = int(grader.stdout.readline())
        uid = int(Path(f"/proc/{worker}").stat().st_uid)
    finally:
        grader.kill()
        grader.wait()
    try:
        assert local._wait_gone(worker, 10), "the worker outlived its grader"
    finally:
        left_by(grader.pid, remove=True)
    return worker, uid


def test_a_reduced_worker_dies_with_its_grader():
    """A grader killed with SIGKILL cannot clean up: the worker gets SIGKILL from the kernel (PR_SET_PDEATHSIG)."""
    kill_a_grader()


# -- C: memory: a memory cgroup where the grader may make one ------------------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(probe().cgroups.memory is None, reason="no memory cgroup can be made here")
@pytest.mark.parametrize("mode", MODES)
def test_memfd_beyond_the_memory_limit_is_stopped_and_host_shared_memory_stays_bounded(mode):
    """Before: the address-space rlimit did not count memfd pages: host shared memory grew by the full 3 GB."""
    limits = Limits()
    s = start(mode, limits)
    assert f"memory cgroup {limits.memory_mb} MB" in s.isolation
    base, peak, done = shmem_mb(), [0.0], threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], shmem_mb() - base)
            time.sleep(0.02)

    t = threading.Thread(target=sample)
    t.start()
    try:
        with pytest.raises((WorkerGone, StudentError)):
            s.call("fill_memfd", 3072, timeout=60)
        oom = s.launch.group.oom_kills()
    finally:
        done.set()
        t.join()
        s.close()
    assert oom >= 1 or not s.alive
    assert peak[0] < limits.memory_mb + 150, f"host shared memory grew by {peak[0]:.0f} MB"
    assert shmem_mb() - base < 150  # and it is given back


@pytest.mark.parametrize("mode", MODES)
def test_the_report_says_which_memory_limit_applied(mode, without):
    s = start(mode)
    try:
        want = f"memory cgroup {Limits().memory_mb} MB" if probe().cgroups.memory else "address-space rlimit only"
        assert want in s.isolation
    finally:
        s.close()
    without(cgroups=NO_CGROUPS)
    s = start(mode)
    try:
        assert "memory: address-space rlimit only (no memory cgroup here)" in s.isolation
        assert s.launch.group is None and s.call("hello", "x") == 1
    finally:
        s.close()


@pytest.mark.skipif(probe().cgroups.memory is None, reason="no cgroup can be made here")
@pytest.mark.parametrize("mode", MODES)
def test_cgroups_are_made_per_worker_and_removed_on_cleanup(mode):
    s = start(mode)
    dirs = list(s.launch.group.dirs)
    try:
        assert all(d.name.startswith(f"nlp100-{os.getpid()}-") for d in dirs)
        assert s.launch.proc.pid in s.launch.group.procs()
        limit = s.launch.group.memory / ("memory.max" if s.launch.group.version == "v2" else "memory.limit_in_bytes")
        assert int(limit.read_text()) == Limits().memory_mb << 20
    finally:
        s.close()
    assert not any(d.exists() for d in dirs)


def test_reduced_worker_has_private_folders_for_work_and_tmp():
    s = start("rlimits")
    try:
        env = s.call("environment")
        tmp = Path(env["TMPDIR"])
        assert env["HOME"] == env["TMPDIR"] and env["MPLCONFIGDIR"].startswith(env["TMPDIR"])
        assert tmp.parent == s.launch.root and s.launch.workdir.parent == s.launch.root
        for d in (tmp, s.launch.workdir):
            assert d.stat().st_mode & 0o777 == 0o700
    finally:
        s.close()
    assert not s.launch.root.exists()


# -- Landlock: the reduced isolation's files, network and neighbours ----------------------------------------


@pytest.mark.skipif(not probe().landlock, reason="the kernel has no Landlock")
def test_reduced_worker_is_confined_by_landlock(tmp_path):
    out = tmp_path / "results"
    out.mkdir()
    s = start("rlimits")
    try:
        assert "Landlock" in s.isolation
        assert s.call("read", str(ROOT / "packs" / "nlp100_ch08" / "references.py")) == "PermissionError"
        assert s.call("listdir", str(ROOT)) == "PermissionError"
        assert s.call("read", f"/proc/{os.getpid()}/environ") == "PermissionError"
        assert isinstance(s.call("listdir", "/usr"), list)
        src = SOURCE + textwrap.dedent(f"""

            def escape():
                results = []
                for path in ({str(out / "pwned")!r}, "/tmp/nlp100-pwned-{uuid.uuid4().hex}", "/dev/shm/nlp100-pwned"):
                    try:
                        open(path, "w").write("x")
                        results.append("written")
                    except OSError as e:
                        results.append(type(e).__name__)
                try:
                    os.kill(os.getppid(), 0)
                    results.append("signalled")
                except OSError as e:
                    results.append(type(e).__name__)
                return results
        """)
    finally:
        s.close()
    s = start("rlimits", source=src)
    try:
        assert "written" not in s.call("escape") and "signalled" not in s.call("escape")
    finally:
        s.close()
    assert list(out.iterdir()) == []


# -- D: an installed checker and installed packs are masked under bubblewrap -------------------------------


@pytest.mark.skipif(not probe().bwrap.usable, reason="bubblewrap does not work here")
def test_installed_pack_folders_are_empty_in_the_sandbox(tmp_path, monkeypatch):
    """A wheel-like layout: a site-packages folder bound into the sandbox, holding a pack with reference solutions."""
    site = tmp_path / "site-packages"
    (site / "fakepack_refs").mkdir(parents=True)
    (site / "fakepack_refs" / "__init__.py").write_text("")
    (site / "fakepack_refs" / "references.py").write_text("ANSWER = 42\n")
    (site / "other.txt").write_text("visible\n")
    monkeypatch.syspath_prepend(str(site))
    from checker.sandbox import visibility

    # what an installed pack's entry point names (visibility reads the entry points; here one more package)
    real = visibility.hidden_packages()
    monkeypatch.setattr(visibility, "hidden_packages", lambda: sorted({*real, str(site / "fakepack_refs")}))
    monkeypatch.setattr(local, "_python_dirs", lambda: visibility.python_dirs() + [str(site)])
    s = start("bwrap")
    try:
        assert s.call("read", str(site / "other.txt")) == "visible\n"  # the folder is bound ...
        assert (
            s.call("read", str(site / "fakepack_refs" / "references.py")) == "FileNotFoundError"
        )  # ... the pack is not
        assert s.call("listdir", str(site / "fakepack_refs")) == []
        assert s.call("read", "/opt/nlp100-worker/wire.py") != "FileNotFoundError"  # the worker's own files still are
    finally:
        s.close()


def test_masks_cover_the_checker_and_packs_only_under_bound_folders(tmp_path):
    from checker.sandbox.visibility import allow_list, masks

    site = tmp_path / "lib" / "site-packages"
    (site / "nlp100_ch08").mkdir(parents=True)
    (site / "torch").mkdir()
    hidden = [str(site / "nlp100_ch08"), "/elsewhere/checker"]
    assert masks([str(tmp_path / "lib")], hidden) == [str(site / "nlp100_ch08")]
    assert masks(["/usr"], hidden) == []
    allowed = allow_list([str(tmp_path)], hidden)
    assert str(site / "torch") in allowed and not any("nlp100_ch08" in a for a in allowed)


# -- E: CPU time as the grader reads it ------------------------------------------------------------------


@pytest.mark.parametrize("cgroup", [True, False], ids=["cgroup", "proc"])
@pytest.mark.parametrize("mode", MODES)
def test_cpu_seconds_count_spinning_not_sleeping(mode, cgroup, without):
    """From the worker's cpuacct cgroup where there is one, else from /proc (the grader times 77 this way)."""
    if not cgroup:
        without(cgroups=NO_CGROUPS)
    elif probe().cgroups.cpu is None:
        pytest.skip("no cpu cgroup can be made here")
    s = start(mode)
    assert (s.launch.group is not None) == cgroup
    try:
        c0 = s.cpu_seconds()
        assert s.call("nap", 1.0) == 1.0
        c1 = s.cpu_seconds()
        assert s.call("spin", 1.0) == 1.0
        c2 = s.cpu_seconds()
    finally:
        s.close()
    assert c1 - c0 < 0.3, f"sleeping 1 s added {c1 - c0:.2f} CPU s"
    assert 0.8 < c2 - c1 < 1.6, f"spinning 1 s of CPU added {c2 - c1:.2f} CPU s"


# -- the dedicated uid (root grader without bubblewrap) ----------------------------------------------------


@pytest.mark.slow
def test_dedicated_uid_tests_pass(tmp_path):
    """Runs test_unit_isolation_uid.py where another uid can run this Python: here, or in a private mount view."""
    import hostview

    if not probe().root:
        pytest.skip("the dedicated uid needs a root grader")
    pre = [] if not probe().drop else hostview.prefix()
    if pre is None:
        pytest.skip(f"no dedicated uid here ({probe().drop}) and no private mount view to make one")
    if not pre:
        pytest.skip("another uid can run this Python: test_unit_isolation_uid.py runs directly")
    env = {**os.environ, "NLP100_UID_TESTS": "1"}
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
            str(HERE / "test_unit_isolation_uid.py"),
        ],
        cwd=str(ROOT),
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert p.returncode == 0, p.stdout[-4000:] + p.stderr[-2000:]
    assert " passed" in p.stdout and "skipped" not in p.stdout, p.stdout[-2000:]


# -- cgroup layouts (v1 and v2 trees, made of plain folders) -------------------------------------------------------


def _tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_v2_layout_uses_the_nearest_ancestor_that_delegates_memory(tmp_path):
    mount = _tree(
        tmp_path,
        {
            "cgroup.controllers": "cpu memory pids",
            "cgroup.procs": "",
            "cgroup.subtree_control": "memory pids",
            "user.slice/cgroup.procs": "",
            "user.slice/cgroup.subtree_control": "memory pids",
            "user.slice/s-1.scope/cgroup.procs": "42",
            "user.slice/s-1.scope/cgroup.subtree_control": "",
        },
    )
    lay = cgroups.layout(mount, "0::/user.slice/s-1.scope\n")
    assert lay.version == "v2" and lay.memory == lay.pids == lay.cpu == mount / "user.slice"
    (mount / "user.slice/cgroup.subtree_control").write_text("pids")
    assert cgroups.layout(mount, "0::/user.slice/s-1.scope\n").memory == mount  # the root, then
    (mount / "cgroup.subtree_control").write_text("")
    lay = cgroups.layout(mount, "0::/user.slice/s-1.scope\n")
    assert lay.memory is None and "delegates the memory controller" in lay.why


def test_v2_cgroup_gets_memory_max_no_swap_and_pids(tmp_path):
    base = _tree(
        tmp_path, {"cgroup.controllers": "memory pids", "cgroup.procs": "", "cgroup.subtree_control": "memory pids"}
    )
    real_mkdir = Path.mkdir

    def mkdir(self, *a, **k):  # the kernel makes a cgroup's files; here: the ones create() looks for
        real_mkdir(self, *a, **k)
        for f in ("memory.swap.max", "pids.max", "cgroup.procs"):
            (self / f).write_text("max")

    import unittest.mock as mock

    with mock.patch.object(Path, "mkdir", mkdir):
        g = cgroups.create(512, 32, cgroups.layout(base, "0::/\n"))
    assert g.version == "v2" and g.memory_mb == 512 and g.nproc == 32 and len(g.dirs) == 1
    d = g.dirs[0]
    assert d.name.startswith(f"nlp100-{os.getpid()}-")
    assert (d / "memory.max").read_text() == str(512 << 20) and (d / "memory.swap.max").read_text() == "0"
    assert (d / "pids.max").read_text() == "32" and (d / "memory.oom.group").read_text() == "1"


def test_v1_layout_prefers_the_graders_own_cgroup(tmp_path):
    mount = _tree(
        tmp_path,
        {"memory/cgroup.procs": "", "memory/job/cgroup.procs": "", "pids/cgroup.procs": "", "cpuacct/cgroup.procs": ""},
    )
    lay = cgroups.layout(mount, "4:memory:/job\n8:pids:/\n2:cpuacct:/\n")
    assert lay.version == "v1" and lay.memory == mount / "memory/job" and lay.pids == mount / "pids"
    lay = cgroups.layout(mount, "4:memory:/elsewhere\n")  # not visible here (a container): the hierarchy's root
    assert lay.memory == mount / "memory"


def test_sweep_stale_removes_only_old_empty_cgroups_of_graders_that_are_gone(tmp_path):
    # a grader killed with SIGKILL (a double Ctrl-C, the OOM killer) leaves empty nlp100-<pid>-* folders behind
    import os
    import time

    from checker.sandbox import cgroups

    base = tmp_path / "pids"
    base.mkdir()
    gone, alive, young, busy = (
        base / n
        for n in ("nlp100-999999999-aa", f"nlp100-{os.getpid()}-bb", "nlp100-999999998-cc", "nlp100-999999997-dd")
    )
    for d in (gone, alive, young, busy):
        d.mkdir()
    (busy / "cgroup.procs").write_text(f"{os.getpid()}\n")
    old = time.time() - 3600
    for d in (gone, alive, busy):
        os.utime(d, (old, old))
    lay = cgroups.Layout("v1", ("pids",), pids=base)
    assert cgroups.sweep_stale(lay) == 1
    assert not gone.exists()
    assert alive.exists() and young.exists() and busy.exists()


@pytest.mark.parametrize("module", ["checker.sandbox.local", "checker.sandbox.forkserver"])
def test_removing_a_tree_never_changes_the_folder_that_holds_it(tmp_path, module):
    # a worker folder that was gone already made _rmtree chmod its parent (/tmp itself) to 0700
    import importlib
    import stat

    rmtree = importlib.import_module(module)._rmtree
    holder = tmp_path / "holder"
    holder.mkdir()
    os.chmod(holder, 0o1777)
    rmtree(holder / "nlp100-gone")
    assert stat.S_IMODE(holder.stat().st_mode) == 0o1777
    tree = holder / "nlp100-tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "sub" / "f").write_text("x")
    os.chmod(tree / "sub", 0o500)
    rmtree(tree)
    assert not tree.exists() and stat.S_IMODE(holder.stat().st_mode) == 0o1777
