"""Exercise specs: one folder per exercise under ``exercises/``, validated with pydantic.

A folder ``exercises/NN/`` holds ``spec.toml`` (this schema), ``statement.ja.md``,
``statement.en.md`` and ``template.py``; optionally ``checks.py`` with extra
``check_*`` functions and ``space_*`` input families for that exercise only.
Adding a folder adds an exercise; nothing in ``checker/`` changes.
"""
from __future__ import annotations

import importlib
import importlib.util
import os
import tomllib
from pathlib import Path
from types import ModuleType
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ROOT = Path(__file__).resolve().parent.parent


def exercises_dir() -> Path:
    env = os.environ.get("NLP100_EXERCISES")
    return Path(env) if env else ROOT / "exercises"


class Text(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ja: str
    en: str

    def get(self, lang: str) -> str:
        return self.ja if lang == "ja" else self.en


class Limits(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cpu_s: int = Field(60, gt=0)
    wall_s: float = Field(60, gt=0)
    memory_mb: int = Field(2048, ge=256)
    call_timeout_s: float = Field(10, gt=0)


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[a-z_][a-z0-9_]*$")
    points: float = Field(gt=0)
    checks: list[str] = Field(min_length=1)
    requires: list[str] = Field(default_factory=list, description="student functions the item needs")
    function: str | None = Field(None, description="the function the per-case checks call")
    reference: str | None = Field(None, description="module:function of the trusted reference")
    inputs: str | None = Field(None, description="input family: space_<inputs> in checker.strategies or the exercise's checks.py")
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


class Exercise(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[0-9A-Za-z_-]+$")
    title: Text
    kind: Literal["functions", "training"] = "functions"
    items: list[Item] = Field(min_length=1)
    limits: Limits = Limits()
    accuracy: dict = Field(default_factory=dict, description="thresholds and the reference's recorded accuracy")
    directory: Path | None = None

    @field_validator("items")
    @classmethod
    def _unique(cls, items):
        names = [i.name for i in items]
        if len(set(names)) != len(names):
            raise ValueError(f"item names repeat: {names}")
        return items

    @property
    def points(self) -> float:
        return sum(i.points for i in self.items)

    @property
    def functions(self) -> list[str]:
        out: list[str] = []
        for i in self.items:
            out += [f for f in i.requires if f not in out]
        return out

    def statement(self, lang: str) -> str:
        return (self.directory / f"statement.{lang}.md").read_text(encoding="utf-8")

    def template(self) -> str:
        return (self.directory / "template.py").read_text(encoding="utf-8")

    def plugin(self) -> ModuleType | None:
        """The exercise's own checks.py, if it has one (trusted code, loaded in the grader)."""
        path = self.directory / "checks.py" if self.directory else None
        if path is None or not path.exists():
            return None
        spec = importlib.util.spec_from_file_location(f"nlp100_exercise_{self.id}", path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod


class SpecError(Exception):
    pass


def load_exercise(folder: Path) -> Exercise:
    path = folder / "spec.toml"
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        ex = Exercise.model_validate({**raw, "directory": folder})
    except (OSError, tomllib.TOMLDecodeError, ValueError) as e:
        raise SpecError(f"{path}: {e}") from e
    if ex.id != folder.name:
        raise SpecError(f"{path}: id {ex.id!r} does not match the folder name {folder.name!r}")
    return ex


def hidden_dir() -> Path | None:
    """The instructor's hidden checks (env NLP100_HIDDEN): never in the public student image."""
    env = os.environ.get("NLP100_HIDDEN")
    return Path(env) if env else None


class HiddenItems(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: list[Item] = Field(min_length=1)


def discover(root: Path | None = None, hidden: Path | None = None) -> dict[str, Exercise]:
    """Every exercise under ``root`` (default: the project's ``exercises/``), by id, in order.

    With ``hidden`` (default: env NLP100_HIDDEN), each ``hidden/NN/spec.toml`` adds items to
    exercise NN; they are marked hidden (after_published in Gradescope) whatever they say.
    """
    root = root or exercises_dir()
    found = {}
    for folder in sorted(p for p in root.iterdir() if (p / "spec.toml").exists()):
        ex = load_exercise(folder)
        found[ex.id] = ex
    hidden = hidden or hidden_dir()
    if hidden is not None and hidden.is_dir():
        for folder in sorted(p for p in hidden.iterdir() if (p / "spec.toml").exists()):
            if folder.name not in found:
                raise SpecError(f"{folder}: hidden items for an exercise that does not exist")
            try:
                extra = HiddenItems.model_validate(tomllib.loads((folder / "spec.toml").read_text(encoding="utf-8")))
            except (OSError, tomllib.TOMLDecodeError, ValueError) as e:
                raise SpecError(f"{folder / 'spec.toml'}: {e}") from e
            ex = found[folder.name]
            items = ex.items + [i.model_copy(update={"visibility": "hidden"}) for i in extra.items]
            found[ex.id] = ex.model_copy(update={"items": Exercise._unique(items)})
    return found


def resolve(ref: str):
    """``module:attr`` to the object (reference functions)."""
    mod, _, attr = ref.partition(":")
    return getattr(importlib.import_module(mod), attr)
