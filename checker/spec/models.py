"""The exercise spec (``spec.toml``), validated with pydantic when it loads.

A folder ``NN/`` holds ``spec.toml`` (this schema), ``statement.ja.md``,
``statement.en.md`` and ``template.py`` (and ``template.ja.py``, its Japanese version); optionally ``checks.py`` with extra
``check_*`` functions, ``space_*`` input families and ``hint_*`` patterns for
that exercise only, and ``solution.py``, its reference answer.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class Text(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ja: str
    en: str

    def get(self, lang: str) -> str:
        return self.ja if lang == "ja" else self.en


class ExerciseLimits(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cpu_s: int = Field(default=60, gt=0)
    wall_s: float = Field(default=60, gt=0)
    memory_mb: int = Field(default=2048, ge=256)
    call_timeout_s: float = Field(default=10, gt=0)


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[a-z_][a-z0-9_]*$")
    points: float = Field(gt=0)
    checks: list[str] = Field(min_length=1)
    requires: list[str] = Field(default_factory=list, description="student functions the item needs")
    function: str | None = Field(None, description="the function the per-case checks call")
    reference: str | None = Field(None, description="module:function of the trusted reference")
    inputs: str | None = Field(None, description="input family: space_<inputs> of the pack or the exercise's checks.py")
    outputs: list[str] = Field(default_factory=list, description="names of the parts of a tuple result")
    forbidden: list[str] = Field(default_factory=list, description="calls not allowed in a hand-written function")
    hints: list[str] = Field(default_factory=list, description="likely-mistake patterns to recognise")
    params: dict = Field(default_factory=dict, description="check parameters")
    visibility: Literal["public", "hidden"] = "public"
    skipped_counts: bool = Field(False, description="does a skipped item count toward the maximum?")
    budget_s: float = Field(20, gt=0, description="time for the generated cases of this item")

    @model_validator(mode="after")
    def _defaults(self):
        if not self.requires and self.function:
            self.requires = [self.function]
        if not self.requires:
            raise ValueError("an item needs `function` or `requires`")
        return self


class Equivalent(BaseModel):
    """A mutant of the reference (``check validate``'s mutation analysis) that no check should kill, and why."""

    model_config = ConfigDict(extra="forbid")
    mutant: str = Field(
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*:[a-z_]+:[0-9a-f]{6}(-[0-9]+)?$",
        description="the mutant's id as `check validate` prints it: function:operator:hash",
    )
    reason: str = Field(min_length=3, description="why it computes what the contract allows")


class Exercise(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[0-9A-Za-z_-]+$")
    title: Text
    kind: Literal["functions", "training"] = "functions"
    items: list[Item] = Field(min_length=1)
    limits: ExerciseLimits = ExerciseLimits()
    accuracy: dict[str, float] = Field(
        default_factory=dict,
        description="thresholds, recorded reference accuracies, the learning-rate range known to work",
    )
    equivalent: list[Equivalent] = Field(
        default_factory=list, description="mutants that are equivalent to the reference"
    )
    mutation_threshold: float = Field(0.9, ge=0, le=1, description="`check validate` fails below this mutation score")
    mutate: list[str] | None = Field(
        default=None,
        description="the functions whose mutants this exercise's checks must kill (default: every function its "
        "items require); an exercise that builds on earlier ones names what it adds, the earlier exercises "
        "kill the mutants of the rest",
    )
    mutation_with: list[str] = Field(
        default_factory=list,
        description="exercises whose checks grade this exercise's mutants too (those that build on its functions: "
        "a mutant is killed when an item of any of them fails)",
    )
    directory: Path | None = None
    pack: str | None = Field(None, description="the pack the exercise comes from (set when it loads)")

    @field_validator("items")
    @classmethod
    def _unique(cls, items):
        names = [i.name for i in items]
        if len(set(names)) != len(names):
            raise ValueError(f"item names repeat: {names}")
        return items

    @field_validator("equivalent")
    @classmethod
    def _unique_mutants(cls, eq):
        ids = [e.mutant for e in eq]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"equivalent mutants listed twice: {twice}")
        return eq

    @model_validator(mode="after")
    def _mutate_known(self) -> "Exercise":
        unknown = [f for f in self.mutate or [] if f not in self.functions]
        if unknown:
            raise ValueError(f"mutate names functions no item requires: {unknown} (items require {self.functions})")
        return self

    @property
    def mutated(self) -> list[str]:
        """The functions ``check validate`` mutates for this exercise."""
        return self.functions if self.mutate is None else list(self.mutate)

    @property
    def points(self) -> float:
        return sum(i.points for i in self.items)

    @property
    def functions(self) -> list[str]:
        out: list[str] = []
        for i in self.items:
            out += [f for f in i.requires if f not in out]
        return out

    def _folder(self) -> Path:
        assert self.directory is not None  # set when the spec is loaded from its folder
        return self.directory

    def statement(self, lang: str) -> str:
        return (self._folder() / f"statement.{lang}.md").read_text(encoding="utf-8")

    def template(self, lang: str = "en") -> str:
        """The starter template: ``template.{lang}.py`` when the folder has one, else ``template.py`` (English)."""
        if lang != "en":
            localised = self._folder() / f"template.{lang}.py"
            if localised.is_file():
                return localised.read_text(encoding="utf-8")
        return (self._folder() / "template.py").read_text(encoding="utf-8")

    def plugin(self) -> ModuleType | None:
        """The exercise's own checks.py, if it has one (trusted code, loaded in the grader)."""
        path = self.directory / "checks.py" if self.directory else None
        if path is None or not path.exists():
            return None
        spec = importlib.util.spec_from_file_location(f"nlp100_exercise_{self.id}", path)
        assert spec is not None and spec.loader is not None  # a .py file always has both
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod


class HiddenItems(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: list[Item] = Field(min_length=1)
