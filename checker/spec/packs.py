"""Exercise packs: the content the engine grades, found through the ``nlp100_checker.packs`` entry point.

A pack is an installed Python package that declares, in its ``__init__``, one
``Pack`` object (kept light: importing it must not import torch)::

    [project.entry-points."nlp100_checker.packs"]
    nlp100_ch08 = "nlp100_ch08:PACK"

It brings exercise folders (``exercises/NN/``, package data read with
``importlib.resources``), the modules holding its ``check_*``, ``space_*`` and
``hint_*`` functions, its message table, its reference submission, and
optionally a dataset loader and extra CLI commands.  Packs run only in the
grader; nothing of a pack enters the sandbox.
"""

from __future__ import annotations

import importlib
import importlib.resources
from dataclasses import dataclass
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path
from typing import Callable

from ..errors import PackError

GROUP = "nlp100_checker.packs"


@dataclass(frozen=True)
class Pack:
    """What an exercise pack offers the engine. Strings name modules relative to ``package``."""

    name: str
    package: str
    exercises: str = "exercises"  # folder (package data) of exercise folders
    modules: tuple[str, ...] = ()  # modules with check_*, space_*, hint_* functions
    messages: str | None = None  # module with MESSAGES (ja/en)
    solution: str | None = None  # the reference submission (package data), graded by `check validate`
    data: str | None = None  # "module:function(name, options) -> dataset" for --data
    data_names: tuple[str, ...] = ()  # the names --data takes besides a file path (e.g. "default")
    commands: str | None = None  # "module:function(subparsers)" adding CLI commands
    after_validate: str | None = None  # "module:function(report, exercises, record) -> problems"
    params: str | None = None  # light module (no torch) with CHECK_PARAMS: check -> Params model
    description: str = ""

    def root(self) -> Path:
        try:
            return Path(str(importlib.resources.files(self.package)))
        except ModuleNotFoundError as e:
            raise PackError(
                f"exercise pack {self.name!r}: its package {self.package!r} cannot be imported ({e})"
            ) from None

    def exercises_dir(self) -> Path:
        return self.root() / self.exercises

    def solution_path(self) -> Path | None:
        return self.root() / self.solution if self.solution else None

    def module(self, name: str):
        return importlib.import_module(f"{self.package}.{name}")

    def attr(self, ref: str) -> Callable:
        mod, _, fn = ref.partition(":")
        return getattr(self.module(mod), fn)

    def module_paths(self) -> list[Path]:
        """Source files of the pack's modules (read as text to list their names without importing them)."""
        root = self.root()
        out = []
        for m in self.modules:
            p = root / (m.replace(".", "/") + ".py")
            out.append(p if p.exists() else root / m.replace(".", "/") / "__init__.py")
        return out

    def check_params(self) -> dict:
        return dict(getattr(self.module(self.params), "CHECK_PARAMS", {})) if self.params else {}

    def message_table(self) -> dict:
        return dict(getattr(self.module(self.messages), "MESSAGES", {})) if self.messages else {}


@cache
def installed() -> tuple[Pack, ...]:
    """The packs installed in this environment, by entry point name (loaded once per process)."""
    found = []
    for ep in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        try:
            obj = ep.load()
        except Exception as e:  # noqa: BLE001 - a broken pack is the installer's problem; say which
            raise PackError(f"exercise pack {ep.name!r} ({ep.value}) failed to load: {type(e).__name__}: {e}") from None
        if not isinstance(obj, Pack):
            raise PackError(f"entry point {ep.name!r} ({ep.value}) is not a checker.spec.packs.Pack")
        found.append(obj)
    if not found:
        raise PackError(
            "no exercise pack is installed: install nlp100-checker (`pip install .`), which brings chapter 8"
        )
    return tuple(found)
