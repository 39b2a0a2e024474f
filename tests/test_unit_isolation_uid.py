"""The reduced isolation of a root grader: the worker as a dedicated unprivileged uid (issue 9).

Runs only where a root grader can switch the worker to another uid (``check doctor``: "drop privileges");
test_unit_isolation.py runs this module in a private mount view on machines whose Python is closed to other
uids (pyenv under /root).  Each test also takes the cgroups away, to show what the uid alone guarantees.
"""

from __future__ import annotations

import os
import textwrap
import uuid
from pathlib import Path

import pytest

from checker.sandbox import identity
from checker.sandbox.limits import Limits
from checker.sandbox.probe import probe

from test_unit_isolation import NO_CGROUPS, SOURCE, host_processes_with, kill_a_grader, start, without  # noqa: F401 (fixture)

pytestmark = pytest.mark.skipif(
    not probe().root or bool(probe().drop), reason=f"no dedicated uid here: {probe().drop or 'not root'}"
)

ATTACKS = SOURCE + textwrap.dedent('''

    def who():
        st = os.stat(".")
        tmp = os.environ["TMPDIR"]
        return {"uid": os.getuid(), "euid": os.geteuid(), "gid": os.getgid(), "groups": os.getgroups(),
                "cwd_owner": st.st_uid, "cwd_mode": st.st_mode & 0o777, "tmp_owner": os.stat(tmp).st_uid,
                "cwd": os.getcwd(), "tmp": tmp}


    def write(path):
        try:
            with open(path, "a") as f:
                f.write("pwned")
            return "written"
        except OSError as e:
            return type(e).__name__


    def forks(n):
        """Fork ``n`` children that sleep; how many forks succeeded."""
        ok = 0
        for _ in range(n):
            try:
                if os.fork() == 0:
                    time.sleep(60)
                    os._exit(0)
                ok += 1
            except OSError:
                break
        return ok


    def shm_leftovers(name):
        import ctypes

        with open(f"/dev/shm/{name}", "wb") as f:
            f.write(b"x" * 4096)
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.shmget(0, 1 << 20, 0o1600)     # IPC_PRIVATE, IPC_CREAT | 0600: outlives its creator
''')


@pytest.mark.parametrize("landlock", [True, False])
def test_worker_runs_as_a_dedicated_uid_in_its_own_folders(landlock, without, tmp_path):  # noqa: F811 - a pytest fixture, imported to be used
    without(cgroups=NO_CGROUPS, **({} if landlock else {"landlock": 0}))
    results = tmp_path / "out"
    results.mkdir()
    (results / "results.jsonl").write_text("{}\n")
    os.chmod(tmp_path, 0o755)
    s = start("rlimits", source=ATTACKS)
    try:
        me = s.call("who")
        uid = s.launch.uid
        assert uid is not None and uid >= 1000 and f"runs as uid {uid}" in s.isolation
        assert me["uid"] == me["euid"] == me["gid"] == uid and me["groups"] == []
        assert me["cwd_owner"] == uid and me["cwd_mode"] == 0o700 and me["tmp_owner"] == uid
        assert s.call("write", f"{me['tmp']}/ok") == "written"
        # nothing of the grader's is writable by that uid, with or without Landlock
        for target in (
            results / "results.jsonl",
            results / "new",
            s.launch.subdir / "submission.py",
            s.launch.root / "x",
        ):
            assert s.call("write", str(target)) != "written", target
        assert s.call("read", f"/proc/{os.getpid()}/environ") == "PermissionError"
    finally:
        s.close()
    assert (results / "results.jsonl").read_text() == "{}\n" and not (results / "new").exists()
    assert identity.processes_of(uid) == []


def test_a_fork_bomb_is_capped_without_a_pids_cgroup(without):  # noqa: F811 - a pytest fixture, imported to be used
    """Before: a root grader without a pids cgroup ran the worker as root, and 300 of 300 forks succeeded."""
    without(cgroups=NO_CGROUPS)
    s = start("rlimits", source=ATTACKS)
    try:
        uid = s.launch.uid
        n = s.call("forks", 300, timeout=30)
        assert n < Limits().nproc, f"{n} forks succeeded"
        assert f"nproc {Limits().nproc}" in s.isolation
    finally:
        s.close()
    assert identity.processes_of(uid) == []


def test_a_daemon_of_the_uid_is_killed_without_any_cgroup(without):  # noqa: F811 - a pytest fixture, imported to be used
    """setsid + double fork leaves the process group and the tree; it cannot leave its uid."""
    without(cgroups=NO_CGROUPS)
    marker = f"nlp100-daemon-{uuid.uuid4().hex}"
    s = start("rlimits", source=ATTACKS)
    try:
        uid = s.launch.uid
        assert s.call("daemon", marker) is True and host_processes_with(marker)
    finally:
        s.close()
    assert host_processes_with(marker) == [] and identity.processes_of(uid) == []


def test_what_the_uid_leaves_in_shared_folders_and_sysv_ipc_is_removed():
    name = f"nlp100-left-{uuid.uuid4().hex}"
    s = start("rlimits", source=ATTACKS)
    try:
        uid = s.launch.uid
        shmid = s.call("shm_leftovers", name)
        assert shmid >= 0 and Path(f"/dev/shm/{name}").exists()
        assert shmid in identity._sysv_ids("shm", uid)
    finally:
        s.close()
    assert not Path(f"/dev/shm/{name}").exists()
    assert identity._sysv_ids("shm", uid) == []


def test_the_drawn_uid_is_unused_and_mapped():
    uid = identity.pick_id()
    assert uid is not None and uid not in (0, os.getuid(), 65534)
    assert identity.processes_of(uid) == []


def test_the_worker_of_a_killed_grader_dies_after_its_uid_switch():
    """PR_SET_PDEATHSIG is cleared by a change of uid: it is set after the switch."""
    worker, uid = kill_a_grader()
    assert uid != 0
