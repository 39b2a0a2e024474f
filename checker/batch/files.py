"""grade-batch: finding a class's submissions without following links, and reading each one once, safely.

A submission *root* is an entry of the class folder (a ``.py``/``.ipynb`` file, or a folder: a
cloned repository), or a path of a list file.  Inside a root, only real folders and regular files
count: no symbolic link is ever followed (``O_NOFOLLOW`` on every part of the path, opened
relative to the folder above it), a file with more than one hard link is refused (it may be a
link to a file outside, such as a reference solution), and a file is read up to its size limit
only.  ``read_entry`` returns the bytes that are then graded and hashed: the path is never opened
again.  A refusal is a ``SourceError`` naming the file as the student sees it: the student's 0,
with the message in the gradebook.

Discovery never raises for an odd entry (a folder named ``x.py``, a dangling link, a link to
``/dev/zero``, a device, a name that is not UTF-8): it skips it with one problem line.  Names are
shown escaped by ``shown`` (no control characters or lone surrogates ever reach the log or the
results), and the escaping is one-to-one, so a shown name is also a key.
"""

from __future__ import annotations

import os
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError
from ..grading.plan import MAX_SOURCE_BYTES
from ..grading.source import ACCEPTED_SUFFIXES, MAX_NOTEBOOK_BYTES, SourceError

MAX_WALK = 20_000  # entries looked at inside one repository
MAX_DEPTH = 16  # folder depth inside one repository
MAX_CANDIDATES = 200  # .py/.ipynb files read to find the one that defines the chapter's functions
_OPEN_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_OPEN_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
_ESCAPED = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def shown(name: str | os.PathLike) -> str:
    """``name`` for a log or a JSON file: undecodable bytes as ``\\xNN``, control and format
    characters as ``\\uXXXX``, a backslash doubled (one-to-one, so it is also a key)."""
    out = []
    for ch in os.fsdecode(name):
        o = ord(ch)
        if 0xDC80 <= o <= 0xDCFF:  # a byte that is not UTF-8 (surrogateescape)
            out.append(f"\\x{o - 0xDC00:02x}")
        elif ch == "\\":
            out.append("\\\\")
        elif unicodedata.category(ch) in _ESCAPED:
            out.append(f"\\x{o:02x}" if o < 0x100 else f"\\u{o:04x}" if o < 0x10000 else f"\\U{o:08x}")
        else:
            out.append(ch)
    return "".join(out)


@dataclass(frozen=True)
class Entry:
    student: str  # shown name: the key of the student's lines in the results
    base: Path  # the folder that holds the root (the instructor's: links above the root are fine)
    rel: tuple[str, ...]  # the root's name, then the path inside it

    @property
    def path(self) -> Path:
        return self.base.joinpath(*self.rel)

    @property
    def name(self) -> str:
        """The file as the student knows it (in messages): its path inside the repository, or its name."""
        return shown("/".join(self.rel[1:]) if len(self.rel) > 1 else self.rel[0])


def _suffix_ok(name: str) -> bool:
    return os.path.splitext(name)[1].lower() in ACCEPTED_SUFFIXES


def _kind(st: os.stat_result) -> str:
    return (
        "link"
        if stat.S_ISLNK(st.st_mode)
        else "dir"
        if stat.S_ISDIR(st.st_mode)
        else "file"
        if stat.S_ISREG(st.st_mode)
        else "special"
    )


_SKIP = {
    "link": "a symbolic link (links are not followed)",
    "special": "not a regular file or a folder",
    "file": "not a .py or .ipynb file",
}


def find_submissions(source: Path, pattern: str = "exercise.py") -> tuple[list[Entry], list[str]]:
    """The submissions under ``source`` (a class folder, one submission file, or a list file)
    and one problem line (shown names) for each entry that is skipped."""
    try:
        st = os.stat(source)
    except OSError as e:
        raise UsageError(f"grade-batch: {shown(source)}: {e.strerror or e}") from None
    cands: list[tuple[Path, str, str | None]]  # (folder, name, the list's line)
    if stat.S_ISDIR(st.st_mode):
        names = sorted(n for n in os.listdir(source) if not n.startswith("."))
        cands = [(Path(source), n, None) for n in names]
    elif _suffix_ok(os.fspath(source)):
        p = Path(os.path.abspath(source))
        cands = [(p.parent, p.name, os.fspath(source))]
    else:
        cands = _listed(Path(source))
    entries, problems = [], []
    for base, name, label in cands:
        entry, problem = _candidate(base, name, label, pattern)
        if entry is not None:
            entries.append(entry)
        if problem:
            problems.append(problem)
    return _unique(entries), problems


def _listed(lst: Path) -> list[tuple[Path, str, str | None]]:
    try:
        lines = [ln.strip() for ln in lst.read_text(encoding="utf-8").splitlines()]
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"grade-batch: cannot read the list {shown(lst)}: {e}") from None
    out: list[tuple[Path, str, str | None]] = []
    missing: list[str] = []
    seen: set[Path] = set()
    for ln in lines:
        if not ln or ln.startswith("#"):
            continue
        p = Path(os.path.abspath(os.path.expanduser(ln)))
        if not os.path.lexists(p):
            missing.append(shown(ln))
        elif p not in seen:
            seen.add(p)
            out.append((p.parent, p.name, ln))
    if missing:
        raise UsageError(f"grade-batch: {len(missing)} path(s) of {shown(lst)} do not exist: {', '.join(missing[:10])}")
    return out


def _candidate(base: Path, name: str, label: str | None, pattern: str) -> tuple[Entry | None, str | None]:
    """One entry of the class folder or of the list (``label``: its line): (an Entry, or None and why not)."""
    what = shown(label or name)
    try:
        kind = _kind(os.lstat(base / name))
    except OSError as e:
        return None, f"{what}: {e.strerror or e}"
    if kind == "file" and _suffix_ok(name):
        return Entry(shown(label or os.path.splitext(name)[0]), base, (name,)), None
    if kind != "dir":
        return None, f"{what}: {_SKIP[kind]}"
    inside, why = _submission_in(base / name, pattern)
    if inside is None:
        return None, f"{what}: {why}"
    return Entry(shown(name), base, (name, *inside)), None


def _unique(entries: list[Entry]) -> list[Entry]:
    """Two entries with one student name (alice.py and alice/): each keyed by its full name instead."""
    count: dict[str, int] = {}
    for e in entries:
        count[e.student] = count.get(e.student, 0) + 1
    return [e if count[e.student] == 1 else Entry(shown(e.rel[0]), e.base, e.rel) for e in entries]


def _walk(folder: Path) -> tuple[list[tuple[str, ...]], int]:
    """Every non-folder entry inside ``folder`` (paths as tuples, sorted), real folders only,
    hidden folders (.git) left out; and the number of symbolic links to folders not followed."""
    found: list[tuple[str, ...]] = []
    todo: list[tuple[str, ...]] = [()]
    seen, links = 0, 0
    while todo and seen < MAX_WALK:
        rel = todo.pop()
        try:
            with os.scandir(folder.joinpath(*rel)) as it:
                items = sorted(it, key=lambda d: d.name)
        except OSError:
            continue
        for d in items:
            seen += 1
            if d.is_dir(follow_symlinks=False):
                if not d.name.startswith(".") and d.name != "__pycache__" and len(rel) < MAX_DEPTH:
                    todo.append((*rel, d.name))
            else:
                links += d.is_symlink() and d.is_dir()
                found.append((*rel, d.name))
    return sorted(found), links


def _submission_in(folder: Path, pattern: str) -> tuple[tuple[str, ...] | None, str]:
    """The submission inside a repository: the first file named ``pattern`` (a link or an odd file
    too: it is refused when read, as the student's), else the one .py/.ipynb defining the chapter's functions."""
    found, links = _walk(folder)
    named = [r for r in found if r[-1] == pattern]
    if named:
        return min(named, key=lambda r: (len(r), r)), ""
    from ..spec import discover

    functions = {f for ex in discover().values() for f in ex.functions}
    cands = [r for r in found if _suffix_ok(r[-1])][:MAX_CANDIDATES]
    hits = [r for r in cands if _defines(Entry("", folder.parent, (folder.name, *r)), functions)]
    if len(hits) == 1:
        return hits[0], ""
    why = f"no {shown(pattern)}, and {len(hits) or 'no'} .py/.ipynb files defining the chapter's functions"
    return None, why + (f" ({links} symbolic link(s) to folders not followed)" if links else "")


def _defines(entry: Entry, functions: set[str]) -> bool:
    from ..grading.plan import Submission

    try:
        return bool(Submission.from_bytes(Path(entry.name), read_entry(entry)).defined & functions)
    except SourceError:
        return False


def read_entry(entry: Entry, max_bytes: int = MAX_SOURCE_BYTES, max_notebook_bytes: int = MAX_NOTEBOOK_BYTES) -> bytes:
    """The submission's bytes, read once: every part below ``entry.base`` a real folder, the file
    regular with a single link and within its size limit; else a ``SourceError``."""
    shown_path = entry.name
    try:
        fd = os.open(entry.base, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as e:
        raise SourceError("submission_unreadable", {"path": shown_path, "error": e.strerror or str(e)}) from None
    try:
        for i, part in enumerate(entry.rel):
            last = i == len(entry.rel) - 1
            what = shown_path if last else shown("/".join(entry.rel[1 : i + 1]) or part)
            below = _open_below(fd, part, _OPEN_FILE if last else _OPEN_DIR, what)
            os.close(fd)
            fd = below
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise SourceError("submission_not_regular", {"path": shown_path})
        if st.st_nlink > 1:
            raise SourceError("batch_hard_link", {"path": shown_path, "links": st.st_nlink})
        notebook = os.path.splitext(entry.rel[-1])[1].lower() == ".ipynb"
        limit = max_notebook_bytes if notebook else max_bytes
        if st.st_size > limit:
            raise SourceError(
                "submission_notebook_too_large" if notebook else "submission_too_large",
                {"path": shown_path, "size": st.st_size, "limit": limit},
            )
        chunks, size = [], 0
        while size <= limit:
            b = os.read(fd, min(1 << 20, limit + 1 - size))
            if not b:
                break
            chunks.append(b)
            size += len(b)
        return b"".join(chunks)  # more than the limit (it grew): decode_submission refuses it
    except OSError as e:
        raise SourceError("submission_unreadable", {"path": shown_path, "error": e.strerror or str(e)}) from None
    finally:
        os.close(fd)


def _open_below(dir_fd: int, name: str, flags: int, what: str) -> int:
    """Open ``name`` in ``dir_fd`` without following a link.  A link, a device or a FIFO is
    refused from its lstat, before any open."""
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        if stat.S_ISLNK(st.st_mode):
            raise SourceError("batch_link", {"path": what})
        if flags == _OPEN_FILE and not stat.S_ISREG(st.st_mode):
            raise SourceError(
                "submission_directory" if stat.S_ISDIR(st.st_mode) else "submission_not_regular", {"path": what}
            )
        return os.open(name, flags, dir_fd=dir_fd)
    except FileNotFoundError:
        raise SourceError("submission_missing", {"path": what}) from None
    except OSError as e:  # ELOOP: it became a link since the lstat; ENOTDIR: no longer a folder
        raise SourceError("submission_unreadable", {"path": what, "error": e.strerror or str(e)}) from None
