"""A JSON Schema of ``spec.toml``, generated from the models, for editor completion (e.g. Taplo/Even Better TOML:
``#:schema ./exercise.schema.json`` on the spec's first line).

An item's ``params`` get the union of every installed check's parameters (``params.py`` models), each with its
description and default, so an editor can complete and check them; the loader still checks them per check.
"""

from __future__ import annotations

import json

from .models import Exercise
from .params import fields_of
from .validation import Known


def exercise_schema(known: Known) -> dict:
    schema = Exercise.model_json_schema()
    for private in ("directory", "pack"):
        schema.get("properties", {}).pop(private, None)
    params = {}
    for name, f in sorted(fields_of(known.checks.values()).items()):
        entry = {"description": f.description or ""}
        if f.default is not None and json.dumps(f.default, default=str) not in ("Infinity", "NaN"):
            try:
                json.dumps(f.default)
                entry["default"] = f.default
            except (TypeError, ValueError):
                pass
        params[name] = entry
    item = schema.get("$defs", {}).get("Item", {})
    if "params" in item.get("properties", {}):
        item["properties"]["params"] = {
            "type": "object",
            "description": "parameters of the item's checks",
            "properties": params,
            "additionalProperties": False,
        }
    checks = sorted(known.checks)
    if "checks" in item.get("properties", {}):
        item["properties"]["checks"]["items"] = {"type": "string", "enum": checks}
    schema["title"] = "nlp100-checker exercise spec (spec.toml)"
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def schema_text(known: Known) -> str:
    return json.dumps(exercise_schema(known), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
