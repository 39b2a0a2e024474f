"""What to grade and with which limits, decided without importing torch.

Kept light so that ``checker.api.grade`` can start the sandboxed worker (which
spends ~2 s importing torch) before the grader imports torch itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..errors import UsageError
from ..messages import Msg
from ..sandbox.limits import Limits
from ..spec import Exercise, discover
from . import handwritten
from .source import SourceFile, decode_submission, read_submission

MAX_SOURCE_BYTES = 1_000_000
DEFAULT_MAX_EXAMPLES = 30


@dataclass
class Options:
    lang: str = "en"
    seed: int = 0
    max_examples: int = DEFAULT_MAX_EXAMPLES
    backend: str = "local"  # local | docker | auto
    isolation: str = "auto"  # auto | bwrap | rlimits (local backend)
    threads: int = 1
    data: str = "default"
    exercises_dir: Path | None = None
    progress: Callable | None = None  # progress(event, **info), e.g. a progress bar
    artifacts_dir: Path | None = None  # where plots for the report go
    launcher: Callable | None = None  # override the backend (tests, warm pools)
    gpus: bool = False
    image: str | None = None
    data_secret: bytes | None = None  # seeds the pack's data (authoritative grading); never enters the sandbox
    pool: str | None = None  # the socket of a warm pool to take workers from (fresh ones when it cannot)

    def grade_key(self) -> dict:
        """Every option that changes a grade (grade-batch keys its results by these)."""
        from hashlib import sha256

        return {
            "seed": self.seed,
            "max_examples": self.max_examples,
            "data": self.data,
            "data_secret": sha256(self.data_secret).hexdigest()[:12] if self.data_secret else None,
        }


SECRET_FILE = "data-secret"  # in the instructor's hidden folder


def read_data_secret(path: str | Path | None = None) -> bytes | None:
    """The instructor's data secret: ``path`` (``--data-secret``), else NLP100_DATA_SECRET, else
    ``data-secret`` in the hidden folder (NLP100_HIDDEN); None when there is none."""
    from ..settings import current

    env = current()
    named = [Path(path)] if path else []
    if env.data_secret is not None:
        named.append(env.data_secret)
    for cand in named:
        if not cand.is_file():
            raise UsageError(f"the data secret {cand} is not a file")
        return _secret_bytes(cand)
    hidden = env.hidden_dir / SECRET_FILE if env.hidden_dir is not None else None
    return _secret_bytes(hidden) if hidden is not None and hidden.is_file() else None


def _secret_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    if len(data.strip()) < 16:
        raise UsageError(
            f"the data secret {path} is too short: use at least 16 random bytes "
            "(e.g. `head -c 32 /dev/urandom > data-secret`)"
        )
    return data


@dataclass
class Submission:
    path: Path
    source: str  # the Python text graded (a notebook's code cells), read once
    sha256: str  # of the file's bytes
    defined: set[str]  # functions written (a template's untouched stubs are not)
    file: SourceFile | None = None  # how the text was read (notebook cells, notes)
    stubs: set[str] = field(default_factory=set)  # functions still as the template left them
    cell_errors: list = field(default_factory=list)  # a notebook's cells that failed when the worker ran them

    @classmethod
    def read(cls, path: Path) -> "Submission":
        """Read and decode the file once (a ``SourceError``, i.e. a UsageError, when it cannot be graded)."""
        return cls._of(Path(path), read_submission(Path(path), MAX_SOURCE_BYTES))

    @classmethod
    def from_bytes(cls, path: Path, raw: bytes) -> "Submission":
        """Like ``read`` for bytes the caller already read (``path`` only names the file; it is never opened)."""
        return cls._of(Path(path), decode_submission(Path(path), raw, MAX_SOURCE_BYTES))

    @classmethod
    def _of(cls, path: Path, sf: SourceFile) -> "Submission":
        stubs = handwritten.stub_functions(sf.text)
        return cls(path, sf.text, sf.raw_sha256, handwritten.defined_functions(sf.text) - stubs, sf, stubs)

    def where(self, line: int | None):
        """A line of the graded text as a message ("line 12", or "cell 3, line 4" in a notebook)."""
        if line is None or self.file is None:
            return None
        return self.file.location(line)


@dataclass
class Plan:
    path: Path
    submission: Submission
    exercises: list[Exercise]
    limits: Limits
    options: Options


def select_exercises(all_ex: dict[str, Exercise], wanted: list[str] | None, defined: set[str]) -> list[Exercise]:
    if wanted:
        unknown = [w for w in wanted if w not in all_ex]
        if unknown:
            raise UsageError(msg=Msg("cli_unknown_exercise", {"ids": ", ".join(unknown)}))
        return [all_ex[w] for w in dict.fromkeys(wanted)]
    return [e for e in all_ex.values() if any(f in defined for f in e.functions)]


def limits_for(exercises: list[Exercise], options: Options, sub: Submission | None = None) -> Limits:
    if not exercises:
        return Limits(threads=options.threads)
    cells = len(sub.file.cells()) if sub is not None and sub.file is not None and sub.file.kind == "ipynb" else 0
    return Limits(
        load_timeout_s=min(120.0, 20.0 + 3.0 * cells),  # a notebook runs cell by cell, each up to 3 s
        memory_mb=max(e.limits.memory_mb for e in exercises),
        cpu_s=int(sum(e.limits.cpu_s for e in exercises)),
        call_timeout_s=max(e.limits.call_timeout_s for e in exercises),
        total_timeout_s=float(sum(e.limits.wall_s for e in exercises)) + 30,
        threads=options.threads,
    )


def make_plan(path, exercises: list[str] | None, options: Options, submission: Submission | None = None) -> Plan:
    """``submission``: already read (``Submission.from_bytes``); else ``path`` is read here."""
    path = Path(path)
    sub = submission if submission is not None else Submission.read(path)
    chosen = select_exercises(discover(options.exercises_dir), exercises, sub.defined | sub.stubs)
    return Plan(path, sub, chosen, limits_for(chosen, options, sub), options)


def make_launcher(options: Options):
    if options.launcher is not None:
        return options.launcher
    if options.pool:
        from ..sandbox.pooled import PoolLauncher, want_of

        return PoolLauncher(options.pool, lambda: fresh_launcher(options), want_of(options))
    return fresh_launcher(options)


def fresh_launcher(options: Options):
    """A fresh sandboxed worker per launch, from the backend ``options`` choose."""
    backend = options.backend
    if backend in ("docker", "auto"):
        from ..sandbox.docker import container, engine

        if backend == "docker" or engine.available():
            return container.launcher(options)
    from ..sandbox.local import launch_local

    return lambda limits: launch_local(limits, options.isolation)


class WarmLauncher:
    """Hands out a worker that was started early, then starts fresh ones (after a crash)."""

    def __init__(self, base: Callable, limits: Limits):
        self.base = base
        self.first = base(limits)

    def __call__(self, limits: Limits):
        if self.first is not None:
            launch, self.first = self.first, None
            return launch
        return self.base(limits)

    def discard(self) -> None:
        if self.first is not None:
            self.first.cleanup()
            self.first = None
