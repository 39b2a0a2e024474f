"""checker.records: exit status, scores and the maximum."""

from __future__ import annotations

import pytest

from checker.grading.records import ExerciseRecord, ItemRecord, Report, Status


def item(status: Status, score: float = 0.0, max_score: float = 2.0, **kw) -> ItemRecord:
    return ItemRecord(name=f"i_{status.value}", status=status, score=score, max_score=max_score, **kw)


def report(*items: ItemRecord, more: list[ItemRecord] | None = None) -> Report:
    exs = [ExerciseRecord("71", "t", list(items))]
    if more is not None:
        exs.append(ExerciseRecord("72", "u", more))
    return Report(
        submission="s.py",
        sha256="0" * 64,
        checker_version="0.1.0",
        backend="local",
        isolation="x",
        lang="en",
        seed=0,
        max_examples=1,
        exercises=exs,
    )


@pytest.mark.parametrize(
    "status, code",
    [
        (Status.PASSED, 0),
        (Status.SKIPPED, 0),
        (Status.FAILED, 1),
        (Status.ERROR, 1),
        (Status.TIMEOUT, 1),
        (Status.NOT_IMPLEMENTED, 1),
    ],
)
def test_exit_status_of_one_item(status, code):
    assert report(item(Status.PASSED, 2), item(status)).exit_status == code


def test_all_passed_and_skipped_is_zero():
    r = report(item(Status.PASSED, 2), item(Status.SKIPPED, counts_to_max=False), more=[item(Status.PASSED, 1, 1)])
    assert r.exit_status == 0


def test_one_failure_anywhere_is_one():
    assert report(item(Status.PASSED, 2), more=[item(Status.PASSED, 1, 1), item(Status.FAILED)]).exit_status == 1


def test_an_internal_error_is_two_whatever_else():
    bad = item(Status.ERROR, internal=True)
    assert report(item(Status.PASSED, 2), bad).exit_status == 2
    assert report(item(Status.FAILED), bad).exit_status == 2
    assert report(bad).internal_errors == 1


def test_scores_sum_over_items_and_exercises():
    r = report(
        item(Status.PASSED, 3, 3),
        item(Status.FAILED, 0, 2),
        more=[item(Status.PASSED, 0.5, 1), item(Status.PASSED, 1.25, 1.25)],
    )
    assert r.exercises[0].score == 3 and r.exercises[0].max_score == 5
    assert r.exercises[1].score == 1.75 and r.exercises[1].max_score == 2.25
    assert r.score == 4.75 and r.max_score == 7.25


def test_scores_are_rounded_not_accumulating_float_noise():
    r = report(*[item(Status.PASSED, 0.1, 0.1) for _ in range(10)])
    assert r.score == 1.0 and r.max_score == 1.0


def test_skipped_counts_to_max_only_where_the_exercise_says_so():
    counted = report(item(Status.PASSED, 2, 2), item(Status.SKIPPED, 0, 2, counts_to_max=True))
    assert counted.max_score == 4 and counted.score == 2
    not_counted = report(item(Status.PASSED, 2, 2), item(Status.SKIPPED, 0, 2, counts_to_max=False))
    assert not_counted.max_score == 2 and not_counted.score == 2


def test_to_dict_has_the_result_format_fields():
    r = report(item(Status.FAILED, counterexample={"input": "f(1)", "got": "2"}))
    d = r.to_dict()
    for k in (
        "schema",
        "submission",
        "sha256",
        "checker_version",
        "backend",
        "score",
        "max_score",
        "duration_s",
        "exercises",
    ):
        assert k in d
    assert d["schema"] == 1 and d["exit_status"] == 1
    it = d["exercises"][0]["items"][0]
    assert it["status"] == "failed" and isinstance(it["status"], str)
    assert it["counterexample"] == {"input": "f(1)", "got": "2"}
    assert set(it) >= {"name", "status", "score", "max_score", "message", "counterexample"}
