"""One record per item: the only thing the renderers (text, JSON, JUnit, Gradescope, HTML) read."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum


class Status(str, Enum):
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    TIMEOUT = "timeout"
    SKIPPED = "skipped"
    NOT_IMPLEMENTED = "not_implemented"


@dataclass
class ItemRecord:
    name: str
    status: Status
    score: float
    max_score: float
    message: str = ""
    counterexample: dict | None = None   # {"input", "got", "expected", "repro"} as text
    check: str | None = None             # the check that decided a failure
    details: list[str] = field(default_factory=list)   # further lines (mismatch statistics, hints)
    internal: bool = False               # True: a bug in the checker, not in the submission
    visibility: str = "public"
    line: int | None = None              # where in the submission the item's function starts
    where: str = ""                      # that line as the student sees it in a notebook ("cell 3, line 4")
    duration_s: float = 0.0
    artifacts: dict = field(default_factory=dict)      # name -> path of a file made for the report (plots)
    data: dict = field(default_factory=dict)           # item-specific facts (timings, accuracies)
    counts_to_max: bool = True

    def to_dict(self) -> dict:
        d = asdict(self)
        d["status"] = self.status.value
        return d


@dataclass
class ExerciseRecord:
    id: str
    title: str
    items: list[ItemRecord]

    @property
    def score(self) -> float:
        return round(sum(i.score for i in self.items), 6)

    @property
    def max_score(self) -> float:
        return round(sum(i.max_score for i in self.items if i.counts_to_max), 6)

    def to_dict(self) -> dict:
        return {"id": self.id, "title": self.title, "score": self.score, "max_score": self.max_score,
                "items": [i.to_dict() for i in self.items]}


@dataclass
class Report:
    submission: str
    sha256: str
    checker_version: str
    backend: str
    isolation: str
    lang: str
    seed: int
    max_examples: int
    exercises: list[ExerciseRecord]
    duration_s: float = 0.0
    data: dict | None = None
    output: dict | None = None
    notes: list[str] = field(default_factory=list)
    repro: str = ""
    schema: int = 1

    @property
    def score(self) -> float:
        return round(sum(e.score for e in self.exercises), 6)

    @property
    def max_score(self) -> float:
        return round(sum(e.max_score for e in self.exercises), 6)

    def items(self):
        for e in self.exercises:
            for i in e.items:
                yield e, i

    @property
    def internal_errors(self) -> int:
        return sum(1 for _, i in self.items() if i.internal)

    @property
    def exit_status(self) -> int:
        if self.internal_errors:
            return 2
        bad = {Status.FAILED, Status.ERROR, Status.TIMEOUT, Status.NOT_IMPLEMENTED}
        return 1 if any(i.status in bad for _, i in self.items()) else 0

    def to_dict(self) -> dict:
        return {
            "schema": self.schema,
            "submission": self.submission,
            "sha256": self.sha256,
            "checker_version": self.checker_version,
            "backend": self.backend,
            "isolation": self.isolation,
            "score": self.score,
            "max_score": self.max_score,
            "duration_s": round(self.duration_s, 3),
            "lang": self.lang,
            "seed": self.seed,
            "max_examples": self.max_examples,
            "repro": self.repro,
            "data": self.data,
            "notes": self.notes,
            "internal_errors": self.internal_errors,
            "exit_status": self.exit_status,
            "output": self.output,
            "exercises": [e.to_dict() for e in self.exercises],
        }
