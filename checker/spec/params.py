"""Typed check parameters: each check names the model of the ``params`` it reads, with the defaults in one place.

A spec item's ``params`` table is validated, when the spec loads, against the models of the item's checks:
an unknown key is an error that names the file, the item and the key, with a "did you mean".  A check reads
its values with ``ctx.param(name)``; what the spec leaves out takes the model's default.
"""

from __future__ import annotations

import difflib
from typing import Iterable

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.fields import FieldInfo


class Params(BaseModel):
    """Base of every check's parameters (no field: a check that takes none)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Finite(Params):
    """``finite``: message keys of hints shown when a result is not finite (e.g. hint_overflow)."""

    finite_hints: list[str] = []


BUILTIN = {"finite": Finite}


def fields_of(models: Iterable[type[Params]]) -> dict[str, FieldInfo]:
    """Every field the models declare, with the first model's default."""
    out: dict[str, FieldInfo] = {}
    for m in models:
        for name, f in m.model_fields.items():
            out.setdefault(name, f)
    return out


def validate_params(raw: dict, models: list[type[Params]], where: str) -> dict:
    """``raw`` checked against ``models`` (unknown keys, types, ranges): the merged values, defaults filled in.

    Raises ValueError with the key, what is wrong and a "did you mean"."""
    known = fields_of(models)
    for key in raw:
        if key not in known:
            close = difflib.get_close_matches(key, list(known), n=1)
            hint = (
                f"; did you mean `{close[0]}`?"
                if close
                else (f"; known: {', '.join(sorted(known))}" if known else "; these checks take no parameters")
            )
            raise ValueError(f"{where}: unknown parameter `{key}`{hint}")
    merged: dict = {}
    for m in models:
        mine = {k: v for k, v in raw.items() if k in m.model_fields}
        try:
            merged.update(
                {k: v for k, v in m.model_validate(mine).model_dump().items() if k not in merged or k in mine}
            )
        except ValidationError as e:
            err = e.errors()[0]
            loc = ".".join(str(x) for x in err.get("loc", ()))
            raise ValueError(f"{where}: parameter `{loc}`: {err.get('msg')}") from None
    return merged
