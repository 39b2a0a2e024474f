"""Cross-references of the specs, checked when they load (public and hidden alike).

Every check, input space, hint and reference an item names must exist; its
``params`` are typed by the models of its checks (``params.py``); message keys
it names (``finite_hints``) must be in a table.  The names come from reading
the packs' modules as text (``ast``), so loading the specs never imports torch
or runs a pack's checks.  Every error names the file and the field, with a
"did you mean".
"""

from __future__ import annotations

import ast
import difflib
import importlib.util
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from ..errors import SpecError
from ..messages import MESSAGES
from .models import Exercise
from .packs import Pack
from .params import BUILTIN, Params, validate_params

BUILTIN_CHECKS = {
    "matches_reference": Params,
    "dtype_preserved": Params,
    "no_inplace": Params,
    "hand_written": Params,
    **BUILTIN,
}


@dataclass
class Known:
    checks: dict[str, type[Params]] = field(default_factory=dict)  # name -> the model of its params
    spaces: set[str] = field(default_factory=set)
    hints: set[str] = field(default_factory=set)
    messages: set[str] = field(default_factory=set)

    def add_source(self, text: str, params: dict | None = None) -> None:
        for node in ast.parse(text).body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for prefix, target in (("space_", self.spaces), ("hint_", self.hints)):
                    if node.name.startswith(prefix):
                        target.add(node.name[len(prefix) :])
                if node.name.startswith("check_"):
                    name = node.name[len("check_") :]
                    self.checks[name] = (params or {}).get(name, Params)


def _source_defines(path: Path, name: str) -> bool:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return False
    return any(
        isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Assign))
        and (
            getattr(n, "name", None) == name
            or any(isinstance(t, ast.Name) and t.id == name for t in getattr(n, "targets", []))
        )
        for n in tree.body
    )


def reference_exists(ref: str, directory: Path | None) -> bool:
    mod, _, attr = ref.partition(":")
    if not mod or not attr:
        return False
    if directory is not None and mod.isidentifier() and (directory / f"{mod}.py").is_file():
        return _source_defines(directory / f"{mod}.py", attr)
    try:
        spec = importlib.util.find_spec(mod)
    except (ImportError, ValueError):
        return False
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return spec is not None
    return _source_defines(Path(spec.origin), attr)


@cache
def known_for(packs: tuple[Pack, ...]) -> Known:
    """What the engine and the packs offer, read from their sources."""
    k = Known(checks=dict(BUILTIN_CHECKS), messages=set(MESSAGES))
    for pack in packs:
        params = pack.check_params()
        for path in pack.module_paths():
            k.add_source(path.read_text(encoding="utf-8"), params)
        k.messages |= set(pack.message_table())
    return k


def _did_you_mean(name: str, known) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f"; did you mean `{close[0]}`?" if close else ""


def validate(ex: Exercise, known: Known, spec_path: Path) -> Exercise:
    """The exercise with its items' params filled in, or a SpecError naming the file and the field."""
    local = Known(
        checks=dict(known.checks), spaces=set(known.spaces), hints=set(known.hints), messages=set(known.messages)
    )
    plugin = ex.directory / "checks.py" if ex.directory is not None else None
    if plugin is not None and plugin.is_file():
        local.add_source(plugin.read_text(encoding="utf-8"), _plugin_params(ex))
    items = []
    for i, item in enumerate(ex.items):
        where = f"{spec_path}: items[{i}] ({item.name})"
        for c in item.checks:
            if c not in local.checks:
                raise SpecError(f"{where}: unknown check `{c}`{_did_you_mean(c, local.checks)}")
        if item.inputs is not None and item.inputs not in local.spaces:
            raise SpecError(f"{where}: unknown input space `{item.inputs}`{_did_you_mean(item.inputs, local.spaces)}")
        for h in item.hints:
            if h not in local.hints:
                raise SpecError(f"{where}: unknown hint `{h}`{_did_you_mean(h, local.hints)}")
        if item.reference is not None and not reference_exists(item.reference, ex.directory):
            raise SpecError(
                f"{where}: the reference `{item.reference}` cannot be found (module:function, a module "
                "importable here or a file next to the spec)"
            )
        try:
            params = validate_params(item.params, [local.checks[c] for c in item.checks], f"{where}.params")
        except ValueError as e:
            raise SpecError(str(e)) from None
        for key in params.get("finite_hints", []):
            if key not in local.messages:
                raise SpecError(
                    f"{where}.params: finite_hints names `{key}`, which no message table has"
                    f"{_did_you_mean(key, local.messages)}"
                )
        items.append(item.model_copy(update={"params": params}))
    return ex.model_copy(update={"items": items})


def _plugin_params(ex: Exercise) -> dict:
    """An exercise's own checks.py may declare CHECK_PARAMS (it is trusted grader code: imported here)."""
    mod = ex.plugin()
    return dict(getattr(mod, "CHECK_PARAMS", {}) or {})
