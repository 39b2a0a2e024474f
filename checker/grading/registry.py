"""One registry of what specs name: checks, input spaces and hints.

A *check* is ``check_<name>`` — per case (``@per_case``: ``check(ctx, case)``,
run on every fixed and generated input) or per item (``check(ctx)``, run
once); it raises ``CheckFailure`` when the submission is wrong.  An *input
space* is ``space_<name>() -> Space``; a *hint* is
``hint_<name>(case, got, expected, what) -> Msg | None``.  They come from the
engine's generic checks (``builtin_checks``), from every installed pack's
modules, and from an exercise's own ``checks.py``.  A registry is built once
and never mutated; ``extended`` returns a new one.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType, ModuleType
from typing import Callable, Iterable, Mapping

from ..errors import SpecError
from ..messages import Catalog, MESSAGES, Msg
from .outcome import is_per_case, per_case  # noqa: F401  (re-exported: the decorator checks use)

KINDS = ("check", "space", "hint")


def _collect(mod: ModuleType, prefix: str) -> dict[str, Callable]:
    return {k[len(prefix) :]: v for k, v in vars(mod).items() if k.startswith(prefix) and callable(v)}


@dataclass(frozen=True)
class Registry:
    checks: Mapping[str, Callable] = field(default_factory=dict)
    spaces: Mapping[str, Callable] = field(default_factory=dict)
    hints: Mapping[str, Callable] = field(default_factory=dict)
    catalog: Catalog = field(default_factory=lambda: Catalog(MESSAGES))

    @classmethod
    def from_modules(cls, modules: Iterable[ModuleType], tables: Iterable[tuple[str, Mapping]] = ()) -> "Registry":
        checks: dict[str, Callable] = {}
        spaces: dict[str, Callable] = {}
        hints: dict[str, Callable] = {}
        origin: dict[tuple[str, str], str] = {}
        for mod in modules:
            for kind, target in (("check", checks), ("space", spaces), ("hint", hints)):
                for name, fn in _collect(mod, f"{kind}_").items():
                    if name in target and target[name] is not fn:
                        raise SpecError(f"{kind} {name!r} is defined in {origin[kind, name]} and in {mod.__name__}")
                    target[name] = fn
                    origin[kind, name] = mod.__name__
        tables = list(tables)
        catalog = Catalog(MESSAGES, *(t for _, t in tables), names=("checker.messages", *(n for n, _ in tables)))
        return cls(MappingProxyType(checks), MappingProxyType(spaces), MappingProxyType(hints), catalog)

    def extended(self, module: ModuleType | None) -> "Registry":
        """This registry plus an exercise's own ``checks.py`` (which may also define ``MESSAGES``)."""
        if module is None:
            return self
        extra = Registry.from_modules([module], [(module.__name__, getattr(module, "MESSAGES", {}))])
        return Registry(
            MappingProxyType({**self.checks, **extra.checks}),
            MappingProxyType({**self.spaces, **extra.spaces}),
            MappingProxyType({**self.hints, **extra.hints}),
            Catalog(self.catalog.table, getattr(module, "MESSAGES", {}), names=("registry", module.__name__)),
        )

    def space(self, name: str | None):
        """``space_<name>()``; an item without ``inputs`` (``name`` None) has none."""
        fn = self.spaces.get(name) if name is not None else None
        if fn is None:
            raise SpecError(f"no input space {name!r} (known: {', '.join(sorted(self.spaces))})")
        return fn()

    def find_hints(self, names: list[str], case, got, expected, what) -> list[Msg]:
        """The hints among ``names`` that match this wrong result."""
        out = []
        for name in names:
            fn = self.hints.get(name)
            if fn is None:
                raise SpecError(f"unknown hint {name!r}")
            try:
                m = fn(case, got, expected, what)
            except (RuntimeError, ValueError, IndexError, TypeError, AttributeError):
                m = None  # a hint that does not apply to this shape (or to a whole tuple result)
            if m is not None:
                out.append(m)
        return out


def resolve_reference(ref: str, directory: Path | None = None):
    """``module:attr`` to the trusted reference object (computed in the grader, never in the sandbox).

    ``module`` is a file ``module.py`` in the exercise folder when there is one, else an importable module.
    """
    mod, _, attr = ref.partition(":")
    local = directory / f"{mod}.py" if directory is not None and mod.isidentifier() else None
    if local is not None and local.is_file():
        name = f"nlp100_exercise_ref_{abs(hash(str(local)))}"
        spec = importlib.util.spec_from_file_location(name, local)
        assert spec is not None and spec.loader is not None  # a .py file always has both
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    else:
        module = importlib.import_module(mod)
    return getattr(module, attr)
