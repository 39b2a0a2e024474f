"""The engine's orchestration with a fake session and a registry of tiny checks: one record per item whatever
happens — not implemented, a per-case failure, a fatal worker error (and the restart after it), a skip, a bug of
the checker (an internal error, never a 0) — without starting a worker (issue 10)."""

from __future__ import annotations

import time
import types

import pytest

from checker.grading import engine
from checker.grading.outcome import CheckFailure, Skip, WorkerFatal
from checker.grading.plan import Options, Plan, Submission
from checker.grading.records import Status
from checker.grading.registry import Registry, per_case
from checker.sandbox.limits import Limits
from checker.spec.models import Exercise
from checker.strategies import Case, Space
from nlp100_ch08.messages import MESSAGES as PACK_MESSAGES


class FakeSession:
    """What the engine asks of a worker session, recorded; ``crash`` makes the worker look dead."""

    backend, isolation = "fake", "none (a test double)"

    def __init__(self):
        self.calls: list[str] = []
        self.restarts = 0
        self.alive = False
        self.loaded = None

    def start(self):
        self.calls.append("start")
        self.alive = True

    def load(self, source, seed=0, cells=None):
        self.calls.append("load")
        return {"functions": ["f", "g", "h"]}

    def restart(self):
        self.calls.append("restart")
        self.restarts += 1
        self.alive = True
        return {}

    def crash(self):
        self.alive = False

    def remaining(self):
        return 100.0

    def close(self):
        self.calls.append("close")

    def output(self):
        return {"stdout": "", "stderr": "", "truncated": False, "stdout_bytes": 0, "stderr_bytes": 0}


SESSION = FakeSession()


@per_case
def check_even(ctx, case):
    x = case.args[0]
    if x % 2:
        raise CheckFailure("mismatch_entry", {"what": "f", "index": "", "got": x, "expected": x + 1})


def check_fatal(ctx):
    ctx.session.crash()
    raise WorkerFatal(CheckFailure("call_timeout", {"call": "g()", "limit": "1.0"}, status=Status.TIMEOUT))


def check_after_crash(ctx):
    assert ctx.session.alive, "the engine restarts a dead worker before the next item"


def check_skipped(ctx):
    raise Skip("skipped_no_cuda")


def check_buggy(ctx):
    raise ValueError("a bug of the checker")


def space_numbers():
    return Space(
        [Case((2,), {}, 1.0, label="two"), Case((3,), {}, 1.0, label="three")], lambda data: Case((4,), {}, 1.0)
    )


REGISTRY = Registry.from_modules(
    [
        types.SimpleNamespace(
            **{k: v for k, v in globals().items() if k.startswith(("check_", "space_"))}, __name__="fake"
        )
    ],
    [("nlp100_ch08", PACK_MESSAGES)],
)

SPEC = {
    "id": "99",
    "title": {"en": "Fake", "ja": "偽"},
    "items": [
        {"name": "missing", "points": 1, "checks": ["buggy"], "requires": ["nowhere"]},
        {"name": "per_case", "points": 2, "checks": ["even"], "function": "f", "inputs": "numbers"},
        {"name": "fatal", "points": 1, "checks": ["fatal"], "requires": ["g"]},
        {"name": "restarted", "points": 1, "checks": ["after_crash"], "requires": ["g"]},
        {"name": "skipped", "points": 1, "checks": ["skipped"], "requires": ["h"]},
        {"name": "internal", "points": 1, "checks": ["buggy"], "requires": ["h"]},
    ],
}


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    src = "def f(x):\n    return x\n\ndef g():\n    pass  # written\n\ndef h():\n    return 1\n"
    path = tmp_path_factory.mktemp("engine") / "sub.py"
    path.write_text(src)
    sub = Submission(path, src, "0" * 64, {"f", "g", "h"})
    ex = Exercise.model_validate(SPEC)
    plan = Plan(path, sub, [ex], Limits(), Options(max_examples=3))
    return engine.run(plan, launcher=None, t0=time.monotonic(), registry=REGISTRY, session=SESSION)


def item(report, name):
    return next(i for _, i in report.items() if i.name == name)


def test_a_function_the_file_lacks_is_not_implemented(report):
    it = item(report, "missing")
    assert it.status == Status.NOT_IMPLEMENTED and it.score == 0 and "nowhere" in it.message


def test_a_per_case_failure_carries_the_case_and_a_repro_line(report):
    it = item(report, "per_case")
    assert it.status == Status.FAILED and it.score == 0
    assert it.counterexample["input"] == "f(3)" and it.counterexample["case"] == "three"
    assert it.counterexample["repro"].startswith("check submit ") and "--exercise 99" in it.counterexample["repro"]


def test_a_fatal_worker_error_ends_the_item_and_the_next_item_gets_a_new_worker(report):
    assert item(report, "fatal").status == Status.TIMEOUT
    assert item(report, "restarted").status == Status.PASSED
    assert "restart" in SESSION.calls


def test_a_skip_does_not_count_toward_the_maximum(report):
    it = item(report, "skipped")
    assert it.status == Status.SKIPPED and not it.counts_to_max and "CUDA" in it.message


def test_a_bug_of_the_checker_is_an_internal_error_never_a_zero_for_the_student(report):
    it = item(report, "internal")
    assert it.status == Status.ERROR and it.internal and "bug in the checker" in it.message
    assert report.exit_status == 2 and report.internal_errors == 1


def test_the_worker_is_started_once_loaded_once_and_closed(report):
    assert SESSION.calls[:2] == ["start", "load"] and SESSION.calls[-1] == "close"
    assert report.max_score == 7 - 1  # the skipped item's point does not count
