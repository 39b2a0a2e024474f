"""One record per item: the only thing the renderers (text, JSON, JUnit, Gradescope, HTML) read."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any, Literal, NoReturn, overload


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
    counterexample: dict[str, str | None] | None = None  # {"input", "got", "expected", "repro"} as text
    check: str | None = None  # the check that decided a failure
    details: list[str] = field(default_factory=list)  # further lines (mismatch statistics, hints)
    internal: bool = False  # True: a bug in the checker, not in the submission
    visibility: str = "public"
    line: int | None = None  # where in the submission the item's function starts
    where: str = ""  # that line as the student sees it in a notebook ("cell 3, line 4")
    duration_s: float = 0.0
    artifacts: dict[str, str] = field(default_factory=dict)  # name -> path of a file made for the report (plots)
    data: dict[str, Any] = field(default_factory=dict)  # item-specific facts (timings, accuracies)
    counts_to_max: bool = True

    def to_dict(self) -> dict[str, Any]:
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

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "score": self.score,
            "max_score": self.max_score,
            "items": [i.to_dict() for i in self.items],
        }


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
    data: dict[str, Any] | None = None
    output: dict[str, Any] | None = None  # what the submission printed (session.py's WorkerSession.output)
    notes: list[str] = field(default_factory=list)
    repro: str = ""
    schema: int = 1

    @property
    def score(self) -> float:
        return round(sum(e.score for e in self.exercises), 6)

    @property
    def max_score(self) -> float:
        return round(sum(e.max_score for e in self.exercises), 6)

    def items(self) -> Iterator[tuple[ExerciseRecord, ItemRecord]]:
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

    def to_dict(self) -> dict[str, Any]:
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

    @classmethod
    def from_dict(cls, d: object) -> "Report":
        """The inverse of :meth:`to_dict`: a ``Report`` from a parsed ``--format json`` result.

        A result file comes from a user's disk, so nothing in it is trusted: every field is
        type-checked, and a problem raises ``UsageError`` (exit 2, no traceback) that names
        the field, e.g. ``exercises[0].items[2].score``.  Required: ``submission`` and
        ``exercises``; an exercise's ``id`` and ``items``; an item's ``name``, ``status``,
        ``score`` and ``max_score``.  Every other field may be missing and takes its default
        (files of older versions); ``schema`` must be 1.  Derived fields (``score`` and
        ``max_score`` of the report and of each exercise, ``exit_status``,
        ``internal_errors``) are not read: they are recomputed from the items.  Unknown
        fields are ignored.
        """
        return _ResultReader().report(d)


# --- reading a saved result back (Report.from_dict, `check render`) ----------------------------

_MISSING = object()


def _json_kind(v: object) -> str:
    """The JSON type of a parsed value, as the messages name it."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return type(v).__name__


class _ResultReader:
    """Typed access to a parsed result; every problem is a ``UsageError`` naming the field."""

    def _fail(self, key: str, **params: object) -> NoReturn:
        from ..errors import UsageError
        from ..messages import Msg

        raise UsageError(msg=Msg(key, params))

    def _got(self, v: object) -> str:
        """How a wrong value is shown: its JSON type, and a scalar's text (cut at 40 characters)."""
        kind = _json_kind(v)
        if v is None or isinstance(v, (list, dict)):
            return kind
        try:
            text = json.dumps(v, ensure_ascii=False)
        except (TypeError, ValueError):  # NaN / infinity, or not JSON at all
            text = repr(v)
        return f"{kind} {text if len(text) <= 40 else text[:39] + '…'}"

    def obj(self, v: object, path: str) -> dict[str, Any]:
        if not isinstance(v, dict):
            if path:
                self._fail("result_wrong_type", field=path, got=self._got(v), expected="object")
            self._fail("result_not_object", got=self._got(v))
        return v

    def get(self, d: dict[str, Any], key: str, path: str, kinds: tuple[str, ...], default: object = _MISSING) -> Any:
        """``d[key]`` if its JSON type is one of ``kinds`` ("number" includes integers)."""
        where = f"{path}.{key}" if path else key
        if key not in d:
            if default is _MISSING:
                self._fail("result_missing_field", field=where)
            return default
        v = d[key]
        kind = _json_kind(v)
        if kind not in kinds and not (kind == "integer" and "number" in kinds):
            self._fail("result_wrong_type", field=where, got=self._got(v), expected=" | ".join(kinds))
        if kind == "number" and not math.isfinite(v):
            self._fail("result_not_finite", field=where, got=self._got(v))
        return v

    def finite(self, v: Any, where: str) -> Any:
        """``v`` (free-form JSON: an item's facts) with every number in it finite, as the JSON renderer needs."""
        if isinstance(v, float) and not math.isfinite(v):
            self._fail("result_not_finite", field=where, got=self._got(v))
        if isinstance(v, dict):
            for k, x in v.items():
                self.finite(x, f"{where}.{k}")
        elif isinstance(v, list):
            for n, x in enumerate(v):
                self.finite(x, f"{where}[{n}]")
        return v

    def strings(self, d: dict[str, Any], key: str, path: str) -> list[str]:
        v = self.get(d, key, path, ("array",), [])
        where = f"{path}.{key}" if path else key
        for n, s in enumerate(v):
            if not isinstance(s, str):
                self._fail("result_wrong_type", field=f"{where}[{n}]", got=self._got(s), expected="string")
        return list(v)

    @overload
    def string_map(
        self, d: dict[str, Any], key: str, path: str, *, nullable: Literal[True]
    ) -> dict[str, str | None] | None: ...

    @overload
    def string_map(self, d: dict[str, Any], key: str, path: str, *, nullable: Literal[False]) -> dict[str, str]: ...

    def string_map(self, d: dict[str, Any], key: str, path: str, *, nullable: bool) -> dict[str, Any] | None:
        v = self.get(d, key, path, ("object", "null") if nullable else ("object",), None if nullable else {})
        if v is None:
            return None
        where = f"{path}.{key}" if path else key
        for k, s in v.items():
            if not (isinstance(s, str) or (nullable and s is None)):
                name = f".{k}" if isinstance(k, str) and k.isidentifier() else f"[{json.dumps(k)}]"
                self._fail(
                    "result_wrong_type",
                    field=where + name,
                    got=self._got(s),
                    expected="string | null" if nullable else "string",
                )
        return dict(v)

    def choice(
        self, d: dict[str, Any], key: str, path: str, choices: tuple[str, ...], default: object = _MISSING
    ) -> str:
        v = self.get(d, key, path, ("string",), default)
        if not isinstance(v, str) or v not in choices:  # a str: get() checked it
            where = f"{path}.{key}" if path else key
            self._fail("result_bad_value", field=where, got=self._got(v), choices=", ".join(choices))
        return v

    def item(self, d: object, path: str) -> "ItemRecord":
        d = self.obj(d, path)
        g = self.get
        line = g(d, "line", path, ("integer", "null"), None)
        return ItemRecord(
            name=g(d, "name", path, ("string",)),
            status=Status(self.choice(d, "status", path, tuple(s.value for s in Status))),
            score=g(d, "score", path, ("number",)),
            max_score=g(d, "max_score", path, ("number",)),
            message=g(d, "message", path, ("string",), ""),
            counterexample=self.string_map(d, "counterexample", path, nullable=True),
            check=g(d, "check", path, ("string", "null"), None),
            details=self.strings(d, "details", path),
            internal=g(d, "internal", path, ("boolean",), False),
            visibility=self.choice(d, "visibility", path, ("public", "hidden"), "public"),
            line=line,
            where=g(d, "where", path, ("string",), ""),
            duration_s=g(d, "duration_s", path, ("number",), 0.0),
            artifacts=self.string_map(d, "artifacts", path, nullable=False),
            data=dict(self.finite(g(d, "data", path, ("object",), {}), f"{path}.data")),
            counts_to_max=g(d, "counts_to_max", path, ("boolean",), True),
        )

    def exercise(self, d: object, path: str) -> "ExerciseRecord":
        d = self.obj(d, path)
        items = self.get(d, "items", path, ("array",))
        return ExerciseRecord(
            id=self.get(d, "id", path, ("string",)),
            title=self.get(d, "title", path, ("string",), ""),
            items=[self.item(it, f"{path}.items[{n}]") for n, it in enumerate(items)],
        )

    def output(self, d: dict[str, Any]) -> dict[str, Any] | None:
        o = self.get(d, "output", "", ("object", "null"), None)
        if o is None:
            return None
        for key, kinds in (
            ("stdout", ("string", "null")),
            ("stderr", ("string", "null")),
            ("truncated", ("boolean",)),
            ("stdout_bytes", ("integer",)),
            ("stderr_bytes", ("integer",)),
            ("limit_kb", ("number",)),
        ):
            self.get(o, key, "output", kinds, None)
        return dict(o)

    def report(self, d: object) -> "Report":
        d = self.obj(d, "")
        schema = self.get(d, "schema", "", ("integer",), 1)
        if schema != 1:
            self._fail("result_schema", got=self._got(schema), supported=1)
        g = self.get
        submission = g(d, "submission", "", ("string",))
        exercises = g(d, "exercises", "", ("array",))
        return Report(
            submission=submission,
            sha256=g(d, "sha256", "", ("string",), ""),
            checker_version=g(d, "checker_version", "", ("string",), ""),
            backend=g(d, "backend", "", ("string", "null"), ""),
            isolation=g(d, "isolation", "", ("string",), ""),
            lang=self.choice(d, "lang", "", ("en", "ja"), "en"),
            seed=g(d, "seed", "", ("integer",), 0),
            max_examples=g(d, "max_examples", "", ("integer",), 0),
            exercises=[self.exercise(e, f"exercises[{n}]") for n, e in enumerate(exercises)],
            duration_s=g(d, "duration_s", "", ("number",), 0.0),
            data=(lambda v: dict(self.finite(v, "data")) if v is not None else None)(
                g(d, "data", "", ("object", "null"), None)
            ),
            output=self.output(d),
            notes=self.strings(d, "notes", ""),
            repro=g(d, "repro", "", ("string",), ""),
            schema=schema,
        )
