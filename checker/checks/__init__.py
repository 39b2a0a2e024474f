"""Checks: small plain functions named ``check_<property>``, chosen per item by the exercise spec.

A *per-case* check (marked with ``@per_case``) is ``check_x(ctx, case)`` and
runs on every fixed and generated input of the item; an *item* check is
``check_x(ctx)`` and runs once.  Both raise ``CheckFailure`` when the
submission is wrong and return None when it is right.  The registry is
derived from the modules' contents (and an exercise's own ``checks.py``);
it is never mutated.
"""
from __future__ import annotations

from types import ModuleType
from typing import Callable


def per_case(fn: Callable) -> Callable:
    fn.per_case = True
    return fn


def is_per_case(fn: Callable) -> bool:
    return bool(getattr(fn, "per_case", False))


def _collect(mod: ModuleType) -> dict[str, Callable]:
    return {k[len("check_"):]: v for k, v in vars(mod).items() if k.startswith("check_") and callable(v)}


def registry(extra: ModuleType | None = None) -> dict[str, Callable]:
    from . import functional, training

    reg = {**_collect(functional), **_collect(training)}
    if extra is not None:
        reg.update(_collect(extra))
    return reg
