"""Mutation analysis of one exercise: grade every mutant of its reference, decide which are equivalent, score.

Each mutant (``mutation.mutants``) is written to a file and graded like a submission,
``check submit MUTANT --exercise ID --format json``, in a pool of ``jobs`` processes at a time.
A mutant is *killed* when any item of the exercise does not pass, *survived* when every item
passes, *unscored* when every item was skipped (e.g. no GPU on this machine), and a *checker
error* when the grading itself broke (an internal error of a check, a crash, a timeout of the
grader): those count against the score, since a check that crashes on a plausible wrong answer
is a bug to fix.

A survivor is *equivalent* when the spec says so (``[[equivalent]] mutant = ...``) or, for a
function exercise, when its functions, run here in the grader's own process (the reference is
trusted code) on every fixed case of the item's input space plus ``draws`` generated ones, return
what the reference returns within the dtype's tolerances and leave their inputs alone.

The score is killed / (all − equivalent − unscored).
"""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import types
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .mutation import Mutant

DRAWS = 50  # generated inputs per item for the equivalence test (besides the fixed cases)
CALL_LIMIT_S = 10.0  # one call of a mutant's function in the equivalence test


@dataclass
class Outcome:
    mutant: Mutant
    status: str  # killed | survived | equivalent | unscored | error
    reason: str = ""  # killed: the item that failed; equivalent: why; error: what broke
    seconds: float = 0.0


@dataclass
class Analysis:
    exercise: str
    threshold: float
    outcomes: list[Outcome] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)  # equivalent mutants named in the spec that were not generated
    generated: int = 0  # before --max-mutants
    graded_with: list[str] = field(default_factory=list)  # exercises whose checks graded the mutants too
    functions: list[str] = field(default_factory=list)  # what was mutated

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def scored(self) -> int:
        return len(self.outcomes) - self.count("equivalent") - self.count("unscored")

    @property
    def score(self) -> float | None:
        return self.count("killed") / self.scored if self.scored else None

    @property
    def passed(self) -> bool:
        return self.score is None or self.score >= self.threshold - 1e-12

    def line(self) -> str:
        if self.score is None:
            if self.outcomes and self.count("unscored") == len(self.outcomes) - self.count("equivalent"):
                return f"{self.exercise}  mutation score n/a (every item was skipped on this machine)"
            if not self.functions:
                return f"{self.exercise}  mutation score n/a (no functions of its own: see `mutate` in its spec)"
            return f"{self.exercise}  mutation score n/a (no mutant to grade)"
        extra = [f"{self.count('equivalent')} equivalent"]
        if self.count("error"):
            extra.append(f"{self.count('error')} checker error{'s' if self.count('error') > 1 else ''}")
        if self.count("unscored"):
            extra.append(f"{self.count('unscored')} unscored")
        if self.graded_with:
            extra.append(f"graded with the checks of {', '.join(self.graded_with)} too")
        return (
            f"{self.exercise}  mutation score {100 * self.score:.1f} % ({self.count('killed')}/{self.scored} killed, "
            f"{', '.join(extra)})"
        )


# -- grading one mutant ---------------------------------------------------------------------------


def submit_command(path: Path, exercise: str | list[str], max_examples: int, seed: int) -> list[str]:
    ids = [exercise] if isinstance(exercise, str) else exercise
    return [
        sys.executable,
        "-m",
        "checker.cli",
        "submit",
        str(path),
        *[a for e in ids for a in ("--exercise", e)],
        "--format",
        "json",
        "--max-examples",
        str(max_examples),
        "--seed",
        str(seed),
        "--lang",
        "en",
    ]


def classify(rc: int, stdout: str, stderr: str) -> tuple[str, str]:
    """(status, reason) of one grading from what `check submit --format json` printed."""
    try:
        result = json.loads(stdout)
    except ValueError:
        tail = (stderr.strip().splitlines() or ["no output"])[-1]
        return "error", f"the grading printed no report (exit {rc}): {tail[:200]}"
    items = [i for e in result.get("exercises", []) for i in e.get("items", [])]
    broken = [i for i in items if i.get("internal")]
    if broken:
        return "error", f"internal error in item {broken[0]['name']}: {broken[0].get('message', '')[:200]}"
    failing = [i for i in items if i.get("status") not in ("passed", "skipped")]
    if failing:
        f = failing[0]
        check = f" ({f['check']})" if f.get("check") else ""
        return "killed", f"{f['name']}: {f['status']}{check}"
    if items and all(i.get("status") == "skipped" for i in items):
        return "unscored", "every item was skipped"
    return "survived", ""


def grade_mutant(
    path: Path, exercise: str | list[str], max_examples: int, seed: int, timeout: float
) -> tuple[str, str]:
    """Grade one mutant file in a process of its own (its process group killed on a timeout)."""
    proc = subprocess.Popen(
        submit_command(path, exercise, max_examples, seed),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env=dict(os.environ),
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
        proc.communicate()
        return "error", f"the grading did not end within {timeout:.0f} s"
    return classify(proc.returncode, out, err)


def grade_all(
    mutants: list[Mutant],
    exercise: str,
    *,
    graded_with: list[str] | None = None,
    jobs: int,
    max_examples: int,
    seed: int,
    timeout: float,
    workdir: Path | None = None,
    progress: Callable[[int, int, Outcome], None] | None = None,
) -> list[Outcome]:
    """Every mutant graded, ``jobs`` at a time; the outcomes in the mutants' order."""
    outcomes: dict[str, Outcome] = {}
    with tempfile.TemporaryDirectory(prefix=f"nlp100-mutants-{exercise}-", dir=workdir) as tmp:
        paths = {}
        for k, m in enumerate(mutants):
            p = Path(tmp) / f"mutant_{k:04d}.py"
            p.write_text(m.source, encoding="utf-8")
            paths[m.id] = p

        def one(m: Mutant) -> Outcome:
            t0 = time.monotonic()
            try:
                ids = [exercise, *(graded_with or [])]
                status, reason = grade_mutant(paths[m.id], ids, max_examples, seed, timeout)
            except OSError as e:  # the grading could not even start
                status, reason = "error", f"the grading could not start: {e}"
            return Outcome(m, status, reason, round(time.monotonic() - t0, 1))

        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            futures = {pool.submit(one, m): m for m in mutants}
            for k, fut in enumerate(as_completed(futures), 1):
                o = fut.result()
                outcomes[o.mutant.id] = o
                if progress is not None:
                    progress(k, len(mutants), o)
    return [outcomes[m.id] for m in mutants]


# -- equivalence by results -------------------------------------------------------------------------


def load_source(source: str, filename: str, name: str) -> types.ModuleType:
    """A module made from trusted source text (the reference, or one of its mutants), run in this process."""
    mod = types.ModuleType(name)
    mod.__file__ = filename
    exec(compile(source, filename, "exec", dont_inherit=True), mod.__dict__)  # noqa: S102 - our own reference code
    return mod


def draw_cases(space, n: int, seed: int) -> list:
    """``n`` generated cases of ``space`` (hypothesis, seeded: the same ones every run)."""
    if n <= 0:
        return []
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hseed
    from hypothesis import strategies as st

    out: list = []

    @settings(
        max_examples=n,
        deadline=None,
        database=None,
        phases=(Phase.generate,),
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @hseed(seed)
    @given(st.data())
    def collect(data):
        out.append(space.draw(data))

    collect()
    return out[:n]


class _Deadline:
    """SIGALRM after ``seconds`` (main thread only; elsewhere no limit)."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.armed = False

    def _fire(self, *_):
        raise TimeoutError("the call took too long")

    def __enter__(self):
        import threading

        if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
            self.old = signal.signal(signal.SIGALRM, self._fire)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
            self.armed = True
        return self

    def __exit__(self, *exc):
        if self.armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.old)
        return False


def _call(mod, fn: str, case):
    args, kwargs = copy.deepcopy(case.args), copy.deepcopy(case.kwargs)
    try:
        with _Deadline(CALL_LIMIT_S):
            value = getattr(mod, fn)(*args, **kwargs)
        return ("ok", value), args
    except Exception as e:  # noqa: BLE001 - a mutant may raise anything; so may the reference on a strange input
        return ("raised", type(e).__name__), args


def _input_dtype(case):
    import torch

    for a in list(case.args) + list(case.kwargs.values()):
        if isinstance(a, torch.Tensor) and a.is_floating_point():
            return a.dtype
    return torch.float32


def same_value(a, b, dtype, magnitude: float) -> bool:
    """``b`` is ``a`` within the tolerance of ``dtype`` for inputs of ``magnitude``: structure, shapes, dtypes, values."""
    import numpy as np
    import torch

    from ..numerics import compare
    from ..numerics.tolerances import tolerance

    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        if not (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)):
            return False
        if a.shape != b.shape or a.dtype != b.dtype:
            return False
        if not a.is_floating_point():
            return bool(torch.equal(a, b))
        if not bool(torch.equal(torch.isnan(a), torch.isnan(b))):
            return False
        rtol, atol = tolerance(a.dtype, magnitude)
        return compare.mismatch(b.detach(), a.detach(), rtol, atol) is None
    if isinstance(a, (tuple, list)) or isinstance(b, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(same_value(x, y, dtype, magnitude) for x, y in zip(a, b))
    if isinstance(a, dict) or isinstance(b, dict):
        return type(a) is type(b) and a.keys() == b.keys() and all(same_value(a[k], b[k], dtype, magnitude) for k in a)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)) or a.shape != b.shape or a.dtype != b.dtype:
            return False
        return same_value(torch.from_numpy(np.array(a)), torch.from_numpy(np.array(b)), dtype, magnitude)
    if isinstance(a, float) or isinstance(b, float):
        if (
            not isinstance(a, (int, float))
            or not isinstance(b, (int, float))
            or isinstance(a, bool)
            or isinstance(b, bool)
        ):
            return False
        return (
            same_value(
                torch.tensor(float(a), dtype=torch.float64),
                torch.tensor(float(b), dtype=torch.float64),
                dtype,
                magnitude,
            )
            if dtype is not None
            else a == b
        )
    return type(a) is type(b) and a == b


def _unchanged(before, after) -> bool:
    import numpy as np
    import torch

    if isinstance(before, torch.Tensor):
        return (
            isinstance(after, torch.Tensor)
            and before.shape == after.shape
            and before.dtype == after.dtype
            and bool(torch.equal(torch.nan_to_num(before), torch.nan_to_num(after)))
        )
    if isinstance(before, np.ndarray):
        return (
            isinstance(after, np.ndarray)
            and before.shape == after.shape
            and np.array_equal(before, after, equal_nan=True)
        )
    if isinstance(before, (tuple, list)):
        return type(before) is type(after) and len(before) == len(after) and all(map(_unchanged, before, after))
    if isinstance(before, dict):
        return (
            isinstance(after, dict)
            and before.keys() == after.keys()
            and all(_unchanged(before[k], after[k]) for k in before)
        )
    return before == after


def equivalent_by_results(
    exercise,
    registry,
    reference: str,
    mutant: Mutant,
    *,
    seed: int = 0,
    draws: int = DRAWS,
    filename: str = "solution.py",
) -> tuple[bool, int, str]:
    """(equivalent?, inputs tried, why not) for a mutant of a function exercise.

    Every item that requires the mutated function is tried: its function, from the reference and from the mutant,
    on the item's fixed cases and ``draws`` generated ones. A training exercise, or an item without a function
    and an input space, cannot be decided this way."""
    if exercise.kind != "functions":
        return False, 0, "not a function exercise"
    items = [i for i in exercise.items if mutant.function in i.requires]
    if not items:
        return False, 0, "no item requires the mutated function"
    if any(not i.function or not i.inputs for i in items):
        return False, 0, "an item that requires it has no function or input space"
    ref = load_source(reference, filename, "nlp100_mutation_reference")
    try:
        mut = load_source(mutant.source, filename, "nlp100_mutation_mutant")
    except Exception as e:  # noqa: BLE001
        return False, 0, f"the mutant does not load: {type(e).__name__}"
    tried = 0
    for item in items:
        space = registry.space(item.inputs)
        cases = list(space.fixed) + draw_cases(space, draws, seed)
        for case in cases:
            (rk, rv), r_args = _call(ref, item.function, case)
            (mk, mv), m_args = _call(mut, item.function, case)
            tried += 1
            if rk != mk or (rk == "raised" and rv != mv):
                return (
                    False,
                    tried,
                    f"{item.function}: {'raises' if mk == 'raised' else 'returns'} where the reference "
                    f"{'raises' if rk == 'raised' else 'returns'}",
                )
            if rk == "ok" and not same_value(rv, mv, _input_dtype(case), case.magnitude):
                return False, tried, f"{item.function}: a different result"
            for before, ra, ma in zip(case.args, r_args, m_args):
                if _unchanged(before, ra) and not _unchanged(before, ma):
                    return False, tried, f"{item.function}: modifies its input"
    return True, tried, ""
