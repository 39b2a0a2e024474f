"""Finding exercises: the installed packs' folders (or ``NLP100_EXERCISES_DIR``), plus hidden items.

``discover()`` returns every exercise by id, in order, each validated when it
loads (``models.py``).  Hidden items come from the instructor's folder
(``NLP100_HIDDEN``): ``hidden/NN/spec.toml`` adds items to exercise NN, marked
hidden whatever they say.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import ValidationError

from ..errors import SpecError
from .. import settings as _settings
from .models import Exercise, HiddenItems
from .packs import Pack, installed
from .validation import known_for, validate


def _explain(path: Path, e: Exception) -> str:
    if isinstance(e, ValidationError):
        parts = []
        for err in e.errors():
            loc = ".".join(str(x) for x in err.get("loc", ()))
            parts.append(f"{loc or '(top)'}: {err.get('msg')}")
        return f"{path}: " + "; ".join(parts)
    return f"{path}: {e}"


def load_exercise(folder: Path, pack: str | None = None) -> Exercise:
    path = folder / "spec.toml"
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        ex = Exercise.model_validate({**raw, "directory": folder, "pack": pack})
    except (OSError, tomllib.TOMLDecodeError, ValueError) as e:
        raise SpecError(_explain(path, e)) from None
    if ex.id != folder.name:
        raise SpecError(f"{path}: id {ex.id!r} does not match the folder name {folder.name!r}")
    return ex


def _folders(root: Path) -> list[Path]:
    if not root.is_dir():
        raise SpecError(f"{root}: no such folder of exercises")
    return sorted(p for p in root.iterdir() if (p / "spec.toml").is_file())


def exercise_roots(root: Path | None = None, packs: tuple[Pack, ...] | None = None) -> list[tuple[Path, str | None]]:
    """(folder, pack name) pairs to look for exercises in: ``root``, else NLP100_EXERCISES_DIR, else the packs'."""
    root = root or _settings.current().exercises_dir
    if root is not None:
        return [(Path(root), None)]
    return [(p.exercises_dir(), p.name) for p in (packs if packs is not None else installed())]


def discover(root: Path | None = None, hidden: Path | None = None) -> dict[str, Exercise]:
    """Every exercise by id, in order, its cross-references checked; hidden items added from ``hidden``
    (default: NLP100_HIDDEN) and checked alike."""
    found: dict[str, Exercise] = {}
    known = known_for(installed())
    for base, pack in exercise_roots(root):
        for folder in _folders(base):
            ex = validate(load_exercise(folder, pack), known, folder / "spec.toml")
            if ex.id in found:
                raise SpecError(f"{folder}: exercise {ex.id} is also defined in {found[ex.id].directory}")
            found[ex.id] = ex
    for ex in found.values():
        unknown = [i for i in ex.mutation_with if i not in found or i == ex.id]
        if unknown:
            where = ex.directory / "spec.toml" if ex.directory else ex.id
            raise SpecError(f"{where}: mutation_with names exercises that do not exist (or itself): {unknown}")
    hidden = hidden or hidden_dir()
    if hidden is not None and hidden.is_dir():
        for folder in sorted(p for p in hidden.iterdir() if (p / "spec.toml").is_file()):
            if folder.name not in found:
                raise SpecError(f"{folder}: hidden items for an exercise that does not exist")
            path = folder / "spec.toml"
            try:
                extra = HiddenItems.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
            except (OSError, tomllib.TOMLDecodeError, ValueError) as e:
                raise SpecError(_explain(path, e)) from None
            ex = found[folder.name]
            added = validate(ex.model_copy(update={"items": extra.items}), known, path).items
            items = ex.items + [i.model_copy(update={"visibility": "hidden"}) for i in added]
            try:
                found[ex.id] = ex.model_copy(update={"items": Exercise._unique(items)})
            except ValueError as e:
                raise SpecError(_explain(path, e)) from None
    return found


def hidden_dir() -> Path | None:
    """The instructor's hidden checks (NLP100_HIDDEN): never in the public student image."""
    return _settings.current().hidden_dir
