"""grade-batch when things go wrong: links and odd files, a grading process that dies, Ctrl-C,
changed options, a missing path, the data secret.  Tiny submissions, exercise 71, few examples."""

from __future__ import annotations

import csv
import ctypes
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from contextlib import redirect_stderr
from pathlib import Path

import pytest

from checker import cli
from checker.batch.run import resolve_isolation, run_batch
from checker.errors import SandboxError, UsageError
from checker.batch.results import batch_key, grade_bytes, key_of
from checker.batch.files import Entry, find_submissions, read_entry, shown
from checker.batch.child import TEST_HOOK
from checker.grading.plan import Options
from checker.grading.source import SourceError
from checker.sandbox.local import bwrap_path

ROOT = Path(__file__).resolve().parent.parent
SUBS = ROOT / "tests" / "submissions"
GOOD = SUBS / "correct_partial_71.py"
BUGGY = SUBS / "bug_softmax_inplace.py"
FAST = Options(max_examples=2)
# a submission whose import forks a child into a new session that outlives the import, then takes its time
FORKER = (
    "import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(120)\n    os._exit(0)\n"
    "time.sleep(20)\n\n" + GOOD.read_text()
)


@pytest.fixture(autouse=True)
def _no_secret(monkeypatch):
    for k in ("NLP100_DATA_SECRET", "NLP100_HIDDEN", "NLP100_EXERCISES_DIR", TEST_HOOK):
        monkeypatch.delenv(k, raising=False)


def _class(tmp_path: Path, **files: Path | str) -> Path:
    c = tmp_path / "class"
    c.mkdir(exist_ok=True)
    for name, src in files.items():
        dest = c / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(src.read_bytes() if isinstance(src, Path) else src.encode())
    return c


def _rows(book: Path) -> dict[str, dict]:
    return {r["student"]: r for r in csv.DictReader(book.open(encoding="utf-8"))}


def _lines(out: Path) -> list[dict]:
    return [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]


# -- 1. links: only regular files inside the submission are graded -------------------------------


def test_a_symlinked_file_or_folder_is_refused_and_a_hard_link_too(tmp_path):
    outside = tmp_path / "reference"
    (outside / "src").mkdir(parents=True)
    shutil.copy(GOOD, outside / "exercise.py")
    shutil.copy(GOOD, outside / "src" / "exercise.py")
    c = _class(tmp_path, **{"bob.py": BUGGY})
    (c / "carol").mkdir()
    (c / "carol" / "exercise.py").symlink_to(outside / "exercise.py")  # the file is a link
    (c / "dave").mkdir()
    (c / "dave" / "src").symlink_to(outside / "src")  # a folder inside is a link
    (c / "erin").symlink_to(outside)  # the repository is a link
    (c / "frank").mkdir()
    os.link(outside / "exercise.py", c / "frank" / "exercise.py")  # a hard link to a file outside
    entries, problems = find_submissions(c)
    by = {e.student: e for e in entries}
    assert set(by) == {"bob", "carol", "frank"}
    assert any(p.startswith("dave: ") and "symbolic link" in p for p in problems)
    assert any(p.startswith("erin: ") and "symbolic link" in p for p in problems)
    with pytest.raises(SourceError) as e:
        read_entry(by["carol"])
    assert e.value.key == "batch_link" and "exercise.py" in str(e.value)
    with pytest.raises(SourceError) as e:
        read_entry(by["frank"])
    assert e.value.key == "batch_hard_link"
    # a folder on the way that became a link after discovery is refused too (O_NOFOLLOW on every part)
    with pytest.raises(SourceError) as e:
        read_entry(Entry("dave", c, ("dave", "src", "exercise.py")))
    assert e.value.key == "batch_link"
    assert read_entry(by["bob"]) == BUGGY.read_bytes()


def test_refused_files_are_the_students_zero_in_the_gradebook(tmp_path):
    outside = tmp_path / "ref.py"
    shutil.copy(GOOD, outside)
    c = _class(tmp_path)
    (c / "carol").mkdir()
    (c / "carol" / "exercise.py").symlink_to(outside)
    out, book = tmp_path / "r.jsonl", tmp_path / "g.csv"
    log = []
    assert run_batch(c, out, book, exercises=["71"], options=FAST, log=log.append) == 0
    row = _rows(book)["carol"]
    assert row["score"] == "0.0" and "symbolic link" in row["error"] and row["checker_fault"] == ""
    assert _lines(out)[0]["refused"] is True
    # the next run neither grades it nor writes it again
    assert run_batch(c, out, book, exercises=["71"], options=FAST, log=log.append) == 0
    assert len(_lines(out)) == 1


# -- 2. discovery: odd entries are skipped with one escaped line each -----------------------------


def test_discovery_skips_odd_entries_with_escaped_names(tmp_path):
    c = _class(
        tmp_path,
        **{
            "alice.py": GOOD,
            "odd.py/readme.txt": "not code",
            "carol/exercise.py/notes.txt": "a folder named like the file",
            "carol/src/exercise.py": GOOD,
            "notes.txt": "hello",
        },
    )
    (c / "dangling.py").symlink_to(tmp_path / "nowhere.py")
    (c / "zero.py").symlink_to("/dev/zero")
    (c / "dave").mkdir()
    (c / "dave" / "exercise.py").symlink_to("/dev/zero")  # refused when read, without reading
    os.mkfifo(c / "fifo.py")
    (c / "gina").mkdir()
    os.mkfifo(c / "gina" / "exercise.py")
    bad = os.fsencode(c) + b"/h\xffns\x1b[31m"  # not UTF-8, and an escape sequence
    os.mkdir(bad)
    shutil.copy(GOOD, bad + b"/exercise.py")
    entries, problems = find_submissions(c)
    by = {e.student: e for e in entries}
    assert set(by) == {"alice", "carol", "dave", "gina", "h\\xffns\\x1b[31m"}
    assert by["carol"].rel == ("carol", "src", "exercise.py")
    assert sorted(p.split(":")[0] for p in problems) == ["dangling.py", "fifo.py", "notes.txt", "odd.py", "zero.py"]
    for text in problems + [e.student for e in entries]:
        text.encode("utf-8")  # no lone surrogates
        assert not any(ord(ch) < 32 or ord(ch) == 127 for ch in text)
    for name in ("dave", "gina"):
        with pytest.raises(SourceError) as e:
            read_entry(by[name])
        assert e.value.key in ("batch_link", "submission_not_regular")
    assert read_entry(by["h\\xffns\\x1b[31m"]) == GOOD.read_bytes()
    assert shown("a\\b") == "a\\\\b" and shown("\u202eevil") == "\\u202eevil"


# -- 6. a path that does not exist is a usage error -------------------------------------------------


def test_a_missing_path_is_a_usage_error(tmp_path):
    with redirect_stderr(io.StringIO()) as err:
        assert cli.main(["grade-batch", str(tmp_path / "nope"), "--public-data"]) == 2
    assert "nope" in err.getvalue()
    lst = tmp_path / "list.txt"
    shutil.copy(GOOD, tmp_path / "alice.py")
    lst.write_text(f"{tmp_path / 'alice.py'}\n{tmp_path / 'bob.py'}\n")
    with pytest.raises(UsageError, match="bob.py"):
        find_submissions(lst)


# -- 8. the data secret -------------------------------------------------------------------------------


def test_grade_batch_needs_a_secret_unless_public_data(tmp_path):
    c = _class(tmp_path, **{"alice.py": GOOD})
    with redirect_stderr(io.StringIO()) as err:
        assert cli.main(["grade-batch", str(c), "-e", "71", "--out", str(tmp_path / "r.jsonl")]) == 2
    assert "head -c 32 /dev/urandom > data-secret" in err.getvalue() and "--public-data" in err.getvalue()
    assert not (tmp_path / "r.jsonl").exists()
    short = tmp_path / "short"
    short.write_bytes(b"abc")
    with redirect_stderr(io.StringIO()):
        assert cli.main(["grade-batch", str(c), "--data-secret", str(short)]) == 2
        assert cli.main(["submit", str(GOOD), "--data-secret", str(short)]) == 2


# -- 4. the options key ---------------------------------------------------------------------------------


def test_every_option_that_changes_a_grade_changes_the_key(tmp_path, monkeypatch):
    base = key_of(batch_key(Options(), ["71"]))
    changed = [
        batch_key(Options(seed=1), ["71"]),
        batch_key(Options(max_examples=3), ["71"]),
        batch_key(Options(data="news"), ["71"]),
        batch_key(Options(data_secret=b"s" * 32), ["71"]),
        batch_key(Options(), ["72"]),
        batch_key(Options(), None),
    ]
    h = tmp_path / "hidden" / "71"
    h.mkdir(parents=True)
    (h / "spec.toml").write_text(
        '[[items]]\nname = "softmax_hidden"\nfunction = "softmax"\npoints = 1\nreference = "nlp100_ch08.references:softmax"\n'
        'inputs = "softmax"\noutputs = ["p"]\nchecks = ["matches_reference"]\n'
    )
    monkeypatch.setenv("NLP100_HIDDEN", str(tmp_path / "hidden"))
    changed.append(batch_key(Options(), ["71"]))
    keys = [key_of(k) for k in changed]
    assert base not in keys and len(set(keys)) == len(keys)
    assert key_of(batch_key(Options(lang="ja", backend="docker"), ["71", "71"])) == keys[-1]  # messages, not grades
    assert "s" * 32 not in json.dumps(changed) and (b"s" * 32).hex() not in json.dumps(changed)


@pytest.mark.slow
def test_changed_options_regrade_and_the_gradebook_uses_the_current_key(tmp_path):
    c = _class(tmp_path, **{"alice.py": GOOD})
    out, book = tmp_path / "r.jsonl", tmp_path / "g.csv"
    secret = os.urandom(32)

    def grade(**opts) -> str:
        log: list[str] = []
        assert run_batch(c, out, book, exercises=["71"], options=Options(**opts), log=log.append) == 0
        return "\n".join(log)

    assert "0 already graded, 1 to grade" in grade(max_examples=2)
    assert "0 already graded, 1 to grade" in grade(max_examples=2, data_secret=secret)
    assert "0 already graded, 1 to grade" in grade(max_examples=3)
    lines = _lines(out)
    assert len(lines) == 3 and len({d["key"] for d in lines}) == 3
    assert [r["sha256"] for r in _rows(book).values()] == [lines[-1]["sha256"]]
    with out.open("a") as fh:  # the latest line, but of other options: never in the gradebook
        fh.write(json.dumps({**lines[0], "key": "0" * 16, "score": 99.0}) + "\n")
    log = grade(max_examples=2)  # the first options again: their line still counts
    assert "1 already graded, 0 to grade" in log and len(_lines(out)) == 4
    assert _rows(book)["alice"]["score"] == "5.0"
    raw = out.read_bytes() + log.encode()
    assert secret not in raw and secret.hex().encode() not in raw
    assert len(lines[1]["grade_key"]["data_secret"]) == 12 and lines[0]["grade_key"]["data_secret"] is None


# -- 7. whose fault -------------------------------------------------------------------------------------


def test_a_bad_file_is_the_students_zero_and_a_sandbox_failure_a_checker_fault(monkeypatch):
    for name, raw in (
        ("a.py", "x = 'é'\n".encode("cp1252")),
        ("a.py", b""),
        ("a.txt", b"def softmax(x): pass\n"),
        ("a.ipynb", b'{"cells": ['),
    ):
        d = grade_bytes(name, raw, ["71"], Options())
        assert d["score"] == 0.0 and d["error"].startswith(f"cannot grade {name}") and not d.get("checker_fault")

    def broken(*a, **k):
        raise SandboxError("bwrap: setting up uid map: Permission denied")

    monkeypatch.setattr("checker.api.grade", broken)
    d = grade_bytes("a.py", GOOD.read_bytes(), ["71"], Options())
    assert d["checker_fault"] is True and d["score"] is None and "uid map" in d["error"]


# -- 3. a grading process that dies ----------------------------------------------------------------------


@pytest.mark.slow
def test_a_dead_grading_process_is_retried_once_then_a_checker_fault(tmp_path, monkeypatch):
    c = _class(tmp_path, **{"alice.py": GOOD, "bob.py": GOOD, "eve.py": BUGGY, "zoe.py": "x = 'é'\n"})
    (c / "zoe.py").write_bytes("x = 'é'\n".encode("cp1252"))
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "bob").write_text("1")  # its grading process dies once: the retry grades it
    (hook / "eve").write_text("2")  # dies twice: a checker fault, graded by the next run
    monkeypatch.setenv(TEST_HOOK, str(hook))
    # run from the class folder, which holds a student's "checker" package: the grading processes must not import it
    fake = c / "checker" / "batch"
    fake.mkdir(parents=True)
    (fake.parent / "__init__.py").write_text("")
    (fake / "__init__.py").write_text("")
    (fake / "child.py").write_text(f"open({str(tmp_path / 'hijacked')!r}, 'w').close()\n")
    monkeypatch.chdir(c)
    out, book = tmp_path / "r.jsonl", tmp_path / "g.csv"
    log: list[str] = []
    options = Options(max_examples=2)
    resolve_isolation(options)
    assert options.isolation in ("bwrap", "rlimits")
    assert run_batch(c, out, book, jobs=2, exercises=["71"], options=options, log=log.append) == 2
    assert not (tmp_path / "hijacked").exists()
    assert len({d["isolation"] for d in _lines(out) if "isolation" in d}) == 1  # one isolation for everyone
    last = {d["student"]: d for d in _lines(out)}
    assert last["alice"]["score"] == 5.0 and last["alice"]["attempts"] == 1
    assert last["bob"]["score"] == 5.0 and last["bob"]["attempts"] == 2
    assert (
        last["eve"]["checker_fault"] is True and last["eve"]["score"] is None and "died 2 times" in last["eve"]["error"]
    )
    assert last["zoe"]["score"] == 0.0 and "UTF-8" in last["zoe"]["error"] and not last["zoe"].get("checker_fault")
    assert sum("retrying in a fresh process" in x for x in log) == 2
    rows = _rows(book)
    assert rows["eve"]["score"] == "" and rows["eve"]["checker_fault"] == "yes" and rows["alice"]["score"] == "5.0"
    log.clear()
    assert run_batch(c, out, book, jobs=2, exercises=["71"], options=options, log=log.append) == 0
    assert any("3 already graded, 1 to grade" in x for x in log)
    rows = _rows(book)
    assert rows["eve"]["score"] == "2.0" and rows["eve"]["checker_fault"] == ""


# -- 5. Ctrl-C ------------------------------------------------------------------------------------------------


def _table() -> dict[int, tuple[int, str]]:
    out = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat", "rb") as fh:
                    rest = fh.read().rsplit(b")", 1)[1].split()
                out[int(d)] = (int(rest[1]), rest[0].decode())
            except (OSError, IndexError, ValueError):
                pass
    return out


def _descendants(root: int) -> list[int]:
    t, out, todo = _table(), [], [root]
    while todo:
        p = todo.pop()
        kids = [c for c, (pp, _) in t.items() if pp == p]
        out += kids
        todo += kids
    return out


def _cmd(pid: int) -> list[bytes]:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().split(b"\0")
    except OSError:
        return []


def _forked_child(batch: int) -> bool:
    """The forker's child is running: a sandbox worker process whose parent is a worker too."""
    t = _table()
    for p in _descendants(batch):
        a, b = _cmd(p), _cmd(t.get(p, (0, ""))[0])
        if a and b and b"worker.py" in b" ".join(a) and b"worker.py" in b" ".join(b) and b"bwrap" not in a[0] + b[0]:
            return True
    return False


def _cgroups(pids: list[int]) -> set[str]:
    out = set()
    for p in pids:
        try:
            lines = Path(f"/proc/{p}/cgroup").read_text().splitlines()
        except OSError:
            continue
        out |= {f"/sys/fs/cgroup/pids{ln.split(':', 2)[2]}" for ln in lines if ":pids:/nlp100-" in ln}
    return out


@pytest.fixture
def subreaper():
    """This test process adopts every orphan below it, so that nothing left behind can hide."""
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    before = {p for p, (pp, _) in _table().items() if pp == os.getpid()}
    prctl(36, 1, 0, 0, 0)
    yield before
    prctl(36, 0, 0, 0, 0)


def _left_behind(before: set[int]) -> list[str]:
    time.sleep(0.5)
    left = []
    for p, (pp, state) in _table().items():
        if pp == os.getpid() and p not in before:
            if state == "Z":
                os.waitpid(p, 0)
            else:
                left.append(f"{p} {b' '.join(_cmd(p))[:120]!r}")
                os.kill(p, signal.SIGKILL)
                os.waitpid(p, 0)
    return left


def _start(c: Path, tmp_path: Path, out: Path, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "TMPDIR": str(tmp_path / "tmp")}
    (tmp_path / "tmp").mkdir(exist_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "checker.cli",
        "grade-batch",
        str(c),
        "-j",
        "2",
        "-e",
        "71",
        "--max-examples",
        "2",
        "--public-data",
        "--out",
        str(out),
        "--gradebook",
        str(out.with_suffix(".csv")),
        *extra,
    ]
    if "--pool" in extra:  # the warm pool's variant of these tests (tests/test_pool_cli.py)
        cmd.remove("--pool")
    else:  # fresh workers: the processes these tests look for are worker.py's
        cmd.append("--no-pool")
    return subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True)


def _wait_for(pred, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < end, "the batch never got that far"
        time.sleep(0.05)


ISOLATIONS = ["rlimits"] + (["bwrap"] if bwrap_path() else [])


@pytest.mark.slow
@pytest.mark.parametrize("isolation", ISOLATIONS)
def test_ctrl_c_twice_stops_at_once_and_leaves_nothing(tmp_path, subreaper, isolation):
    c = _class(tmp_path, **{"aaa.py": FORKER, "alice.py": GOOD})
    out = tmp_path / "r.jsonl"
    p = _start(c, tmp_path, out, "--isolation", isolation)
    _wait_for(lambda: _forked_child(p.pid))
    groups = _cgroups(_descendants(p.pid))
    t0 = time.monotonic()
    p.send_signal(signal.SIGINT)
    time.sleep(0.05)
    p.send_signal(signal.SIGINT)
    err = p.communicate(timeout=10)[1]
    assert p.returncode == 130 and time.monotonic() - t0 < 1.5, err
    assert "interrupted again: stopped at once" in err
    assert _left_behind(subreaper) == []
    assert [g for g in groups if os.path.exists(g)] == []
    assert [f for f in os.listdir(tmp_path / "tmp") if f.startswith("nlp100-")] == []


@pytest.mark.slow
def test_ctrl_c_then_resume_gives_the_gradebook_of_an_uninterrupted_run(tmp_path, subreaper):
    c = _class(tmp_path, **{"alice.py": GOOD, "bob.py": BUGGY})
    whole = tmp_path / "whole.jsonl"
    assert run_batch(c, whole, whole.with_suffix(".csv"), exercises=["71"], options=FAST, log=lambda s: None) == 0
    out = tmp_path / "r.jsonl"
    p = _start(c, tmp_path, out)
    _wait_for(lambda: any(b"worker.py" in b" ".join(_cmd(q)) for q in _descendants(p.pid)))
    groups = _cgroups(_descendants(p.pid))
    t0 = time.monotonic()
    p.send_signal(signal.SIGINT)
    err = p.communicate(timeout=10)[1]
    assert p.returncode == 130 and time.monotonic() - t0 < 2, err
    assert "graded, run the same command to continue" in err and out.with_suffix(".csv").exists()
    assert _left_behind(subreaper) == []
    assert [g for g in groups if os.path.exists(g)] == []
    log: list[str] = []
    assert run_batch(c, out, out.with_suffix(".csv"), exercises=["71"], options=FAST, log=log.append) == 0
    assert any("already graded" in x for x in log)
    assert out.with_suffix(".csv").read_text() == whole.with_suffix(".csv").read_text()
