"""The registry a grading uses by default: the engine's generic checks plus every installed pack's."""

from __future__ import annotations

from . import builtin_checks
from .registry import Registry


def installed_registry() -> Registry:
    """The engine's generic checks plus every installed pack's modules and messages."""
    from ..spec.packs import installed

    packs = installed()
    modules = [builtin_checks] + [p.module(m) for p in packs for m in p.modules]
    tables = [(p.name, p.message_table()) for p in packs]
    return Registry.from_modules(modules, tables)
